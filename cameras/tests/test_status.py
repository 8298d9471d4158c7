"""The one "is this camera online" rule (cameras.status), and every API that answers it agreeing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.models import Camera
from cameras.status import (
    CAMERA_ONLINE_HEARTBEATS,
    camera_is_online,
    camera_online_since,
    camera_status,
    heartbeat_is_fresh,
)
from tests.factories import CameraFactory

pytestmark = pytest.mark.django_db


def _limit(settings) -> int:
    return CAMERA_ONLINE_HEARTBEATS * settings.HEARTBEAT_INTERVAL_SECONDS


def test_online_means_enabled_fresh_and_not_failing(store, settings):
    now = timezone.now()
    limit = _limit(settings)
    assert CAMERA_ONLINE_HEARTBEATS == 2  # documented: offline once 2 × HEARTBEAT_INTERVAL_SECONDS pass
    camera = Camera(store=store, camera_id="c", enabled=True, status=Camera.Status.ONLINE)
    for age, online in ((0, True), (limit - 1, True), (limit, True), (limit + 1, False)):
        camera.last_heartbeat = now - timedelta(seconds=age)
        assert camera_is_online(camera, now) is online, age
        assert heartbeat_is_fresh(camera.last_heartbeat, now) is online
    assert camera_online_since(now) == now - timedelta(seconds=limit)
    camera.last_heartbeat = now
    camera.status = Camera.Status.UNKNOWN  # a first heartbeat from a camera never marked
    assert camera_status(camera, now) == Camera.Status.ONLINE
    camera.status = Camera.Status.ERROR
    assert camera_status(camera, now) == Camera.Status.ERROR and not camera_is_online(camera, now)
    camera.status, camera.enabled = Camera.Status.ONLINE, False
    assert camera_status(camera, now) == Camera.Status.OFFLINE
    camera.enabled, camera.last_heartbeat = True, None
    assert camera_status(camera, now) == Camera.Status.OFFLINE


def test_dashboard_and_analytics_apis_give_the_same_online_answer(api, store, settings):
    """The overview page polls both /api/dashboard/live and /api/analytics/realtime: one answer per camera."""
    limit = _limit(settings)
    now = timezone.now()
    ages = {"cam_age_0": 0, "cam_age_below": limit - 1, "cam_age_above": limit + 1, "cam_age_far": 10 * limit}
    for camera_id, age in ages.items():
        CameraFactory(store=store, camera_id=camera_id, status=Camera.Status.ONLINE,
                      last_heartbeat=now - timedelta(seconds=age))
    CameraFactory(store=store, camera_id="cam_failing", status=Camera.Status.ERROR, last_heartbeat=now)
    CameraFactory(store=store, camera_id="cam_never", status=Camera.Status.UNKNOWN, last_heartbeat=None)

    def online(path: str) -> dict[str, bool]:
        response = api.get(path, {"store_id": store.store_id})
        assert response.status_code == 200, response.content
        return {c["camera_id"]: c["status"] == "online" for c in response.json()["cameras"]}

    realtime = online("/api/analytics/realtime")
    expected = {camera_id: age <= limit for camera_id, age in ages.items()}
    expected.update(cam_failing=False, cam_never=False)
    assert realtime == expected
    assert online("/api/dashboard/live") == expected
    assert online("/api/dashboard/cameras") == expected
    body = api.get("/api/analytics/realtime", {"store_id": store.store_id}).json()
    assert body["cameras_online"] == 2 and body["cameras_total"] == 6
