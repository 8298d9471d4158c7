"""RtspSource against a real RTSP server (GStreamer, scripts/rtsp_server.py) on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time

import cv2
import numpy as np
import pytest

from tests.rtsp import CONCOURSE, RtspServer, rtsp_unavailable_reason
from vision.sources import RtspSource, SourceError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(rtsp_unavailable_reason() is not None, reason=rtsp_unavailable_reason() or ""),
]
needs_concourse = pytest.mark.skipif(not CONCOURSE.is_file(), reason=f"real footage {CONCOURSE} not present")


def wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory):
    """4 s of 640x360 at 25 fps with a moving bar (MPEG-4 part 2: the server transcodes it to H.264)."""
    path = tmp_path_factory.mktemp("rtsp") / "bar.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (640, 360))
    for i in range(100):
        img = np.full((360, 640, 3), 90, np.uint8)
        cv2.rectangle(img, (i * 6, 100), (i * 6 + 40, 260), (20, 220, 240), -1)
        writer.write(img)
    writer.release()
    return path


def read_some(src: RtspSource, n: int, timeout: float = 20.0) -> list:
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        packet = src.read(timeout=1.0)
        if packet is not None:
            got.append(packet)
    return got


@needs_concourse
def test_reads_the_concourse_stream():
    with RtspServer({"concourse": CONCOURSE}) as server:
        src = RtspSource(server.url("concourse"), sample_fps=5, open_timeout_s=10).start(require_connection=True)
        try:
            packets = read_some(src, 10)
            stats = src.stats()
        finally:
            src.close()
    assert len(packets) == 10
    assert [p.index for p in packets] == list(range(10))
    assert all(p.image.shape == (720, 1280, 3) for p in packets)
    assert all(b.t > a.t for a, b in itertools.pairwise(packets))
    assert packets[0].image.std() > 20  # real picture, not a grey error frame
    assert stats["status"] == "connected" and stats["frame_size"] == [1280, 720]
    # the stream runs at 25 fps, we sample 5: the reader decodes more than it hands out
    assert stats["frames_read"] > stats["frames_delivered"]


def test_slow_consumer_gets_the_newest_frame_not_a_backlog(small_clip):
    with RtspServer({"bar": small_clip}) as server:
        src = RtspSource(server.url("bar"), sample_fps=12).start(require_connection=True)
        try:
            assert read_some(src, 1)
            for _ in range(4):
                time.sleep(0.6)  # a consumer 7x slower than the sampling rate
                packet = src.read(timeout=5)
            stats = src.stats()
        finally:
            src.close()
    # a queue would hand out frame 5 (t ~ 0.4 s); newest-only hands out one from ~2.4 s in
    assert packet.index == 4
    assert packet.t > 1.5
    assert stats["frames_dropped"] >= 10


def test_reconnects_after_the_server_comes_back(small_clip):
    server = RtspServer({"bar": small_clip}).start()
    src = RtspSource(server.url("bar"), sample_fps=10, open_timeout_s=3, read_timeout_s=3,
                     backoff_initial_s=0.3, backoff_max_s=1.0).start(require_connection=True)
    try:
        assert read_some(src, 3)
        server.stop()
        assert wait_for(lambda: src.stats()["status"] == "reconnecting", 20), src.stats()
        assert src.stats()["last_error"]
        time.sleep(1.0)
        server.start()  # same port
        assert wait_for(lambda: src.stats()["status"] == "connected", 30), src.stats()
        before = src.stats()["frames_read"]
        assert read_some(src, 5)
        stats = src.stats()
    finally:
        src.close()
        server.stop()
    assert stats["reconnects"] == 1  # one lost session; failed attempts while the server was down are not reconnects
    assert stats["frames_read"] > before


def test_watchdog_restarts_a_stalled_stream(small_clip):
    server = RtspServer({"bar": small_clip}).start()
    # long read timeout: only the watchdog can notice that a frozen server sends nothing
    src = RtspSource(server.url("bar"), sample_fps=10, open_timeout_s=3, read_timeout_s=60, watchdog_s=2,
                     backoff_initial_s=0.3, backoff_max_s=1.0).start(require_connection=True)
    try:
        assert read_some(src, 3)
        os.killpg(server.proc.pid, signal.SIGSTOP)  # connection stays open, no data flows
        try:
            assert wait_for(lambda: "watchdog" in (src.stats()["last_error"] or ""), 20), src.stats()
        finally:
            os.killpg(server.proc.pid, signal.SIGCONT)
        assert wait_for(lambda: src.stats()["status"] == "connected", 30), src.stats()
        assert read_some(src, 3)
        stats = src.stats()
    finally:
        src.close()
        server.stop()
    assert stats["reconnects"] >= 1


def test_wrong_path_on_a_live_server_is_a_clear_error(small_clip):
    with RtspServer({"bar": small_clip}) as server:
        url = server.url("bar").replace("/bar", "/nothing").replace("rtsp://", "rtsp://user:pw@")
        with pytest.raises(SourceError) as err:
            RtspSource(url, open_timeout_s=5).start(require_connection=True)
    assert "did not open" in str(err.value) and ":pw@" not in str(err.value)


@needs_concourse
def test_analyze_video_over_rtsp(tmp_path):
    from django.core.management import call_command

    camera = tmp_path / "cam.json"
    camera.write_text(json.dumps({"camera_id": "concourse", "fps": 4, "frame_size": [1280, 720],
                                  "zones": {"all": [[0, 0], [1280, 0], [1280, 720], [0, 720]]}}))
    with RtspServer({"concourse": CONCOURSE}) as server:
        call_command("analyze_video", server.url("concourse"), camera=str(camera), out=str(tmp_path / "out"),
                     max_frames=24, no_progress=True)
    rows = [line.split(",") for line in (tmp_path / "out" / "detections.txt").read_text().splitlines()]
    assert {int(r[0]) for r in rows} == set(range(1, 9))  # 24 sampled frames, every 3rd detected
    assert len(rows) > 8 * 5
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "all" in summary["zones"]
