# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Installs repeat: uv.lock pins every package (all extras) with its hashes, and `uv sync
# --locked` installs exactly that set, failing when uv.lock no longer matches pyproject.toml
# instead of resolving anew. uv itself comes from PyPI at this version, into the venv.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
SYNC := $(UV) sync --locked --no-python-downloads --quiet
# `make lock` re-resolves after a change to pyproject.toml, keeping every other pin;
# LOCK_ARGS=--upgrade moves all to their newest allowed, --upgrade-package NAME one.
LOCK_ARGS ?=

.PHONY: install lock run sandbox fleet check test test-tools format clean docs schema.graphql soak fuzz \
	audit bench bench-fleet bench-smoke bench-plot bench-profile bench-inprocess bench-versions \
	bench-tools ide-assets browser-tools test-browser screenshots

$(UV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $(UV_STAMP)

# The project goes in editable, with the dev extra; anything not in that set is removed.
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	$(SYNC) --extra dev
	touch $(STAMP)

install: $(STAMP)

lock: $(UV_STAMP)
	$(UV) lock $(LOCK_ARGS)

run: $(STAMP)
	$(BIN)/promotions-gateway

sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port $${SANDBOX_PORT:-8081}

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian packages, unattended: no prompt (noninteractive), sudo only when not root and
# never asking for a password (-n), waiting up to 10 minutes for another apt's lock,
# no recommended extras. `$(APT_INSTALL) pkg` refreshes the lists, then installs.
APT_GET = $(if $(filter 0,$(shell id -u)),,sudo -n) env DEBIAN_FRONTEND=noninteractive \
	apt-get -o DPkg::Lock::Timeout=600
APT_INSTALL = $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends

# Debian packages the tests and `make fleet` run for real: redis-server (the fleet's Redis).
test-tools:
	@command -v redis-server >/dev/null || { $(APT_INSTALL) redis-server >/dev/null; }

# The whole suite twice: with the fast executor (schema/_engine), and with strawberry's
# own execution (FAST_EXECUTION=false), so the fallback an upgrade may need is known to work.
test: check test-tools
	FAST_EXECUTION=true $(BIN)/pytest
	FAST_EXECUTION=false $(BIN)/pytest

# Real clients (Apollo Client, urql, graphql-request, GraphQL Code Generator + tsc) against a
# gateway on the sandbox: tests/clients, a Node project installed from its package-lock.json
# (npm, and the Node it needs, from Debian's `npm` package when missing).
CLIENTS := tests/clients
.PHONY: test-clients
$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { $(APT_INSTALL) npm >/dev/null; }
	cd $(CLIENTS) && npm ci --no-audit --no-fund
	touch $@

test-clients: $(STAMP) $(CLIENTS)/node_modules/.installed
	node $(CLIENTS)/run.mjs

# The IDE in a real browser (tests/browser, not part of `make test`): Debian's chromium,
# headless, driven by Playwright for Python (the `browser` extra); never a browser download.
browser-tools: $(STAMP)
	$(SYNC) --inexact --extra dev --extra browser
	@command -v chromium >/dev/null || { $(APT_INSTALL) chromium >/dev/null; }

test-browser: browser-tools
	$(BIN)/pytest -m browser tests/browser

# docs/ide.png and docs/explain-panel.png, taken by the browser test.
screenshots: browser-tools
	IDE_SCREENSHOTS=docs $(BIN)/pytest -m browser tests/browser -k embedded_sandbox

# The IDE's pinned third-party files (PINS in gateway/http/_ide/_vendor.py) fetched again
# with `npm pack` at those versions, and their manifest rewritten (docs/ide.md).
ide-assets: $(STAMP)
	@command -v npm >/dev/null || { $(APT_INSTALL) npm >/dev/null; }
	$(BIN)/python -m gateway.http._ide --update

# The sandbox, a redis-server and three gateways sharing it on ports 8001-8003 (FLEET_PORT).
fleet: $(STAMP) test-tools
	$(BIN)/python -m bench.fleet

# Ten minutes of mixed load with upstream faults switching on and off (not part of `make test`).
SOAK_SECONDS ?= 600
soak: $(STAMP)
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

# Generated GraphQL operations against a production-mode gateway (not part of `make test`).
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(SYNC) --inexact --extra dev --extra fuzz
	$(BIN)/python -m bench.fuzz --seconds $(FUZZ_SECONDS)

# Benchmarks against the Apollo peer (bench/README.md); none of them is part of `make test`.
PEER_DIR ?= ../shared/peers/apollo
BENCH_ARGS ?=
bench-tools: $(STAMP)
	$(SYNC) --inexact --extra dev --extra bench
	@command -v wrk >/dev/null || { $(APT_INSTALL) wrk >/dev/null; }
	@if command -v node >/dev/null && [ -f $(PEER_DIR)/package-lock.json ] && [ ! -d $(PEER_DIR)/node_modules ]; then \
		cd $(PEER_DIR) && npm ci --no-audit --no-fund; fi

bench: bench-tools test-tools
	PEER_DIR=$(PEER_DIR) $(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.plot
	$(BIN)/python -m bench.fleet_bench $(FLEET_BENCH_ARGS)

# Three replicas sharing a Redis against three without, A B A B, ~4 minutes (bench/README.md).
FLEET_BENCH_ARGS ?=
bench-fleet: bench-tools test-tools
	$(BIN)/python -m bench.fleet_bench $(FLEET_BENCH_ARGS)

bench-smoke: bench-tools
	$(BIN)/python -m bench.smoke

bench-plot: bench-tools
	$(BIN)/python -m bench.plot

bench-profile: bench-tools
	$(BIN)/python -m bench.profile

bench-inprocess: $(STAMP)
	$(BIN)/python -m bench.inprocess $(BENCH_ARGS)

# This checkout against another commit, A B A B (BASELINE=<commit>; a refactoring's check).
BASELINE ?= HEAD~1
bench-versions: bench-tools
	$(BIN)/python -m bench.versions --baseline $(BASELINE) $(BENCH_ARGS)

# Known advisories in the installed dependencies; --strict fails when one cannot be checked.
audit: $(STAMP)
	$(SYNC) --inexact --extra dev --extra audit
	$(BIN)/pip-audit --strict --skip-editable --local

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# docs/settings.md's table, from the settings' declarations (a test fails when it is stale).
docs: $(STAMP)
	$(BIN)/python -m gateway.settings --write docs/settings.md

schema.graphql: $(STAMP) $(wildcard schema/*.py)
	$(BIN)/python -c "from schema import served_sdl; open('schema.graphql', 'w').write(served_sdl())"
