"""Periodic jobs, declared in code and loaded into django-celery-beat by `manage.py sync_beat_schedules`."""

from celery.schedules import crontab  # noqa: F401  (used by entries added below)

BEAT_SCHEDULE: dict[str, dict] = {}
