# `make demo` runs the example site against the sandbox provider; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs only the package and its four run-time dependencies, not the test extra.
DEMO_STAMP := $(VENV)/.installed-demo
PYTEST := $(BIN)/python -m pytest

.PHONY: test lint types pytest pytest-sqlite pytest-postgres pytest-mysql coverage matrix bench demo screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $(DEMO_STAMP)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(DEMO_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy coolsms_oauth_django

# The suite runs on SQLite, then the tests that need a database server run against the local
# PostgreSQL and MariaDB; coverage is combined over the runs and checked once at the end.
pytest-sqlite: $(STAMP)
	$(PYTEST) -m "not postgres and not mysql" --cov --cov-report= --cov-fail-under=0

pytest-postgres: $(STAMP)
	COOLSMS_TEST_DATABASE=postgres $(PYTEST) -m postgres --cov --cov-append --cov-report= --cov-fail-under=0

pytest-mysql: $(STAMP)
	COOLSMS_TEST_DATABASE=mysql $(PYTEST) -m mysql --cov --cov-append --cov-report= --cov-fail-under=0

coverage: $(STAMP)
	$(BIN)/coverage report

pytest: pytest-sqlite pytest-postgres pytest-mysql coverage

test: lint types pytest

# Every Python (3.10-3.13) x Django (5.2, 6.0, 6.1) x database session whose interpreter is
# present; pyenv's interpreters are put on PATH. Missing interpreters are skipped by nox.
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/3.1[0-3]*/bin)
matrix: $(STAMP)
	PATH="$(subst $(eval) ,:,$(PYENV_BINS)):$$PATH" $(BIN)/nox

demo: $(DEMO_STAMP)
	$(BIN)/python example_project/demo.py

# The benchmarks (bench/): ratios measured side by side in one run, on the local PostgreSQL.
bench: $(STAMP)
	$(BIN)/python -m bench

# Refresh the README's screenshots (the browser test writes them to build/screenshots otherwise).
screenshots: $(STAMP)
	SCREENSHOT_DIR=docs/screenshots DEMO_PORT=8000 SANDBOX_PORT=8765 $(PYTEST) -m browser tests/browser

clean:
	rm -rf $(VENV) build dist .coverage .mypy_cache .pytest_cache .ruff_cache
