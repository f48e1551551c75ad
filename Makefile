# Every target sets up .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo deps test lint typecheck bench bench-curve bench-startup bench-service check clean

# `make bench CURVE_FLAGS=--quick` draws the cost curve at 1k and 10k files only.
CURVE_FLAGS ?=

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

# The Debian packages the tests use (.ci/apt-packages.txt, as CI installs them); sudo if not root.
deps:
	bash .ci/install-deps

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench demo
	$(BIN)/ruff format --check src tests bench demo
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ui_bench.py
	$(BIN)/python bench/curve.py $(CURVE_FLAGS)
	$(BIN)/python bench/service.py

bench-curve: $(STAMP)
	$(BIN)/python bench/curve.py $(CURVE_FLAGS)

# The service alone: throughput, API latency, re-evaluation (BENCH_QUICK=1 for a smoke run).
bench-service: $(STAMP)
	$(BIN)/python bench/service.py

bench-startup: $(STAMP)
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) build src/*.egg-info
