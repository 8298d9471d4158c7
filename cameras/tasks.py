"""Periodic operations tasks (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

# Importing wink.metrics in every Celery process (tasks modules are autodiscovered by workers and beat)
# connects the signal handlers that keep task failures, worker heartbeats and beat activity in Redis.
import wink.metrics  # noqa: F401


@shared_task(name="cameras.tasks.camera_outages_check_task", ignore_result=True)
def camera_outages_check_task() -> dict[str, int]:
    from workers.alerts import camera_outages_check

    return camera_outages_check()
