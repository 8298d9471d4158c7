"""Leases, supervisor, metrics collector and the run_camera command, against a real Redis and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from cameras.models import Camera
from tests.factories import CameraFactory
from workers import leases, metrics, services
from workers.runner import CameraRunner, ExitReason


def test_lease_is_exclusive_and_only_its_owner_can_renew_or_release(private_redis):
    first = leases.lease_acquire(7, ttl_s=5, client=private_redis)
    assert first is not None and first.valid
    assert leases.lease_acquire(7, ttl_s=5, client=private_redis) is None
    assert leases.lease_holder(7, private_redis) == first.token

    # another runner's token can neither extend nor delete it
    intruder = leases.Lease(private_redis, 7, "someone-else", 5, time.monotonic() + 5)
    assert intruder.renew() is False and intruder.lost
    assert intruder.release() is False
    assert leases.lease_holder(7, private_redis) == first.token

    assert first.renew() is True
    assert first.release() is True
    assert leases.lease_holder(7, private_redis) is None
    assert leases.lease_acquire(7, ttl_s=5, client=private_redis) is not None


def test_lease_expires_without_renewal_and_runner_sees_it_first(private_redis):
    lease = leases.lease_acquire(8, ttl_s=0.5, client=private_redis)
    # the local deadline never outlives the key: once Redis could hand it out, `valid` is already False
    deadline = time.monotonic() + 5
    while leases.lease_holder(8, private_redis) is not None and time.monotonic() < deadline:
        assert lease.valid or leases.lease_holder(8, private_redis) is None
        time.sleep(0.02)
    assert not lease.valid
    other = leases.lease_acquire(8, ttl_s=5, client=private_redis)
    assert other is not None
    assert lease.renew() is False  # taken by the other runner meanwhile: lost for good
    assert leases.lease_holder(8, private_redis) == other.token


def test_renew_takes_back_a_vacant_lease_after_redis_lost_it(private_redis):
    lease = leases.lease_acquire(9, ttl_s=5, client=private_redis)
    private_redis.flushdb()  # what a restarted Redis without persistence looks like
    assert lease.renew() is True
    assert leases.lease_holder(9, private_redis) == lease.token


@pytest.mark.django_db
def test_supervisor_dispatches_each_unleased_enabled_camera_once(private_redis):
    running = CameraFactory(rtsp_url="rtsp://127.0.0.1:1/a")
    idle = CameraFactory(rtsp_url="rtsp://127.0.0.1:1/b")
    CameraFactory(rtsp_url="rtsp://127.0.0.1:1/c", enabled=False)
    CameraFactory(rtsp_url="")
    leases.lease_acquire(running.pk, ttl_s=30, client=private_redis)

    sent: list[int] = []
    result = services.cameras_supervise(sent.append)
    assert sent == [idle.pk]
    assert result["running"] == 1
    # the next tick does not queue a second message while the first waits for a worker
    services.cameras_supervise(sent.append)
    assert sent == [idle.pk]
    # a runner that started clears the mark; once it is gone the camera is dispatched again
    leases.dispatch_clear(idle.pk, private_redis)
    services.cameras_supervise(sent.append)
    assert sent == [idle.pk, idle.pk]


@pytest.mark.django_db
def test_supervisor_marks_online_cameras_without_a_runner_offline(private_redis):
    orphan = CameraFactory(rtsp_url="rtsp://127.0.0.1:1/a", status=Camera.Status.ONLINE, last_heartbeat=None)
    alive = CameraFactory(rtsp_url="rtsp://127.0.0.1:1/b", status=Camera.Status.ONLINE, last_heartbeat=None)
    leases.lease_acquire(alive.pk, ttl_s=30, client=private_redis)
    services.cameras_supervise(lambda pk: None)
    orphan.refresh_from_db()
    alive.refresh_from_db()
    assert orphan.status == Camera.Status.OFFLINE and "no worker" in orphan.last_error
    assert alive.status == Camera.Status.ONLINE


@pytest.mark.django_db
def test_runner_returns_at_once_when_another_runner_holds_the_camera(private_redis):
    camera = CameraFactory(rtsp_url="rtsp://127.0.0.1:1/a")
    holder = leases.lease_acquire(camera.pk, ttl_s=30, client=private_redis)
    assert CameraRunner(camera.pk, client=private_redis).run() == ExitReason.HELD
    assert leases.lease_holder(camera.pk, private_redis) == holder.token


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/etc/hostname", "file:///etc/hostname", "concat:/etc/hostname", "udp://10.0.0.1:5"])
def test_runner_never_opens_a_stored_url_that_is_not_a_camera_stream(private_redis, settings, url):
    # Rows stored before URL validation existed (or brought in by import_store) must not make a worker read files.
    settings.CAMERA_ALLOW_FILE_SOURCES = False
    camera = CameraFactory(rtsp_url=url)
    assert CameraRunner(camera.pk, client=private_redis, max_seconds=1).run() == ExitReason.STOPPED
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ERROR
    assert "refused" in camera.last_error


def test_collector_turns_runner_hashes_into_prometheus_metrics(private_redis, settings):
    metrics.camera_metrics_write(private_redis, 1, {
        "store": "store_a", "camera": "cam_1", "processed_fps": 3.9, "lag_seconds": 0.2, "detection_ms": 21.5,
        "frame_age_seconds": 0.05, "online": 1, "frames_processed_total": 120, "frames_dropped_total": 4,
        "reconnects_total": 2, "events_total": 9, "inference_queue_depth": 1,
    })
    private_redis.sadd(metrics.METRICS_INDEX, f"{metrics.METRICS_PREFIX}999")  # expired runner
    families = {f.name: f for f in metrics.CameraMetricsCollector().collect()}
    sample = {s.name: s for f in families.values() for s in f.samples}
    assert sample["wink_camera_processed_fps"].labels == {"store": "store_a", "camera": "cam_1"}
    assert sample["wink_camera_processed_fps"].value == pytest.approx(3.9)
    assert sample["wink_camera_reconnects_total"].value == 2
    assert sample["wink_camera_frames_dropped_total"].value == 4
    assert sample["wink_cameras_running"].value == 1
    assert not private_redis.sismember(metrics.METRICS_INDEX, f"{metrics.METRICS_PREFIX}999")


def test_metrics_endpoint_lists_camera_metrics(private_redis, client):
    metrics.camera_metrics_write(private_redis, 3, {"store": "s1", "camera": "door", "processed_fps": 4.0})
    body = client.get("/metrics").content.decode()
    assert 'wink_camera_processed_fps{camera="door",store="s1"} 4.0' in body


@pytest.mark.django_db
def test_run_camera_command_names_the_problem(private_redis):
    with pytest.raises(CommandError, match="camera_id: no camera 'nope'"):
        call_command("run_camera", "nope")
    CameraFactory(camera_id="blind", rtsp_url="")
    with pytest.raises(CommandError, match="rtsp_url"):
        call_command("run_camera", "blind")
    busy = CameraFactory(camera_id="busy", rtsp_url="rtsp://127.0.0.1:1/x")
    leases.lease_acquire(busy.pk, ttl_s=30, client=private_redis)
    with pytest.raises(CommandError, match="being processed by"):
        call_command("run_camera", "busy")
    with pytest.raises(CommandError, match="--seconds"):
        call_command("run_camera", "busy", seconds=-1)
