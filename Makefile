# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and
# install the project with the pinned versions of constraints.txt (the versions the
# shipped model in models/default was trained with).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test check lint typecheck contracts unit fast default-model bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/allegations demo

lint: install
	$(BIN)/ruff check src tests benchmarks fuzz

typecheck: install
	$(BIN)/mypy

# The packages' import layers (pyproject.toml, [tool.importlinter]).
contracts: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest -q

test: lint typecheck contracts unit

# The quick loop while working: everything but the tests marked slow (CI runs them all).
fast: install
	$(BIN)/pytest -q -m "not slow" -x

check: lint typecheck contracts fast

# Rebuild the shipped model (the test suite checks it is reproducible).
default-model: install
	$(BIN)/allegations train data/sample.csv --codebook data/codebook.toml --id-col id \
		--seed 0 --out models/default

bench: install
	$(BIN)/python benchmarks/compare.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
