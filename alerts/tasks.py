"""Celery tasks of the alerts (thin: ids in, the work is in services.py).

Both tasks keep the names they were registered under before the alerts app existed, so messages already queued
and the beat entries stored in the database (common/schedules.py, django-celery-beat) still find them.
"""

from __future__ import annotations

from celery import shared_task

from alerts.services import ALERT_DELIVER_TASK, alert_channel_deliver, camera_outages_check
from alerts.targets import AlertDeliveryError


@shared_task(
    name=ALERT_DELIVER_TASK, ignore_result=True, autoretry_for=(AlertDeliveryError,), retry_backoff=10,
    retry_backoff_max=600, retry_jitter=True, max_retries=6,
)
def alert_deliver_task(channel_id: int, subject: str, body: str) -> None:
    """One alert through one channel; a failed delivery is retried with backoff (about 10 s to 10 min)."""
    alert_channel_deliver(channel_id, subject, body)


@shared_task(name="cameras.tasks.camera_outages_check_task", ignore_result=True)
def camera_outages_check_task() -> dict[str, int]:
    """Open (and alert) or close camera-offline notices; beat runs it every 30 s (common/schedules.py)."""
    return camera_outages_check()
