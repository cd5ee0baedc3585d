# custseg: `make report` runs the demo end to end, `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/demo.yaml

.PHONY: report test test-fast lab student docs lint bench clean install monthly

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

# `make lab LANG=zh`, `make student LANG=zh`: an edition in one language. LANG is also the shell's locale
# (en_US.UTF-8 …): only en or zh choose an edition, and then the recipes run with a real locale
EDITION := $(filter en zh,$(LANG))
LOCALE := $(if $(EDITION),C.UTF-8,$(or $(LANG),C.UTF-8))
LAB_LOCALE := $(if $(filter zh,$(EDITION)),zh_CN,en)

# JupyterLab on the notebooks; with LANG=zh (or en): on copies in that language only, written to lab/<lang>/
# (custseg notebooks; a copy already there is kept, with a student's work in it), JupyterLab's own menus in that
# language too (zh_CN: the language pack of the lab extra)
lab: $(STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[lab]"
ifeq ($(EDITION),)
	$(BIN)/jupyter lab --allow-root --no-browser --notebook-dir=.
else
	LANG=$(LOCALE) $(BIN)/custseg notebooks lab/$(EDITION) --language $(EDITION)
	mkdir -p lab/$(EDITION)/.settings/@jupyterlab/translation-extension
	printf '{"locale": "%s"}\n' $(LAB_LOCALE) \
	  > lab/$(EDITION)/.settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings
	LANG=$(LOCALE) JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/lab/$(EDITION)/.settings \
	  $(BIN)/jupyter lab --allow-root --no-browser --notebook-dir=lab/$(EDITION)
endif

# the student edition, written afresh: the notebooks 00-09 without the exercises' solutions, the checks kept
# -> student/ (LANG=zh: in 简体中文 only)
student: $(STAMP)
	LANG=$(LOCALE) $(BIN)/custseg notebooks student $(if $(EDITION),--language $(EDITION) )--student --force

# the documentation site (docs/, mkdocs.yml; the references generated from the code) -> site/index.html;
# --strict: a broken link, anchor or nav entry fails the build (CI runs it too)
docs: $(STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf data/interim data/processed reports site .pytest_cache
	find data/raw -mindepth 1 ! -name .gitkeep -delete
