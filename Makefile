# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run sandbox check test format clean schema.graphql soak

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

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

schema.graphql: $(STAMP) $(wildcard schema/*.py)
	$(BIN)/python -c "from schema import served_sdl; open('schema.graphql', 'w').write(served_sdl())"
