# The two set-up commands: `make demo` and `make test`. Only Python 3.11 is needed on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test install install-dev lint typecheck bench bench-api lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/pip install -q -r requirements-dev.lock
	touch $@

install: $(STAMP)
install-dev: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/reetrace demo

test: $(DEV_STAMP)
	bash scripts/test.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python bench/ledger.py

# The API under load (issue 3): wrk closed loop and a fixed-rate open loop, SQLite and PostgreSQL; ~18 minutes.
bench-api: $(DEV_STAMP)
	@command -v wrk >/dev/null || { echo "bench-api needs wrk: apt-get install wrk" >&2; exit 1; }
	$(BIN)/python bench/api.py

# Regenerate the lock files from pyproject.toml (needs network to PyPI).
lock: $(BIN)/python
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --extra dev -o requirements-dev.lock

clean:
	rm -rf $(VENV) .reetrace
