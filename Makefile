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

.PHONY: install lock run sandbox fleet check test test-tools format clean docs schema.graphql soak fuzz audit \
	bench bench-fleet bench-smoke bench-plot bench-profile bench-inprocess bench-versions bench-tools

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

# Debian packages the tests and `make fleet` run for real: redis-server (the fleet's Redis).
APT_INSTALL := apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends
test-tools:
	@command -v redis-server >/dev/null || $(APT_INSTALL) redis-server >/dev/null \
		|| (apt-get update >/dev/null && $(APT_INSTALL) redis-server >/dev/null) \
		|| sudo $(APT_INSTALL) redis-server

# The whole suite twice: with the fast executor (schema/_engine), and with strawberry's
# own execution (FAST_EXECUTION=false), so the fallback an upgrade may need is known to work.
test: check test-tools
	FAST_EXECUTION=true $(BIN)/pytest
	FAST_EXECUTION=false $(BIN)/pytest

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
	@command -v wrk >/dev/null || (apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk)
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
