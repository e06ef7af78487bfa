# Touchpoint analysis pipeline. `make help` lists the targets.
.DEFAULT_GOAL := report
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WAREHOUSE ?= data/warehouse.duckdb
REPORT_LANG ?= en
ROWS ?= 1000000
BENCH_FLAGS ?=
export GX_ANALYTICS_ENABLED := false

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create .venv and install the project (done by the other targets when needed)

data/sample/.complete: | $(STAMP)
	$(PY) -m pipeline.sample --out data/sample

.PHONY: sample
sample: $(STAMP) ## Write the deterministic sample data under data/sample/
	$(PY) -m pipeline.sample --out data/sample

.PHONY: report
report: $(STAMP) data/sample/.complete ## Build the sample if missing, run every stage, write the report
	$(PY) -m pipeline run --warehouse $(WAREHOUSE) --lang $(REPORT_LANG)

.PHONY: test
test: $(STAMP) ## Lint and run the test suite
	$(PY) -m ruff check pipeline tests
	$(PY) -m pytest -q -n auto

.PHONY: notebooks
notebooks: $(STAMP) ## Run the notebooks on the warehouse (WAREHOUSE=...); results in reports/notebooks/
	$(PY) -m pipeline.notebooks --warehouse $(WAREHOUSE) --out reports/notebooks

.PHONY: bench
bench: $(STAMP) ## Benchmark against DuckDB's own speed, plus one new day (ROWS=10000000; BENCH_FLAGS=--profile)
	$(PY) -m pipeline.bench --rows $(ROWS) --incremental $(BENCH_FLAGS)

.PHONY: clean
clean: ## Remove the warehouse, generated sample data and reports (keeps .venv)
	rm -rf data/sample data/warehouse.duckdb data/warehouse.duckdb.wal data/*.duckdb.stage* data/*.lock
	find reports -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'
