"""Periodic jobs, declared in code.

`celery -A wink beat` loads them itself (settings.CELERY_BEAT_SCHEDULE = beat_schedule(): django-celery-beat's
DatabaseScheduler writes them into its tables at start); `manage.py sync_beat_schedules` writes the same rows
ahead of time and also disables the ones no longer declared.
"""

from celery.schedules import crontab

# Rows in django-celery-beat's PeriodicTask table are named MANAGED_PREFIX + the name below; other rows belong to
# the operator (the admin) and are left alone.
MANAGED_PREFIX = "wink:"

BEAT_SCHEDULE: dict[str, dict] = {}

# Operations: alert once per camera outage (> CAMERA_ALERT_OFFLINE_SECONDS silent); also keeps beat's
# heartbeat fresh for the BeatNotRunning alert (deploy/prometheus/alerts.yml). The task lives in alerts/tasks.py
# and keeps the name it had when it lived in cameras/tasks.py (beat entries stored in the database use it).
BEAT_SCHEDULE["camera-outages-check"] = {"task": "cameras.tasks.camera_outages_check_task", "schedule": 30.0}

# Camera workers: start a runner for every enabled camera that no live lease covers (workers/tasks.py).
BEAT_SCHEDULE["supervise-cameras"] = {"task": "workers.tasks.supervise_cameras_task", "schedule": 5.0}

# Analytics (analytics/tasks.py): hourly metrics of the current and two previous store-local hours
# (daily rows and trends follow), late hours marked by ingestion, spikes of the last day, daily insights.
BEAT_SCHEDULE["analytics-hourly-aggregation"] = {
    "task": "analytics.tasks.aggregation_hourly_task", "schedule": crontab(minute="2,32"),
}
BEAT_SCHEDULE["analytics-stale-hours-drain"] = {"task": "analytics.tasks.stale_hours_drain_task", "schedule": 300.0}
BEAT_SCHEDULE["analytics-spikes"] = {"task": "analytics.tasks.spikes_recent_task", "schedule": crontab(minute=10)}
BEAT_SCHEDULE["analytics-daily-insights"] = {
    "task": "analytics.tasks.insights_daily_task", "schedule": crontab(hour=5, minute=30),
}

# Count audits (audits/tasks.py): delete evidence of finished audits and past AUDIT_RETENTION_DAYS (default 14).
BEAT_SCHEDULE["audits-evidence-cleanup"] = {"task": "audits.tasks.audit_evidence_cleanup_task", "schedule": 3600.0}


def beat_schedule() -> dict[str, dict]:
    """BEAT_SCHEDULE under the PeriodicTask names sync_beat_schedules uses (one row per entry, never two)."""
    return {f"{MANAGED_PREFIX}{name}": dict(entry) for name, entry in BEAT_SCHEDULE.items()}
