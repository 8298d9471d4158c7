"""Central mode with real parts: the synthetic entrance (real person pixels, known crossings) played as a camera
through the real CameraRunner and the real detector; an audit window records blurred evidence, only inside the
window, and the auditor's true crossings give exact figures. Slow (about a minute on a laptop CPU)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import cv2
import numpy as np
import pytest
from rest_framework.test import APIClient

from audits import evidence
from audits.models import Audit
from events.models import EntranceEvent
from tests.factories import (
    CameraFactory,
    EntranceLineFactory,
    OrganizationFactory,
    StoreFactory,
    UserFactory,
    ZoneFactory,
)
from vision.evidence import evidence_scale, head_box
from vision.synthetic import default_scene
from workers.runner import CameraRunner, ExitReason
from workers.tests.cluster import wait_for

pytestmark = [pytest.mark.slow]

WINDOW = (8.0, 23.0)  # clip seconds: three crossings inside (≈11.5 in, ≈15.9 out, ≈20.1 in), ≥ 1.9 s from the ends


def source_frames(path, indices: set[int]) -> dict[int, np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames, index = {}, 0
    while indices - frames.keys():
        ok, image = capture.read()
        if not ok:
            break
        if index in indices:
            frames[index] = image
        index += 1
    capture.release()
    return frames


@pytest.mark.django_db(transaction=True)
def test_audit_window_records_blurred_evidence_and_exact_figures(synthetic_clip, private_redis, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CAMERA_ALLOW_FILE_SOURCES = True
    settings.CAMERA_EVENT_FLUSH_SECONDS = 0.5
    settings.CAMERA_CONFIG_POLL_SECONDS = 60
    organization = OrganizationFactory()
    admin = UserFactory()
    organization.members.add(admin)
    organization.admins.add(admin)
    camera = CameraFactory(store=StoreFactory(organization=organization), camera_id="door",
                           rtsp_url=str(synthetic_clip), frame_rate=4, detection_interval=1, min_dwell_seconds=0.5)
    ZoneFactory(camera=camera, zone_id="left", polygon=[[0, 0], [640, 0], [640, 720], [0, 720]],
                screenshot_width=1280, screenshot_height=720)
    EntranceLineFactory(camera=camera, start_x=640, start_y=0, end_x=640, end_y=720, inside_x=960, inside_y=360,
                        screenshot_width=1280, screenshot_height=720)
    scene = default_scene()
    truth = [c for c in scene.ground_truth()["crossings"] if WINDOW[0] <= c["t"] < WINDOW[1]]
    assert [c["direction"] for c in truth] == ["in", "out", "in"]

    stop = threading.Event()
    runner = CameraRunner(camera.pk, client=private_redis, stop_event=stop)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("reason", runner.run()), daemon=True)
    thread.start()
    wait_for(lambda: runner.source is not None and hasattr(runner.source, "_wall0"), 30, message="the stream opened")
    wall0 = runner.source._wall0  # the clip's t = 0 in wall time (the file loop dates frames from it)
    start, end = wall0 + dt.timedelta(seconds=WINDOW[0]), wall0 + dt.timedelta(seconds=WINDOW[1])
    api = APIClient()
    api.force_login(admin)
    created = api.post("/api/audits", {"camera_id": camera.pk, "kind": "entrance", "start": start.isoformat(),
                                       "end": end.isoformat()}, format="json")
    assert created.status_code == 201, created.content
    audit_id = created.json()["id"]
    assert not evidence.evidence_exists(audit_id)  # nothing before the window

    # until the runner has analysed frames well past the window (clip t ≈ 27 s), then stop it
    wait_for(lambda: runner.pipeline is not None and runner.driver.frames >= 4 * 27, 240,
             message="the runner to analyse 27 s of the clip")
    stop.set()
    thread.join(60)
    assert result.get("reason") == ExitReason.STOPPED

    records = evidence.evidence_index(audit_id)
    times = [dt.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")) for r in records]
    assert records and all(start <= t < end for t in times), "evidence outside the window"
    assert 0.8 * 4 * 15 <= len(records) <= 4 * 15 + 1  # every analysed frame of the 15 s window, at 4 fps
    assert sorted(p.name for p in evidence.audits_root().iterdir()) == [str(audit_id)]  # nothing else written
    frames_on_disk = sorted((evidence.evidence_dir(audit_id) / "frames").glob("*.jpg"))
    assert len(frames_on_disk) == len(records)

    # heads blurred: compare each recorded head region with the same region of the source frame, downscaled alike
    with_people = [r for r in records if r["boxes"]][:6]
    assert with_people
    indices = {round((t - wall0).total_seconds() * scene.fps) for r, t in zip(records, times, strict=True)
               if r in with_people}
    sources = source_frames(synthetic_clip, indices)
    for record, t in ((r, t) for r, t in zip(records, times, strict=True) if r in with_people):
        source = sources[round((t - wall0).total_seconds() * scene.fps)]
        scale = evidence_scale(source.shape[1])
        assert scale * 1280 == 960
        small = cv2.resize(source, (960, 540), interpolation=cv2.INTER_AREA).astype(np.int16)
        written = cv2.imread(str(evidence.evidence_dir(audit_id) / record["file"])).astype(np.int16)
        assert written.shape == (540, 960, 3)
        for box in record["boxes"]:
            xa, ya, xb, yb = head_box([v / scale for v in box], scale, (960, 540))
            head_diff = np.abs(written[ya:yb, xa:xb] - small[ya:yb, xa:xb]).mean()
            assert head_diff > 12, f"head region not blurred (mean difference {head_diff:.1f})"
        # away from people the frame is the source frame (JPEG noise only): the blur is where the heads are
        assert np.abs(written[:150, :] - small[:150, :]).mean() < 6

    # the auditor posts the true crossings; the system's own crossings of the window come from the stored events
    marks = [{"t": round(c["t"] - WINDOW[0], 3), "direction": c["direction"]} for c in truth]
    answer = api.post(f"/api/audits/{audit_id}/result", {"marks": marks}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    stored = list(EntranceEvent.objects.filter(camera=camera, ts__gte=start, ts__lt=end).values_list("direction",
                                                                                                    flat=True))
    system = {"in": stored.count("in"), "out": stored.count("out")}
    assert body["human"] == {"in": 2, "out": 1}
    assert body["system"] == system == {"in": 2, "out": 1}, json.dumps(body)
    assert body["accuracy"] == {"in": 1.0, "out": 1.0}
    assert body["matching"]["matched"] == 3 and body["matching"]["recall"] == 1.0
    assert body["matching"]["precision"] == 1.0
    assert not evidence.evidence_exists(audit_id)  # finishing deletes the frames
    assert Audit.objects.get(pk=audit_id).status == "done"
    accuracy = api.get(f"/api/cameras/{camera.pk}/accuracy").json()
    assert accuracy["audits"] == 1 and accuracy["in"]["accuracy"] == 1.0
