"""`manage.py sync_beat_schedules`: write the schedules declared in common/schedules.py into
django-celery-beat's tables, so the DatabaseScheduler (and the admin) show exactly what the code declares.

Optional since beat loads the same entries itself at start (settings.CELERY_BEAT_SCHEDULE, same row names); this
command also disables the rows of entries no longer declared. Idempotent: run it as often as you like."""

from __future__ import annotations

import json
from datetime import timedelta

from celery.schedules import crontab
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from common.schedules import MANAGED_PREFIX


def _schedule_fields(schedule) -> dict:
    if isinstance(schedule, (int, float)):
        schedule = timedelta(seconds=schedule)
    if isinstance(schedule, timedelta):
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=max(1, int(schedule.total_seconds())), period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    if isinstance(schedule, crontab):
        cron, _ = CrontabSchedule.objects.get_or_create(
            minute=schedule._orig_minute, hour=schedule._orig_hour, day_of_week=schedule._orig_day_of_week,
            day_of_month=schedule._orig_day_of_month, month_of_year=schedule._orig_month_of_year, timezone="UTC",
        )
        return {"interval": None, "crontab": cron}
    raise CommandError(f"unsupported schedule type {type(schedule).__name__}")


class Command(BaseCommand):
    help = "Create or update the periodic tasks declared in common/schedules.py; disable removed ones."

    @transaction.atomic
    def handle(self, *args, **options):
        from common.schedules import BEAT_SCHEDULE

        declared = set()
        for name, entry in BEAT_SCHEDULE.items():
            task_name = f"{MANAGED_PREFIX}{name}"
            declared.add(task_name)
            fields = _schedule_fields(entry["schedule"])
            PeriodicTask.objects.update_or_create(
                name=task_name,
                defaults={
                    "task": entry["task"],
                    "args": json.dumps(list(entry.get("args", []))),
                    "kwargs": json.dumps(entry.get("kwargs", {})),
                    "queue": entry.get("options", {}).get("queue"),
                    "enabled": True,
                    **fields,
                },
            )
            self.stdout.write(f"synced {task_name} -> {entry['task']}")
        stale = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX, enabled=True).exclude(name__in=declared)
        for task in stale:
            task.enabled = False
            task.save(update_fields=["enabled"])
            self.stdout.write(f"disabled {task.name} (no longer declared)")
