"""Whether a camera is online: the one rule, for every API, page, metric and job that says so.

A camera is **online** when it is enabled, its last heartbeat is at most
``CAMERA_ONLINE_HEARTBEATS × HEARTBEAT_INTERVAL_SECONDS`` old, and its last report was not a failure
(status ``error`` / ``offline``). With the default 30 s interval a camera goes offline once 60 s pass
without a heartbeat: two missed heartbeats, as the dashboard API documents, and as long as the live
state a heartbeat writes (``events.services.camera_heartbeat_record``) is kept.

- ``camera_online_since(now)``: the oldest heartbeat that still counts at ``now`` (for queries);
- ``camera_status(camera, now)``: ``online`` / ``offline`` / ``error`` as shown to people;
- ``camera_is_online(camera, now)``: ``camera_status(...) == "online"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from cameras.models import Camera

CAMERA_ONLINE_HEARTBEATS = 2


def camera_online_window() -> timedelta:
    return timedelta(seconds=CAMERA_ONLINE_HEARTBEATS * settings.HEARTBEAT_INTERVAL_SECONDS)


def camera_online_since(now: datetime) -> datetime:
    """Heartbeats at or after this instant count as fresh at `now`."""
    return now - camera_online_window()


def heartbeat_is_fresh(last_heartbeat: datetime | None, now: datetime) -> bool:
    """A heartbeat at or after `camera_online_since(now)` (a later one too: the hourly coverage asks about an
    hour's start)."""
    return last_heartbeat is not None and last_heartbeat >= camera_online_since(now)


def camera_status(camera: Camera, now: datetime) -> str:
    """What a camera is at `now`: offline (disabled or no fresh heartbeat), error (it reports a failure), online."""
    if not camera.enabled or not heartbeat_is_fresh(camera.last_heartbeat, now):
        return Camera.Status.OFFLINE
    if camera.status in (Camera.Status.ERROR, Camera.Status.OFFLINE):
        return camera.status
    return Camera.Status.ONLINE


def camera_is_online(camera: Camera, now: datetime) -> bool:
    return camera_status(camera, now) == Camera.Status.ONLINE
