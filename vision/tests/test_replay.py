"""End to end: simulator scene → replay (core function and manage.py command) → summary vs ground truth."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vision.config import load_camera_config
from vision.replay import replay

ROOT = Path(__file__).resolve().parents[2]


def _simulator():
    return importlib.import_module("vision.simulator")


@pytest.fixture(scope="module")
def clean_scene(tmp_path_factory):
    d = tmp_path_factory.mktemp("scene_clean")
    gt = _simulator().simulate(d, seed=11, fps=4, noise="clean", duration=300)
    return d, gt


def _close(ours: float, truth: float, rel: float, abs_: float = 0.0) -> bool:
    return abs(ours - truth) <= max(rel * truth, abs_)


def assert_summary_close(s: dict, gt: dict, count_rel: float, time_rel: float) -> None:
    assert s["footfall"]["in"] == pytest.approx(gt["footfall"]["in"], rel=count_rel, abs=1)
    assert s["footfall"]["out"] == pytest.approx(gt["footfall"]["out"], rel=count_rel, abs=1)
    for zid, z in gt["zones"].items():
        assert _close(s["zones"][zid]["entries"], z["entries"], count_rel, 1), (zid, s["zones"][zid], z)
        assert _close(s["zones"][zid]["avg_dwell"], z["avg_dwell"], time_rel), (zid, s["zones"][zid], z)
    for sid, sh in gt["shelves"].items():
        assert _close(s["shelves"][sid]["interactions"], sh["interactions"], count_rel, 1)
        assert _close(s["shelves"][sid]["avg_dwell"], sh["avg_dwell"], time_rel)
    for qid, q in gt["queues"].items():
        assert _close(s["queues"][qid]["served"], q["served"], count_rel, 1), (s["queues"][qid], q)
        assert _close(s["queues"][qid]["avg_wait"], q["avg_wait"], time_rel), (s["queues"][qid], q)


def test_replay_clean_scene_matches_ground_truth(clean_scene, tmp_path):
    d, gt = clean_scene
    summary = replay(d / "det.txt", load_camera_config(d / "camera.json"), tmp_path)
    assert gt["footfall"]["in"] >= 5 and gt["queues"]["checkout"]["served"] >= 3  # the scene is not trivial
    assert_summary_close(summary, gt, count_rel=0.05, time_rel=0.05)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert sum(e["type"] == "entrance" and e["direction"] == "in" for e in events) == summary["footfall"]["in"]
    rows = (tmp_path / "tracks.txt").read_text().splitlines()
    assert rows and all(len(r.split(",")) == 10 and int(r.split(",")[1]) > 0 for r in rows)


def test_replay_realistic_scene_is_close_to_ground_truth(tmp_path):
    gt = _simulator().simulate(tmp_path / "scene", seed=12, fps=4, noise="realistic", duration=300)
    summary = replay(tmp_path / "scene" / "det.txt", load_camera_config(tmp_path / "scene" / "camera.json"), tmp_path)
    # Noisy detections (misses, jitter, false positives, queue occlusion, a mannequin in the zone).
    assert_summary_close(summary, gt, count_rel=0.15, time_rel=0.15)


def test_replay_is_deterministic(clean_scene, tmp_path):
    d, _ = clean_scene
    cfg = load_camera_config(d / "camera.json")
    replay(d / "det.txt", cfg, tmp_path / "a")
    replay(d / "det.txt", cfg, tmp_path / "b")
    assert (tmp_path / "a" / "events.jsonl").read_text() == (tmp_path / "b" / "events.jsonl").read_text()


def _manage(*args, cwd=ROOT):
    env = dict(os.environ, DEBUG=os.environ.get("DEBUG", "true"))
    env.pop("DATABASE_URL", None)  # the command must not need a database
    return subprocess.run([sys.executable, "manage.py", "replay", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_replay_command_end_to_end(clean_scene, tmp_path):
    d, gt = clean_scene
    res = _manage(d / "det.txt", "--camera", d / "camera.json", "--out", tmp_path, "--start", "2025-10-01T10:00:00Z")
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert_summary_close(summary, gt, count_rel=0.1, time_rel=0.1)
    first = json.loads((tmp_path / "events.jsonl").read_text().splitlines()[0])
    assert first["ts"].startswith("2025-10-01T10:") and first["ts"].endswith("Z")


def test_replay_command_bad_input_is_one_line(clean_scene, tmp_path):
    d, _ = clean_scene
    bad_cam = _write(tmp_path / "bad.json", {"camera_id": "c", "zones": {"z": [[0, 0], [1, 1]]}})
    cases = [
        ((tmp_path / "missing.txt", "--camera", d / "camera.json"), "det.txt not found"),
        ((d / "det.txt", "--camera", tmp_path / "nope.json"), "file not found"),
        ((d / "det.txt", "--camera", bad_cam), "zones.z: polygon needs at least 3 points"),
        ((d / "det.txt", "--camera", d / "camera.json", "--start", "yesterday"), "--start"),
    ]
    for args, expected in cases:
        res = _manage(*args, "--out", tmp_path / "out")
        assert res.returncode != 0, args
        assert expected in res.stderr and "Traceback" not in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path
