# One command runs the demo, one runs the tests; both set up a virtual environment first.
# Needs only Python 3.11+ on the PATH (python3.11 preferred, python3 otherwise).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: set up and show the default city (Helsinki) and what a load does to a cargo bike
demo: $(STAMP)
	$(BIN)/tandem demo

## test: lint, type-check and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

## bench: the matrix benchmark on the default city and on ../shared/data/osm/andorra.osm.pbf
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matrix.py
	$(BIN)/python benchmarks/bench_matrix.py --city ../shared/data/osm/andorra.osm.pbf

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
