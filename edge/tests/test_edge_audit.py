"""Edge mode count audit against a real server process and PostgreSQL: the collector keeps blurred evidence of
an audit window (only of it), the API is down for part of the window, and the evidence is uploaded afterwards,
in pieces, once the audit asks for it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import cv2
import pytest

from audits import evidence
from audits.models import Audit
from edge.collector import EdgeCollector
from edge.config import load_edge_config
from edge.tests.test_collector import FPS, ScriptedDetector, paced_source_factory, wait_until, write_config
from tests.ingest_server import ServerProcess, ingest_cache_clear, tenant_create

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_collector_records_a_window_and_uploads_it_after_an_outage(tmp_path, settings):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    ingest_cache_clear()
    server = ServerProcess(env={"MEDIA_ROOT": str(media)}).start()
    try:
        tenant = tenant_create()
        camera = tenant.cameras["cam_entrance_01"]
        now = datetime.now(UTC)
        audit = Audit.objects.create(camera=camera, kind="entrance", start=now + timedelta(seconds=4),
                                     end=now + timedelta(seconds=14), upload_requested=True)
        config = load_edge_config(write_config(tmp_path, server, tenant))
        collector = EdgeCollector(config, detector=ScriptedDetector(),
                                  source_factory=paced_source_factory(int(FPS * 24), True))
        for recorder in collector.audits.values():
            recorder.poll_s = 1.0
        collector.start()
        try:
            recorder = collector.audits["cam_entrance_01"]
            assert wait_until(lambda: recorder.windows, 20)  # the window is known before the outage
            time.sleep(max(0.0, (audit.start - datetime.now(UTC)).total_seconds() + 2))
            server.stop()  # down for most of the window and after it
            time.sleep(10)
            local = collector.audits["cam_entrance_01"].directory / str(audit.pk)
            assert len(list((local / "frames").glob("*.jpg"))) > 0  # kept on the box meanwhile
            assert not evidence.evidence_exists(audit.pk)
            server.start()
            assert wait_until(lambda: Audit.objects.get(pk=audit.pk).upload_complete, 60), recorder.last_error
        finally:
            collector.stop()
    finally:
        server.stop()
    records = evidence.evidence_index(audit.pk)
    times = [datetime.fromisoformat(r["ts"].replace("Z", "+00:00")) for r in records]
    assert records and all(audit.start <= t < audit.end for t in times)
    assert 0.8 * FPS * 10 <= len(records) <= FPS * 10 + 1
    frames = sorted((evidence.evidence_dir(audit.pk) / "frames").glob("*.jpg"))
    assert len(frames) == len(records)
    assert cv2.imread(str(frames[0])).shape[1] == 960  # 1280 px frames downscaled
    assert any(r["boxes"] for r in records) and any(e["type"] == "entrance" for r in records for e in r["events"])
    # the other camera had no window: nothing recorded for it
    other = collector.audits["cam_zone_01"].directory
    assert not other.exists() or not any(other.iterdir())
    assert json.loads(json.dumps(records[0]))["file"] == "frames/000000.jpg"
