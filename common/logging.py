"""Log lines as text or as one JSON object per line (`LOG_FORMAT`), with camera, store and Celery task ids.

`wink/settings.py` builds the LOGGING dict from `logging_config()`; Django applies it in every process (web,
management commands) and Celery's workers and beat keep it instead of installing their own handlers (the
`setup_logging` receiver below, and `CELERY_WORKER_HIJACK_ROOT_LOGGER = False`). JSON lines carry `ts` (UTC,
ISO 8601), `level`, `logger`, `message` and, where known, `camera`, `store` (the camera runner passes them with
`extra=`), `task_id`, `task_name` (the Celery task running in this thread), plus `exc_info` for tracebacks;
Loki, journald and `jq` read them as fields. The JSON formatter is python-json-logger's.
"""

from __future__ import annotations

import logging
import logging.config

from celery.signals import setup_logging

LOG_FORMATS = {"text", "json"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# the fields a JSON line may carry beside ts/level/logger/message
CONTEXT_FIELDS = ("camera", "store", "task_id", "task_name")


class TaskContextFilter(logging.Filter):
    """Adds `task_id` and `task_name` of the Celery task running in this thread (a record's own values win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "task_id", None) is None:
            from celery._state import get_current_task

            task = get_current_task()
            request_id = getattr(getattr(task, "request", None), "id", None) if task is not None else None
            if request_id:
                record.task_id = request_id
                record.task_name = task.name
        return True


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING dict: one console handler on the root logger, text or JSON."""
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "ts",
        },
    }
    loggers = {"django.db.backends": {"level": "WARNING"}}
    if log_format == "json":
        # Django's own text handlers (DEBUG console, runserver's request log): through the JSON handler instead.
        loggers["django"] = {"level": "INFO", "handlers": [], "propagate": True}
        loggers["django.server"] = {"level": "INFO", "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {log_format: formatters[log_format]},
        "filters": {"task_context": {"()": "common.logging.TaskContextFilter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["task_context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers,
    }


def gunicorn_logconfig(log_format: str, level: str) -> dict:
    """gunicorn's `logconfig_dict`: its own lines (boot, worker exits, access log) in the same format."""
    config = logging_config(log_format, level)
    for name in ("gunicorn.error", "gunicorn.access"):
        config["loggers"][name] = {"level": "INFO", "handlers": [], "propagate": True}
    return config


@setup_logging.connect(weak=False)
def _celery_keeps_django_logging(**kwargs) -> None:
    """Celery worker/beat: apply the project's LOGGING instead of Celery's own handlers and formats.

    With a receiver connected Celery configures no logger itself (so `-l` does not apply; LOG_LEVEL does).
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
