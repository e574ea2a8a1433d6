# The two commands of the README: `make demo` and `make test`. Both install what they need first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install demo test lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[server,client,dev]'
	touch $@

demo: install
	$(BIN)/yongdon demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	BIN=$(BIN) scripts/test_in_two.sh

bench: install
	$(BIN)/python -m bench
