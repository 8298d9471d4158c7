"""The shared engine runs cameras' detection plans: a frame's tiles in one job, cameras batched together."""

from __future__ import annotations

import threading

import pytest

from vision.config import parse_camera_config
from vision.detectors import create_detector
from vision.synthetic import default_scene
from workers.inference import InferenceEngine, detector_info
from workers.metrics import detector_fields


@pytest.fixture(scope="module")
def frames():
    scene = default_scene()
    return [scene.render(round(t * scene.fps), t) for t in (2.0, 6.5, 11.0, 24.0)]


def test_engine_batches_tiles_of_several_cameras_and_finds_what_the_detector_finds(frames):
    detector = create_detector(threads=2)
    tiled = parse_camera_config({"camera_id": "tiled", "detect_scale": 1.0, "detect_imgsz": 416, "detect_tile": 416})
    whole = parse_camera_config({"camera_id": "whole"})
    engine = InferenceEngine(detector, max_batch=2, threads=1)
    try:
        expected = {id(f): (detector.detect_camera(f, tiled), detector.detect_camera(f, whole)) for f in frames}
        results, errors = [], []

        def camera(config, slot):
            try:
                for f in frames:
                    results.append((slot, id(f), engine.detect_camera(f, config)))
            except Exception as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=camera, args=(c, i)) for i, c in enumerate((tiled, tiled, whole))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert len(results) == 3 * len(frames)
        for slot, key, dets in results:
            want = expected[key][0 if slot < 2 else 1]
            assert len(dets) == len(want) > 0
        h, w = frames[0].shape[:2]
        assert len(detector.plan_for((w, h), tiled).tiles) > 2  # the tiled camera really ran tiles
        assert engine.frames == 3 * len(frames) and engine.batches <= engine.frames
        info = detector_fields(engine, tiled, (w, h))
        assert info["detector_backend"] == detector_info(detector)["backend"] == detector.backend
        assert info["detector_input"].startswith("416x416/") and "tiles" in info["detector"]
    finally:
        engine.close()
