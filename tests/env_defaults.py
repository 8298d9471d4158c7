"""Loaded first (pytest -p): the suite runs against real PostgreSQL and Redis (scripts/ensure_services.sh)."""

import os

# Defaults for a developer machine; `make test` exports the same values.
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wink")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
