"""The edge collector against a real server process and PostgreSQL: self-test, delivery, and an API
outage of 60 s during which nothing is lost or counted twice."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import yaml

from cameras.models import EdgeKey
from edge.collector import EdgeCollector
from edge.config import load_edge_config
from events.keys import edge_key_revoke
from events.models import EntranceEvent, ZoneEvent
from tests.ingest_server import ServerProcess, ingest_cache_clear, tenant_create
from vision.sources import SyntheticSource
from vision.types import Detection

pytestmark = [pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
FPS = 4.0
FRAME = (1280, 720)


@pytest.fixture
def server(django_db_blocker):
    ingest_cache_clear()
    process = ServerProcess().start()
    yield process
    process.stop()


def write_config(tmp_path, server, tenant, **top) -> Path:
    data = {
        "api_base": server.base, "api_key": tenant.store_key, "org_id": str(tenant.organization.pk),
        "store_id": tenant.store.store_id, "buffer_dir": str(tmp_path / "buffers"),
        "batch_interval_seconds": 1, "heartbeat_interval_seconds": 5, **top,
        "cameras": [
            {"camera_id": "cam_entrance_01", "rtsp": "rtsp://admin:pass@127.0.0.1:1/none",
             "capabilities": ["entrance"], "screenshot_size": [1920, 1080],
             "entrance_line": [[960, 400], [960, 700]], "fps": FPS,
             "api_key": tenant.camera_keys["cam_entrance_01"]},  # per-camera key override
            {"camera_id": "cam_zone_01", "rtsp": "rtsp://admin:pass@127.0.0.1:1/none",
             "capabilities": ["zones", "shelves"], "screenshot_size": [1920, 1080], "fps": FPS,
             "zones": {"electronics": [[300, 200], [800, 200], [800, 600], [300, 600]]},
             "shelves": {"shelf_promo": [[100, 100], [500, 100], [500, 400], [100, 400]]}},
        ],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class ScriptedDetector:
    """People walking at known positions; the frame index and camera are encoded in pixel (0, 0)."""

    def detect_one(self, image):
        index = int(image[0, 0, 0]) + 256 * int(image[0, 0, 1])
        camera = int(image[0, 0, 2])
        out = []
        for person in range(index // 8 + 1):
            step = index - person * 8
            if not 0 <= step < 48:
                continue
            if camera == 0:  # across the door line at x=640 (frame pixels), towards the inside point
                cx, bottom = 400 + step * 12.5, 300 + (person % 4) * 40
            else:  # through the electronics zone (x 200..533, y 133..400)
                cx, bottom = 60 + step * 14.0, 330
            out.append(Detection(cx - 30, bottom - 150, cx + 30, bottom, 0.9))
        return out


def paced_source_factory(n_frames: int, realtime: bool):
    start = datetime.now(UTC)

    def factory(camera):
        number = 0 if camera.camera_id == "cam_entrance_01" else 1
        began = time.monotonic()

        def render(index, t):
            if realtime:
                time.sleep(max(0.0, began + t - time.monotonic()))
            image = np.zeros((FRAME[1], FRAME[0], 3), np.uint8)
            image[0, 0] = (index % 256, index // 256, number)
            return image

        return SyntheticSource(n_frames, sample_fps=FPS, frame_size=FRAME, render=render, start_time=start)

    return factory


def stored_ids(store) -> list[str]:
    ids = [str(i) for i in EntranceEvent.objects.filter(store=store).values_list("event_id", flat=True)]
    ids += [str(i) for i in ZoneEvent.objects.filter(store=store).values_list("event_id", flat=True)]
    return ids


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_selftest_report_as_in_the_guide(server, tmp_path):
    tenant = tenant_create()
    path = write_config(tmp_path, server, tenant)
    result = subprocess.run([sys.executable, "-m", "edge", "selftest", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = [
        "🧪 WINK EDGE COLLECTOR TEST SUITE", "📋 Validating configuration...", "  ✅ Config valid",
        f"     API: {server.base}", f"     Store: {tenant.store.store_id}", "     Cameras: 2",
        "📐 Testing polygon scaling...", "  ✅ Polygon scaling correct", "  ✅ Point-in-polygon check correct",
        "💾 Testing offline buffering...", "  🔌 Simulating offline mode...", "  ✅ Event buffered to disk (1 events)",
        "🔗 Testing API connectivity...", "  📡 Sending heartbeat...", "  ✅ Heartbeat successful",
        "📤 Testing event ingestion...", "  📊 Sending 4 test events...", "  ✅ Events sent successfully",
        "✅ ALL TESTS PASSED",
    ]
    lines = result.stdout.splitlines()
    assert [line for line in lines if line in expected] == expected
    assert EntranceEvent.objects.filter(store=tenant.store).count() == 0  # the self-test stores nothing

    edge_key_revoke(EdgeKey.objects.get(camera=tenant.cameras["cam_entrance_01"]))
    result = subprocess.run([sys.executable, "-m", "edge", "selftest", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "❌ Heartbeat failed for cam_entrance_01: 401" in result.stdout
    assert "TEST(S) FAILED" in result.stdout


def test_collector_delivers_every_event_once_with_heartbeats(server, tmp_path):
    tenant = tenant_create()
    config = load_edge_config(write_config(tmp_path, server, tenant))
    collector = EdgeCollector(config, detector=ScriptedDetector(), source_factory=paced_source_factory(200, False))
    collector.start()
    try:
        assert wait_until(lambda: collector.sources_finished() and collector.pending() == 0, 60)
        produced = [i for r in collector.runners.values() for i in r.produced_ids]
        # 200 frames, a new scripted person every 8: persons 0-22 cross the door (step 20 of 48) and stay in the
        # zone for 2 s or more (persons 23-24 are cut off by the end): 23 `in` crossings + 23 zone stays
        assert len(produced) == 46 and len(set(produced)) == len(produced)
        assert wait_until(lambda: sorted(stored_ids(tenant.store)) == sorted(produced), 10)
        assert EntranceEvent.objects.filter(store=tenant.store, direction="in").count() == 23
        camera = tenant.cameras["cam_zone_01"]
        assert wait_until(lambda: type(camera).objects.get(pk=camera.pk).status == "online", 15)
    finally:
        collector.stop()


@pytest.mark.slow
def test_api_outage_of_60s_loses_nothing_and_counts_nothing_twice(server, tmp_path):
    tenant = tenant_create()
    config = load_edge_config(write_config(tmp_path, server, tenant, max_retry_delay_seconds=4))
    frames = int(FPS * 85)  # 85 s of video in real time
    collector = EdgeCollector(config, detector=ScriptedDetector(), source_factory=paced_source_factory(frames, True))
    collector.start()
    try:
        time.sleep(10)
        delivered_before = len(stored_ids(tenant.store))
        server.stop()
        outage = threading.Event()
        threading.Timer(60, outage.set).start()
        outage.wait()
        pending_during_outage = collector.pending()
        server.start()
        assert wait_until(lambda: collector.sources_finished() and collector.pending() == 0, 90)
    finally:
        collector.stop()
    produced = [i for r in collector.runners.values() for i in r.produced_ids]
    stored = stored_ids(tenant.store)
    assert delivered_before > 0 and pending_during_outage > 0  # events were flowing, then buffered
    assert len(set(produced)) == len(produced)
    assert sorted(stored) == sorted(produced)  # every event exactly once


def test_unreachable_stream_is_reported_as_camera_error(server, tmp_path):
    tenant = tenant_create()
    path = write_config(tmp_path, server, tenant, heartbeat_interval_seconds=1)
    config = load_edge_config(path)
    config.cameras = config.cameras[:1]  # rtsp://…@127.0.0.1:1 — nothing listens there
    collector = EdgeCollector(config, detector=ScriptedDetector())  # the real RTSP source
    collector.start()
    camera = tenant.cameras["cam_entrance_01"]
    try:
        assert wait_until(lambda: type(camera).objects.get(pk=camera.pk).status == "error", 20)
        assert "refused" in type(camera).objects.get(pk=camera.pk).last_error
        assert "pass" not in type(camera).objects.get(pk=camera.pk).last_error  # credentials never leave the box
    finally:
        collector.stop(timeout=2)
