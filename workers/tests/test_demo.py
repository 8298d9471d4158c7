"""`make demo`: the data step (the real pipeline over simulated traffic, stored through the ingestion service) and
the live camera (the central-mode runner on a looping clip of real person pixels, without Redis leases)."""

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from cameras.models import Camera
from dashboard.selectors import live_metrics
from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent
from tests.factories import UserFactory
from vision.synthetic import demo_scene
from workers import leases
from workers.demo import FLOOR_CAMERA_ID, LIVE_CAMERA_ID, LiveDemoCamera, demo_data_generate, demo_live_prepare
from workers.frames import annotated_frame_read
from workers.runner import ExitReason
from zones.models import EntranceLine


@pytest.mark.django_db
def test_demo_runs_the_pipeline_and_is_idempotent(store):
    result = demo_data_generate(store, history_days=2)
    camera = store.cameras.get(camera_id=FLOOR_CAMERA_ID)
    assert EntranceLine.objects.filter(camera=camera).exists()
    assert set(camera.zones.values_list("ztype", flat=True)) == {"general", "shelf", "queue"}
    stored = sum(model.objects.filter(camera=camera).count()
                 for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent))
    assert result["sessions"] > 0 and result["accepted"] == stored > 0
    assert EntranceEvent.objects.filter(camera=camera, direction="in").exists()
    assert QueueEvent.objects.filter(camera=camera, wait_seconds__gt=0).exists()
    newest = EntranceEvent.objects.filter(camera=camera).latest("ts").ts
    assert newest <= timezone.now() + dt.timedelta(seconds=1)  # never events from the future
    # Person keys carry a per-session prefix, so two sessions' "t1" stay different people.
    keys = set(ZoneEvent.objects.filter(camera=camera).values_list("person_key", flat=True))
    assert len({key.split("-")[0] for key in keys}) > 1
    again = demo_data_generate(store, history_days=2)
    assert again["skipped"] is True
    assert sum(model.objects.filter(camera=camera).count()
               for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent)) == stored


def test_local_leases_hold_one_runner_per_camera_without_redis():
    store = leases.LocalLeases()
    first = leases.lease_acquire(7, ttl_s=5, client=store)
    assert first is not None and first.valid and store.holder(7) == first.token
    assert leases.lease_acquire(7, ttl_s=5, client=store) is None  # held
    assert first.renew() and first.valid
    leases.lease_journal_add(7, "start", first.token, store, worker="w")
    assert [e["event"] for e in leases.lease_journal(7, store)] == ["start"]
    assert first.release() and not first.valid and store.holder(7) is None
    assert not first.renew()  # released for good
    second = leases.lease_acquire(7, ttl_s=5, client=store)
    assert second is not None and second.token != first.token


def _truth_until(truth: dict, direction: str, clip_seconds: float) -> int:
    """Scripted crossings of ``direction`` up to ``clip_seconds`` into the looping clip."""
    loops, rest = divmod(clip_seconds, truth["duration"])
    per_loop = [c["t"] for c in truth["crossings"] if c["direction"] == direction]
    return int(loops) * len(per_loop) + sum(t <= rest for t in per_loop)


@pytest.mark.django_db(transaction=True)
def test_live_demo_camera_runs_the_clip_through_the_real_pipeline(store, org_member, settings, tmp_path):
    """`make demo`'s live camera: the runner (in-process lease, no Redis lease) on the looping clip of real person
    pixels goes online, shows people now, writes the clip's scripted door crossings and publishes an annotated
    frame that only the store's organisation can see."""
    settings.CAMERA_ALLOW_FILE_SOURCES = True  # what scripts/demo.py sets for its own process
    settings.MEDIA_ROOT = tmp_path / "media"
    camera = demo_live_prepare(store, tmp_path / "demo")
    assert camera.camera_id == LIVE_CAMERA_ID and camera.enabled
    assert set(camera.zones.values_list("ztype", flat=True)) == {"general", "shelf", "queue"}
    assert EntranceLine.objects.filter(camera=camera).exists()
    assert demo_live_prepare(store, tmp_path / "demo").pk == camera.pk  # idempotent; the clip is reused
    truth = json.loads((tmp_path / "demo" / "live.truth.json").read_text())
    truth["duration"] = demo_scene().duration

    member = UserFactory()
    store.organization.members.add(member)
    outsider, _ = org_member
    local = leases.LocalLeases()
    started = time.monotonic()
    live = LiveDemoCamera(camera, client=local, annotate_every_s=1.0).start()
    try:
        people, online, frame_seen = 0, False, False
        deadline = started + 60
        while time.monotonic() < deadline and live.thread.is_alive():
            time.sleep(0.5)
            state = live_metrics(store, timezone.now())
            people = max(people, state["people_now"] or 0)
            camera.refresh_from_db()
            online = online or camera.status == Camera.Status.ONLINE
            if not frame_seen and annotated_frame_read(camera.pk) is not None:
                frame_seen = True
                assert local.holder(camera.pk) is not None  # the lease is held in-process while it runs
                web = Client()
                web.force_login(member)
                response = web.get(f"/cameras/{camera.pk}/live.jpg")
                assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
                assert response.content[:2] == b"\xff\xd8" and "no-store" in response["Cache-Control"]
                web.force_login(outsider)
                assert web.get(f"/cameras/{camera.pk}/live.jpg").status_code == 404
            ins = EntranceEvent.objects.filter(camera=camera, direction="in").count()
            outs = EntranceEvent.objects.filter(camera=camera, direction="out").count()
            if people and online and frame_seen and ins >= 2 and outs >= 1:
                break
    finally:
        assert live.stop(timeout=30), "the runner thread did not stop"
    elapsed = time.monotonic() - started
    assert live.error is None and live.reason == ExitReason.STOPPED
    assert local.holder(camera.pk) is None  # lease released
    assert online and people > 0 and frame_seen
    ins = EntranceEvent.objects.filter(camera=camera, direction="in").count()
    outs = EntranceEvent.objects.filter(camera=camera, direction="out").count()
    # the scripted crossings: at least the first two ins and an out, never more than the clip has shown
    assert 2 <= ins <= _truth_until(truth, "in", elapsed)
    assert 1 <= outs <= _truth_until(truth, "out", elapsed)
