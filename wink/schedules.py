"""Periodic jobs, declared in code and loaded into django-celery-beat by `manage.py sync_beat_schedules`."""

from celery.schedules import crontab

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
