"""Frame sources: sampling, timestamps, errors, URL masking, detection cadence (no database, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from vision.sources import (
    DetectionCadence,
    RtspSource,
    SourceError,
    SyntheticSource,
    VideoFileSource,
    mask_url,
    open_source,
)


def write_counter_video(path, n_frames: int = 50, fps: float = 25.0, size=(320, 180)):
    """Frame i is a flat grey of level 4*i, so a decoded frame tells its source index (MJPG: intra only)."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for i in range(n_frames):
        writer.write(np.full((h, w, 3), 4 * i, np.uint8))
    writer.release()
    return path


def source_index(image: np.ndarray) -> int:
    return round(float(image.mean()) / 4)


@pytest.fixture(scope="module")
def counter_video(tmp_path_factory):
    return write_counter_video(tmp_path_factory.mktemp("video") / "counter.avi")


# --------------------------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:s3cr3t@10.0.0.5:554/stream1", "rtsp://***:***@10.0.0.5:554/stream1"),
        ("rtsp://admin@cam.local/live", "rtsp://***@cam.local/live"),
        ("rtsp://10.0.0.5/stream", "rtsp://10.0.0.5/stream"),
        ("error opening rtsp://u:p%40ss@h/x: refused", "error opening rtsp://***:***@h/x: refused"),
        ("/videos/a.mp4", "/videos/a.mp4"),
    ],
)
def test_mask_url_hides_credentials(url, expected):
    assert mask_url(url) == expected


def test_unreachable_stream_error_masks_password():
    with pytest.raises(SourceError) as err:
        RtspSource("rtsp://admin:topsecret@127.0.0.1:1/cam", open_timeout_s=2).start(require_connection=True)
    message = str(err.value)
    assert "topsecret" not in message
    assert "127.0.0.1:1" in message and "refused" in message


def test_unreachable_stream_without_fail_fast_keeps_retrying_and_reports():
    src = RtspSource("rtsp://u:pw@127.0.0.1:1/cam", open_timeout_s=1, backoff_initial_s=0.05, backoff_max_s=0.1)
    src.start()
    try:
        assert src.read(timeout=1.5) is None
        stats = src.stats()
        assert stats["status"] in ("connecting", "reconnecting")
        assert "refused" in stats["last_error"] and "pw" not in stats["last_error"]
        assert stats["frames_read"] == 0
    finally:
        src.close()
    assert src.stats()["status"] == "closed"


def test_reconnect_attempts_are_bounded_when_asked():
    src = RtspSource("rtsp://127.0.0.1:1/cam", open_timeout_s=1, backoff_initial_s=0.01, backoff_max_s=0.02,
                     max_reconnect_attempts=2)
    with pytest.raises(SourceError, match="gave up after 3 attempts"):
        for _ in src:
            pass
    src.close()


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    src = RtspSource("rtsp://127.0.0.1:1/x", backoff_initial_s=1, backoff_max_s=8)
    delays = {attempt: [src._backoff(attempt) for _ in range(200)] for attempt in (1, 2, 3, 4, 6)}
    for attempt, base in ((1, 1), (2, 2), (3, 4), (4, 8), (6, 8)):
        assert all(base / 2 <= d <= base for d in delays[attempt])
        assert max(delays[attempt]) - min(delays[attempt]) > base / 10  # jittered, not in lock-step


# -------------------------------------------------------------------------------------------- cadence


def test_detection_cadence_from_deployment_guide_defaults():
    cadence = DetectionCadence.from_env({})
    assert (cadence.frame_rate, cadence.detection_interval, cadence.detection_fps) == (12.0, 3, 4.0)
    assert [i for i in range(10) if cadence.should_detect(i)] == [0, 3, 6, 9]
    assert [cadence.detection_index(i) for i in (0, 1, 3, 7, 9)] == [0, None, 1, None, 3]


def test_detection_cadence_reads_env_and_rejects_bad_values():
    assert DetectionCadence.from_env({"FRAME_RATE": "10", "DETECTION_INTERVAL": "5"}).detection_fps == 2.0
    with pytest.raises(ValueError, match="DETECTION_INTERVAL"):
        DetectionCadence.from_env({"DETECTION_INTERVAL": "three"})
    with pytest.raises(ValueError, match="detection_interval"):
        DetectionCadence(12, 0)
    assert DetectionCadence.for_detection_fps(4, 3).frame_rate == 12


# ----------------------------------------------------------------------------------------- video file


def test_video_file_native_rate_yields_every_frame_in_order(counter_video):
    start = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
    with VideoFileSource(counter_video, sample_fps=None, start_time=start) as src:
        assert src.frame_size == (320, 180)
        packets = list(src)
    assert len(packets) == 50
    assert [p.index for p in packets] == list(range(50))
    assert [source_index(p.image) for p in packets] == list(range(50))
    assert packets[10].t == pytest.approx(10 / 25)
    assert packets[10].wall_time == start + timedelta(seconds=0.4)
    assert not src.truncated


def test_video_file_sampling_picks_frames_on_the_time_grid(counter_video):
    with VideoFileSource(counter_video, sample_fps=10) as src:
        packets = list(src)
    # 2 s of video at 10 fps; each sampled frame is the first source frame at or after k/10 s
    assert len(packets) == 20
    assert [p.index for p in packets] == list(range(20))
    for k, p in enumerate(packets):
        assert k / 10 - 1e-6 <= p.t < k / 10 + 1 / 25
        assert source_index(p.image) == round(p.t * 25)
    stats = src.stats()
    assert stats["frames_read"] == 50 and stats["frames_delivered"] == 20


def test_video_file_max_frames_stops_early(counter_video):
    with VideoFileSource(counter_video, sample_fps=25, max_frames=7) as src:
        assert len(list(src)) == 7


def test_missing_and_corrupt_files_raise_source_error(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(SourceError, match="corrupt"):
        src = VideoFileSource(junk)
        list(src)


def test_truncated_file_is_flagged(tmp_path):
    full = write_counter_video(tmp_path / "full.avi", n_frames=60, size=(320, 180))
    # AVI keeps its index at the end: cut the tail and the container still announces 60 frames
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoFileSource(cut)
    packets = list(src)
    assert 0 < len(packets) < 60
    assert src.truncated
    assert "of 60 frames" in src.stats()["last_error"]


def test_synthetic_source_uses_renderer_and_time():
    calls = []

    def render(i, t):
        calls.append((i, t))
        return np.full((10, 20, 3), i, np.uint8)

    src = SyntheticSource(5, sample_fps=4, frame_size=(20, 10), render=render)
    packets = list(src)
    assert [p.t for p in packets] == [0, 0.25, 0.5, 0.75, 1.0]
    assert calls == [(p.index, p.t) for p in packets]
    assert packets[3].image.shape == (10, 20, 3) and int(packets[3].image[0, 0, 0]) == 3


def test_open_source_picks_file_or_stream(counter_video):
    src = open_source(counter_video, sample_fps=5)
    assert isinstance(src, VideoFileSource) and not src.is_live
    src.close()
    with pytest.raises(SourceError, match="refused"):
        open_source("rtsp://127.0.0.1:1/cam", require_connection=True, open_timeout_s=2)


@pytest.mark.parametrize(("stream_fps", "expected"), [
    (25.0, (12.0, 3)),  # a main stream: the cadence as configured
    (12.0, (12.0, 3)),
    (5.0, (5.0, 1)),  # a 5 fps substream: every frame, 5 detections/s instead of 1.7
    (8.0, (8.0, 2)),  # 8 fps: every 2nd frame, 4 detections/s
    (0.0, (12.0, 3)),  # unknown: as configured
])
def test_a_cadence_fitted_to_a_slow_stream_keeps_the_detection_rate(stream_fps, expected):
    cadence = DetectionCadence(12.0, 3).fitted_to(stream_fps)
    assert (cadence.frame_rate, cadence.detection_interval) == expected
    assert cadence.detection_fps >= 4.0 or stream_fps < 4.0
