"""Celery tasks of the camera workers (thin: ids in, the work is in runner.py / services.py).

`run_camera_task` runs for as long as its camera is enabled and this worker holds the camera's lease:
it is routed to the `cameras` queue, acknowledged when it starts (acks_late=False) so the broker's
visibility timeout can never hand a running camera to a second worker, and the Redis lease makes any
duplicate message return at once. Run camera workers with a thread pool so that one process (one model
in memory, one inference engine) serves many cameras:

    celery -A wink worker -Q cameras --pool threads --concurrency 16
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_shutting_down
from django.conf import settings

from workers import services

log = logging.getLogger(__name__)


@shared_task(acks_late=False, ignore_result=True)
def run_camera_task(camera_pk: int) -> str:
    from workers.runner import CameraRunner

    return CameraRunner(camera_pk).run()


@shared_task(ignore_result=True)
def supervise_cameras_task() -> dict:
    def dispatch(camera_pk: int) -> None:
        # a message nobody could start within the dispatch window is stale: the next tick sends another
        run_camera_task.apply_async(args=[camera_pk], expires=max(30.0, 6 * settings.CAMERA_SUPERVISE_INTERVAL_SECONDS))

    return services.cameras_supervise(dispatch)


@worker_shutting_down.connect
def _hand_cameras_back(**_kwargs) -> None:
    """Warm shutdown waits for running tasks: make the camera runners return (releasing their leases)."""
    from workers.runner import request_shutdown

    request_shutdown()
