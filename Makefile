# gsomia: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test lint typecheck imports unit bench clean up down

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,postgres,nats]'
	touch $(STAMP_RUN) $@

$(STAMP_BENCH): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,bench,postgres,nats]'
	touch $(STAMP_RUN) $(STAMP_TEST) $@

## demo: create the virtual environment, install, run the main job on SQLite.
demo: $(STAMP_RUN)
	$(VENV)/bin/gsomia demo --out gsomia-report

## test: install what the tests need, then lint, type-check, check imports, test.
test: $(STAMP_TEST) lint typecheck imports unit

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP_TEST)
	$(VENV)/bin/mypy

imports: $(STAMP_TEST)
	$(VENV)/bin/lint-imports

unit: $(STAMP_TEST)
	$(VENV)/bin/pytest -q

## bench: every side-by-side benchmark (anchor and gsomia in one run).
bench: $(STAMP_BENCH)
	for b in bench/*.py; do case $$b in */_*) continue;; esac; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) gsomia-report .pytest_cache .mypy_cache .ruff_cache
