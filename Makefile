# gsomia: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_BENCH := $(VENV)/.installed-bench
VENV_LOWEST := .venv-lowest
STAMP_LOWEST := $(VENV_LOWEST)/.installed
# The tests run on PYTEST_WORKERS processes (pytest-xdist): a module's tests, and the tests
# that share a cluster for the session, stay on one worker in their order (tests/conftest.py).
PYTEST_WORKERS ?= 2
LOWEST_TESTS := tests/unit/test_bind_addresses.py tests/unit/api/test_peer_app.py \
	tests/unit/crypto/test_pki.py tests/unit/cli/test_pki_cli.py tests/unit/crypto/test_tls_sessions.py \
	tests/integration/test_channels.py tests/integration/api \
	--ignore=tests/integration/api/test_openapi_fuzz.py \
	--ignore=tests/integration/api/test_chunked_memory.py

.PHONY: demo test lint typecheck imports unit lowest bench clean up down interop-tools browser-deps \
	console-screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,postgres,nats]'
	touch $(STAMP_RUN) $@

# The lowest version of each direct dependency that pyproject.toml allows, in a venv of
# its own; the test tools themselves are the newest.
$(STAMP_LOWEST): pyproject.toml .ci/lowest-constraints.txt
	rm -rf $(VENV_LOWEST)
	$(PYTHON) -m venv $(VENV_LOWEST)
	$(VENV_LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_LOWEST)/bin/python -m pip install --quiet --constraint .ci/lowest-constraints.txt \
		-e . pytest pytest-timeout pytest-xdist hypothesis
	touch $@

$(STAMP_BENCH): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,bench,postgres,nats]'
	touch $(STAMP_RUN) $(STAMP_TEST) $@

# Clients from outside the project that the interop tests drive over real sockets, each in a
# venv of its own (their pins are not ours), and Go's sumdb packages from Debian.
VENV_TAXII := .venv-taxii
VENV_TAKY  := .venv-taky
VENV_PYTAK := .venv-pytak
INTEROP_TOOLS := $(VENV_TAXII)/.installed $(VENV_TAKY)/.installed $(VENV_PYTAK)/.installed \
                 .venv-go/.installed

$(VENV_TAXII)/.installed: Makefile
	rm -rf $(VENV_TAXII) && $(PYTHON) -m venv $(VENV_TAXII)
	$(VENV_TAXII)/bin/pip install --quiet 'taxii2-client==2.3.0' 'stix2-validator==3.3.2'
	touch $@

$(VENV_TAKY)/.installed: Makefile
	rm -rf $(VENV_TAKY) && $(PYTHON) -m venv $(VENV_TAKY)
	$(VENV_TAKY)/bin/pip install --quiet 'taky==0.10'
	touch $@

$(VENV_PYTAK)/.installed: Makefile
	rm -rf $(VENV_PYTAK) && $(PYTHON) -m venv $(VENV_PYTAK)
	$(VENV_PYTAK)/bin/pip install --quiet 'pytak==7.6.1'
	touch $@

.venv-go/.installed: Makefile
	command -v go >/dev/null && test -d /usr/share/gocode/src/golang.org/x/mod/sumdb \
	  || (apt-get update -qq && apt-get install -y -qq golang-go golang-golang-x-mod-dev)
	mkdir -p .venv-go && touch $@

## interop-tools: the outside clients the interop tests use (taxii2-client, stix2-validator,
## taky, pytak, Go sumdb).
interop-tools: $(INTEROP_TOOLS)

# The browser tests drive Debian's Chromium (Playwright downloads no browser) with CJK fonts,
# so that native markings (極秘, 군사II급비밀) render, and run axe-core from npm in it.
BROWSER_PACKAGES := chromium fonts-noto-cjk
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## browser-deps: Chromium and the CJK fonts from Debian when missing, and axe-core from npm.
browser-deps: $(AXE)
	dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES))

## console-screenshots: run the browser tests and keep a screenshot of each page in docs/console.
console-screenshots: $(STAMP_TEST) browser-deps
	GSOMIA_CONSOLE_SCREENSHOTS=docs/console $(VENV)/bin/pytest -q -p no:cacheprovider tests/browser

## demo: create the virtual environment, install, run the main job on SQLite.
demo: $(STAMP_RUN)
	$(VENV)/bin/gsomia demo --out gsomia-report

## test: install what the tests need, then lint, type-check, check imports, test.
test: $(STAMP_TEST) lint typecheck imports unit lowest

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP_TEST)
	$(VENV)/bin/mypy

imports: $(STAMP_TEST)
	$(VENV)/bin/lint-imports

unit: $(STAMP_TEST) $(INTEROP_TOOLS) browser-deps
	$(VENV)/bin/pytest -q --durations=25 -n $(PYTEST_WORKERS) --dist loadgroup

## lowest: the channel and API tests on the lowest dependency versions pyproject.toml allows.
lowest: $(STAMP_LOWEST)
	$(VENV_LOWEST)/bin/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup \
		$(LOWEST_TESTS)

## bench: every side-by-side benchmark (anchor and gsomia in one run).
bench: $(STAMP_BENCH)
	for b in bench/*.py; do case $$b in */_*) continue;; esac; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(VENV_LOWEST) $(VENV_TAXII) $(VENV_TAKY) $(VENV_PYTAK) .venv-go gsomia-report \
	  tests/browser/node_modules build \
	  .pytest_cache .mypy_cache .ruff_cache
