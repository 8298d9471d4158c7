"""Small scene builders for the vision core tests (plain detections, no images)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from vision.config import load_camera_config
from vision.pipeline import EventPipeline
from vision.types import Detection

START = datetime(2025, 10, 1, 10, 0, 0, tzinfo=UTC)


def person(x: float, y: float, h: float = 150.0, conf: float = 0.9) -> Detection:
    """Detection whose foot point (bottom-centre) is (x, y)."""
    return Detection(x - 0.2 * h, y - h, x + 0.2 * h, y, conf)


def camera(**over) -> dict:
    cfg = {
        "camera_id": "cam_test",
        "fps": 4,
        "frame_size": [1280, 720],
        "zones": {"electronics": [[300, 200], [700, 200], [700, 500], [300, 500]]},
        "min_dwell_seconds": 2.0,
    }
    cfg.update(over)
    return cfg


def run(cfg: dict, track: list[tuple[float, list[Detection]]]):
    """Run a pipeline over [(t, detections)]; returns (events, pipeline)."""
    pipe = EventPipeline(load_camera_config(cfg), START)
    events = []
    for t, dets in track:
        events += pipe.update(t, dets)
    events += pipe.finish()
    return events, pipe


def walk(points: list[tuple[float, float, float]], fps: float = 4.0, h: float = 150.0):
    """Foot path through (t, x, y) key points, sampled at fps: [(t, [Detection])]."""
    out = []
    t_end = points[-1][0]
    n = round(t_end * fps)
    for i in range(n + 1):
        t = i / fps
        for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(points):
            if t0 <= t <= t1:
                f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
                out.append((t, [person(x0 + f * (x1 - x0), y0 + f * (y1 - y0), h)]))
                break
    return out
