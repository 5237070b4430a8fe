# One command runs the demo, one runs the tests; both set up a virtual environment first.
# Needs only Python 3.11+ on the PATH (python3.11 preferred, python3 otherwise).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-lilim bench-day clean

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
	$(BIN)/pytest -n auto --dist loadfile --durations=25

## bench: matrices (Helsinki and ../shared/data/osm/andorra.osm.pbf), planning, insertion (~10 min)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_matrix.py
	$(BIN)/python benchmarks/bench_matrix.py --city ../shared/data/osm/andorra.osm.pbf
	$(BIN)/python -m benchmarks.bench_city
	$(BIN)/python -m benchmarks.bench_insertion

## bench-lilim: Li & Lim's 100- and 200-task sets against VROOM and PyVRP, 1 s and 10 s budgets (~50 min)
bench-lilim: $(STAMP)
	$(BIN)/python benchmarks/bench_lilim.py --budgets 1,10 --solvers tandem,vroom,pyvrp

## bench-day: whole days replayed with fairness off, on and under riding budgets (~20 min)
bench-day: $(STAMP)
	$(BIN)/python benchmarks/bench_day.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
