# custseg: `make report` runs the demo end to end, `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/demo.yaml

.PHONY: report test test-fast lab docs lint bench clean install monthly

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/custseg run $(CONFIG)

# the monthly loop on the demo: three snapshots, each run against the one before -> reports/demo_monthly-history.html
monthly: $(STAMP)
	$(BIN)/custseg run configs/demo_monthly.yaml --name 2025-06
	$(BIN)/custseg run configs/demo_monthly.yaml --name 2025-09 --set snapshot_date=2025-10-01 --baseline 2025-06
	$(BIN)/custseg run configs/demo_monthly.yaml --name 2025-12 --set snapshot_date=2026-01-01 --baseline 2025-09

# every tier: unit, notebooks (papermill on the tiny config), e2e (custseg run; Spark and browser when installed),
# on one worker per core (pytest-xdist; a test file, or the files sharing one whole run, stay on one worker)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadgroup

# the unit tier only, for the edit-test loop (about 1.5 minutes)
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

# performance: aggregation vs hand-written DuckDB SQL vs tutorial pandas, k sweep, whole demo run
# (BENCH_ARGS=--quick for a harness check, --large adds 100M transactions) -> reports/bench/
bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench notebooks

lab: $(STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[lab]"
	$(BIN)/jupyter lab --allow-root --no-browser --notebook-dir=.

# the documentation site (docs/, mkdocs.yml; the references generated from the code) -> site/index.html;
# --strict: a broken link, anchor or nav entry fails the build (CI runs it too)
docs: $(STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf data/interim data/processed reports site .pytest_cache
	find data/raw -mindepth 1 ! -name .gitkeep -delete
