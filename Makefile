# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run sandbox check test format clean schema.graphql soak fuzz audit \
	bench bench-smoke bench-plot bench-profile bench-inprocess bench-tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/promotions-gateway

sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port $${SANDBOX_PORT:-8081}

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: check
	$(BIN)/pytest

# Ten minutes of mixed load with upstream faults switching on and off (not part of `make test`).
SOAK_SECONDS ?= 600
soak: $(STAMP)
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

# Generated GraphQL operations against a production-mode gateway (not part of `make test`).
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,fuzz]'
	$(BIN)/python -m bench.fuzz --seconds $(FUZZ_SECONDS)

# Benchmarks against the Apollo peer (bench/README.md); none of them is part of `make test`.
PEER_DIR ?= ../shared/peers/apollo
BENCH_ARGS ?=
bench-tools: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@command -v wrk >/dev/null || (apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk)
	@if command -v node >/dev/null && [ -f $(PEER_DIR)/package-lock.json ] && [ ! -d $(PEER_DIR)/node_modules ]; then \
		cd $(PEER_DIR) && npm ci --no-audit --no-fund; fi

bench: bench-tools
	PEER_DIR=$(PEER_DIR) $(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.plot

bench-smoke: bench-tools
	$(BIN)/python -m bench.smoke

bench-plot: bench-tools
	$(BIN)/python -m bench.plot

bench-profile: bench-tools
	$(BIN)/python -m bench.profile

bench-inprocess: $(STAMP)
	$(BIN)/python -m bench.inprocess $(BENCH_ARGS)

# Known advisories in the installed dependencies; --strict fails when one cannot be checked.
audit: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,audit]'
	$(BIN)/pip-audit --strict --skip-editable --local

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

schema.graphql: $(STAMP) $(wildcard schema/*.py)
	$(BIN)/python -c "from schema import served_sdl; open('schema.graphql', 'w').write(served_sdl())"
