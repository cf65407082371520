# Two commands: `make run` and `make test`. Everything else here is how they bootstrap.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app crm_sandbox
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
CHROMIUM ?= /usr/bin/chromium
PORT   ?= 5000

.PHONY: run test test-postgres bench chromium clean-db lock

# Reinstall only when pyproject.toml or the lock file changes, so a second `make run` starts in seconds.
# Every package (pip and setuptools too) comes from the lock file at its pinned version, checked against
# its hashes; the project itself then goes in without dependencies and without build isolation, so its
# build uses the locked setuptools instead of fetching an unpinned one.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "CRM Sandbox needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Re-pin the whole tree (runtime, the test extra, setuptools and pip) with hashes, for every platform
# and Python 3.11+, after pyproject.toml changes; versions already pinned stay unless UPGRADE=1.
# Commit the new requirements.lock. Installs uv into the venv when missing.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --extra test \
	  $(if $(UPGRADE),--upgrade) pyproject.toml build-requirements.in -o $(LOCK)

run: $(STAMP)
	@$(FLASK) bootstrap --play-demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C stops it)"
	@$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian's chromium for the browser tests; Playwright never downloads a browser.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	      || echo "WARNING: could not install chromium; browser tests will skip (or fail under CI=true)."; \
	  else \
	    echo "WARNING: $(CHROMIUM) missing and cannot apt-get; browser tests will skip (or fail under CI=true)."; \
	  fi; \
	fi

# Static analysis first, then the suite. ruff format --check: the layout is the formatter's; ruff check:
# bandit's S rules, pyflakes' F, import sorting (I) and complexity (C90), see [tool.ruff] in pyproject.toml;
# mypy: every function in crm_sandbox/ annotated and checked, see [tool.mypy].
test: $(STAMP) chromium
	$(BIN)/ruff format --check crm_sandbox tests bench
	$(BIN)/ruff check crm_sandbox tests bench
	$(BIN)/mypy
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench_seed.py

# The whole suite against a throwaway PostgreSQL server on loopback (installed from Debian's packages
# when missing, started, and stopped and removed afterwards even when tests fail).
test-postgres: $(STAMP) chromium
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)
