"""Writes for the camera workers: camera status, events and live state, and the supervisor."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cameras.models import Camera
from cameras.status import camera_online_since
from workers import leases
from workers.selectors import camera_pks_to_run

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


def camera_status_set(camera_pk: int, status: str, *, error: str | None = None) -> None:
    """Set online/offline/error. Online also stamps the heartbeat; ``error`` replaces last_error."""
    if status not in Camera.Status.values:
        raise ValueError(f"status must be one of {Camera.Status.values}")
    fields: dict = {"status": status}
    if status == Camera.Status.ONLINE:
        fields["last_heartbeat"] = timezone.now()
    if error is not None:
        fields["last_error"] = error[:MAX_ERROR_LENGTH]
    Camera.objects.filter(pk=camera_pk).update(**fields)


def camera_heartbeat(camera_pk: int) -> None:
    Camera.objects.filter(pk=camera_pk).update(last_heartbeat=timezone.now())


def camera_events_write(camera: Camera, events: list[dict]):
    """One batch through THE event write path (idempotent on event_id)."""
    from events.services import events_record_batch

    return events_record_batch(store=camera.store, camera=camera, events=events, source="central")


def camera_live_state_write(camera: Camera, state: dict, ttl: float) -> None:
    from events.live import live_state_write

    live_state_write(camera.store.store_id, camera.camera_id, state, ttl)


def cameras_supervise(dispatch: Callable[[int], object]) -> dict:
    """Dispatch a runner for every enabled camera that no live lease covers; fix stale statuses.

    ``dispatch(pk)`` sends the task. A camera gets at most one message per dispatch window, and a
    duplicate that still arrives finds the lease taken and returns at once."""
    client = leases.redis_connection()
    wanted = camera_pks_to_run()
    held = leases.leases_held(wanted, client)
    window = max(30.0, 6 * settings.CAMERA_SUPERVISE_INTERVAL_SECONDS)
    dispatched = []
    for pk in wanted:
        if pk in held:
            continue
        if leases.dispatch_mark(pk, window, client):
            dispatch(pk)
            dispatched.append(pk)
    # Status "online" without a runner behind it (worker killed, camera disabled): say so.
    stale_before = camera_online_since(timezone.now())  # no fresh heartbeat by the one rule (cameras.status)
    candidates = list(
        Camera.objects.filter(status=Camera.Status.ONLINE)
        .filter(Q(enabled=False) | Q(last_heartbeat__lt=stale_before) | Q(last_heartbeat__isnull=True))
        .values_list("pk", flat=True)
    )
    live = leases.leases_held(candidates, client)
    orphans = [pk for pk in candidates if pk not in live]
    if orphans:
        Camera.objects.filter(pk__in=orphans, status=Camera.Status.ONLINE).update(
            status=Camera.Status.OFFLINE, last_error="no worker is processing this camera"
        )
    if dispatched:
        log.info("supervisor dispatched cameras %s", dispatched)
    return {"cameras": len(wanted), "running": len(held), "dispatched": dispatched, "orphans": orphans}
