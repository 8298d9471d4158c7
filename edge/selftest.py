"""`python -m edge selftest config.yaml`: the deployment guide's edge test suite.

Checks: config valid; polygon scaling (screenshot → frame pixels) and point-in-polygon; offline
buffering (an event written while the API is unreachable is on disk after a restart); heartbeat
per camera with its key; event ingestion (4 test events per camera, sent as a dry run: the server
authenticates and validates them but stores nothing, so a self-test never adds fake visitors).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from edge.buffer import EventBuffer
from edge.client import IngestClient
from edge.config import EdgeConfig, EdgeConfigError, load_edge_config
from vision.events import iso
from vision.geometry import Region

RULE = "=" * 70
TEST_FRAME_SIZE = (1280, 720)
UNREACHABLE_API = "http://127.0.0.1:9"  # discard port: nothing listens, the connection is refused


def test_events(now: datetime | None = None) -> list[dict]:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    enter = now - timedelta(minutes=2)
    return [
        {"event_id": str(uuid.uuid4()), "type": "entrance", "ts": iso(now), "direction": "in",
         "person_key": "selftest_1"},
        {"event_id": str(uuid.uuid4()), "type": "zone", "ts": iso(now), "zone_id": "selftest",
         "enter_ts": iso(enter), "exit_ts": iso(now), "dwell_seconds": 120.0, "person_key": "selftest_1"},
        {"event_id": str(uuid.uuid4()), "type": "shelf", "ts": iso(now), "shelf_id": "selftest",
         "dwell_seconds": 15.5, "person_key": "selftest_1"},
        {"event_id": str(uuid.uuid4()), "type": "queue", "ts": iso(now), "queue_id": "selftest",
         "enter_ts": iso(enter), "exit_ts": iso(now), "wait_seconds": 120.0, "person_key": "selftest_2"},
    ]


class SelfTest:
    def __init__(self, config_path: str, out: Callable[[str], None] = print):
        self.config_path = config_path
        self.out = out
        self.failures: list[str] = []
        self.config: EdgeConfig | None = None

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.out(f"  ❌ {message}")

    def run(self) -> int:
        self.out(RULE)
        self.out("🧪 WINK EDGE COLLECTOR TEST SUITE")
        self.out(RULE)
        if self.check_config():
            self.check_geometry()
            self.check_buffering()
            client = IngestClient(self.config.api_base, timeout=self.config.request_timeout_seconds)
            try:
                self.check_heartbeat(client)
                self.check_ingestion(client)
            finally:
                client.close()
        self.out("")
        self.out(RULE)
        if self.failures:
            self.out(f"❌ {len(self.failures)} TEST(S) FAILED")
        else:
            self.out("✅ ALL TESTS PASSED")
        self.out(RULE)
        return 1 if self.failures else 0

    def check_config(self) -> bool:
        self.out("📋 Validating configuration...")
        try:
            self.config = load_edge_config(self.config_path)
        except EdgeConfigError as error:
            self.fail(f"Config invalid: {error}")
            return False
        self.out("  ✅ Config valid")
        self.out(f"     API: {self.config.api_base}")
        self.out(f"     Store: {self.config.store_id}")
        self.out(f"     Cameras: {len(self.config.cameras)}")
        for warning in self.config.warnings:
            self.out(f"     ⚠️  {warning}")
        return True

    def check_geometry(self) -> None:
        self.out("")
        self.out("📐 Testing polygon scaling...")
        scaling_ok = inside_ok = True
        for camera in self.config.cameras:
            vision = camera.vision
            frame = vision.frame_size or TEST_FRAME_SIZE
            shot = vision.screenshot_size or frame
            scaled = vision.scaled_to(frame)
            sx, sy = frame[0] / shot[0], frame[1] / shot[1]
            for kind in ("zones", "shelves", "queues"):
                for rid, polygon in getattr(vision, kind).items():
                    got = getattr(scaled, kind)[rid]
                    want = [(x * sx, y * sy) for x, y in polygon]
                    if any(abs(a - c) > 1e-6 or abs(b - d) > 1e-6 for (a, b), (c, d) in zip(got, want, strict=True)):
                        scaling_ok = False
                        self.fail(f"Polygon scaling wrong for {camera.camera_id}/{rid}")
                    region = Region(got)
                    centre = region.poly.representative_point()
                    maxx, maxy = region.poly.bounds[2:]
                    if not region.contains((centre.x, centre.y)) or region.contains((maxx + 10, maxy + 10)):
                        inside_ok = False
                        self.fail(f"Point-in-polygon wrong for {camera.camera_id}/{rid}")
            if vision.entrance_line and scaled.entrance_line:
                (x0, y0), (x1, y1) = vision.entrance_line[0], scaled.entrance_line[0]
                if abs(x0 * sx - x1) > 1e-6 or abs(y0 * sy - y1) > 1e-6:
                    scaling_ok = False
                    self.fail(f"Entrance line scaling wrong for {camera.camera_id}")
        if scaling_ok:
            self.out("  ✅ Polygon scaling correct")
        if inside_ok:
            self.out("  ✅ Point-in-polygon check correct")

    def check_buffering(self) -> None:
        self.out("")
        self.out("💾 Testing offline buffering...")
        self.out("  🔌 Simulating offline mode...")
        camera = self.config.cameras[0]
        with tempfile.TemporaryDirectory(prefix="wink-selftest-") as directory:
            buffer = EventBuffer(directory)
            buffer.append(test_events()[:1])
            offline = IngestClient(UNREACHABLE_API, timeout=2)
            result = offline.send_events(api_key=camera.api_key, org_id=self.config.org_id,
                                         store_id=self.config.store_id, camera_id=camera.camera_id,
                                         events=buffer.peek(10), dry_run=True)
            offline.close()
            buffer.close()
            if result.ok:
                self.fail("Offline mode could not be simulated (something answered on the discard port)")
                return
            reopened = EventBuffer(directory)  # as after a restart or a power cut
            count = reopened.pending_count()
            reopened.close()
        if count == 1:
            self.out(f"  ✅ Event buffered to disk ({count} events)")
        else:
            self.fail(f"Buffer holds {count} events after a restart, expected 1")

    def check_heartbeat(self, client: IngestClient) -> None:
        self.out("")
        self.out("🔗 Testing API connectivity...")
        self.out("  📡 Sending heartbeat...")
        ok = True
        for camera in self.config.cameras:
            result = client.heartbeat(api_key=camera.api_key, org_id=self.config.org_id,
                                      store_id=self.config.store_id, camera_id=camera.camera_id,
                                      status_data={"selftest": True})
            if not result.ok:
                ok = False
                self.fail(f"Heartbeat failed for {camera.camera_id}: {result.status or 'no answer'} {result.error}")
        if ok:
            self.out("  ✅ Heartbeat successful")

    def check_ingestion(self, client: IngestClient) -> None:
        self.out("")
        self.out("📤 Testing event ingestion...")
        events = test_events()
        self.out(f"  📊 Sending {len(events)} test events...")
        ok = True
        for camera in self.config.cameras:
            result = client.send_events(api_key=camera.api_key, org_id=self.config.org_id,
                                        store_id=self.config.store_id, camera_id=camera.camera_id,
                                        events=events, dry_run=True)
            body = result.body or {}
            if not result.ok:
                ok = False
                self.fail(f"Events not accepted for {camera.camera_id}: {result.status or 'no answer'} {result.error}")
            elif body.get("rejected"):
                ok = False
                reasons = "; ".join(item["reason"] for item in body.get("rejected_events", []))
                self.fail(f"{body['rejected']} test event(s) rejected for {camera.camera_id}: {reasons}")
        if ok:
            self.out("  ✅ Events sent successfully")


def run_selftest(config_path: str, out: Callable[[str], None] = print) -> int:
    return SelfTest(config_path, out).run()
