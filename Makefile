# The two commands: `make run` (try it) and `make test` (check everything). See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# The test run talks to PostgreSQL and Redis on localhost unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/archives
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
TEST_ENV := DEBUG=0 SECRET_KEY=insecure-key-for-tests-only AUDIT_HMAC_KEY=insecure-audit-hmac-key-for-tests-only \
            DATABASE_ALLOW_AUDIT_TRUNCATE=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
            CELERY_TASK_ALWAYS_EAGER=1 STATIC_MANIFEST=0
PYTEST_ARGS ?= -n auto

.PHONY: help run test lint messages bench clean

help:
	@echo "make run    - set up and start the app on http://127.0.0.1:8000/ (SQLite, demo county)"
	@echo "make test   - set up what is missing and run every check against PostgreSQL and Redis"
	@echo "make bench  - benchmarks (see bench/README.md)"

$(VENV)/bin/python:
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 is required: sudo apt-get install -y python3 python3-venv" >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Python 3.11+ is required (found $$($(PYTHON) --version))." >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtualenv: sudo apt-get install -y python3-venv" >&2; exit 1; }

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt $(VENV)/.run-deps
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

messages: $(VENV)/.run-deps
	@scripts/system-deps.sh run
	@SECRET_KEY=only-for-compiling-messages-not-a-secret AUDIT_HMAC_KEY=only-for-compiling-messages-not-a-secret $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0 >/dev/null

run: export DEBUG = 1
run: export SITE_NAME ?= 青溪区档案馆
run: $(VENV)/.run-deps messages
	@# A trial checkout: later `manage.py` commands run in the same trial mode (.env is git-ignored).
	@[ -f .env ] || printf '# Written by make run: local trial mode. Never copy to a server.\nDEBUG=1\nSITE_NAME=青溪区档案馆\n' > .env
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) seed_demo
	@echo "Open http://127.0.0.1:8000/ and log in with one of the demo logins above."
	$(MANAGE) runserver 127.0.0.1:8000

test: $(VENV)/.test-deps
	@scripts/system-deps.sh test
	@$(MAKE) --no-print-directory messages
	@$(TEST_ENV) $(PY) scripts/check_services.py
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TEST_ENV) $(MANAGE) check
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	@# A venv from requirements.txt alone (rebuilt when it changes): tests/test_fresh_install.py
	@# starts a real Celery worker from it.
	@scripts/fresh-venv.sh >/dev/null
	$(TEST_ENV) $(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(VENV)/.test-deps
	$(TEST_ENV) $(PY) -m bench

clean:
	rm -rf $(VENV) .venv-fresh var staticfiles .pytest_cache .ruff_cache
