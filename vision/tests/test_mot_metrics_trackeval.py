"""bench/mot_metrics.py (the benches' scorer) against TrackEval, the maintained reference, on the same files.

A simulated scene's gt.txt and the tracks our tracker writes for its noisy detections (tracks.txt, MOT format)
are read from disk and scored by both. TrackEval is a bench-only package (`pip install trackeval`); the test
skips, saying so, where it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from vision.mot import iter_frames, read_det_txt, write_tracks
from vision.simulator import simulate
from vision.tracker import Tracker

ROOT = Path(__file__).resolve().parents[2]


def _trackeval():
    try:
        import trackeval  # noqa: F401
        from trackeval.metrics import CLEAR, Identity
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"TrackEval not installed ({exc}); pip install trackeval to run this cross-check")
    return CLEAR, Identity


def _trackeval_scores(gt: np.ndarray, hyp: np.ndarray) -> dict:
    """TrackEval's CLEAR + Identity on MOT rows (frame, id, x, y, w, h, ...), IoU similarity, every gt frame."""
    CLEAR, Identity = _trackeval()
    sys.path.insert(0, str(ROOT))
    from bench.mot_metrics import iou_xywh

    frames = sorted(set(gt[:, 0].astype(int)) | set(hyp[:, 0].astype(int)))
    gt_map = {g: i for i, g in enumerate(sorted(set(gt[:, 1].astype(int))))}
    tr_map = {h: i for i, h in enumerate(sorted(set(hyp[:, 1].astype(int))))}
    data = {"num_timesteps": len(frames), "num_gt_ids": len(gt_map), "num_tracker_ids": len(tr_map),
            "num_gt_dets": len(gt), "num_tracker_dets": len(hyp), "gt_ids": [], "tracker_ids": [],
            "similarity_scores": []}
    for f in frames:
        g = gt[gt[:, 0] == f]
        h = hyp[hyp[:, 0] == f]
        data["gt_ids"].append(np.array([gt_map[int(i)] for i in g[:, 1]], dtype=int))
        data["tracker_ids"].append(np.array([tr_map[int(i)] for i in h[:, 1]], dtype=int))
        data["similarity_scores"].append(iou_xywh(g[:, 2:6], h[:, 2:6]) if len(g) and len(h)
                                         else np.zeros((len(g), len(h))))
    clear = CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
    ident = Identity({"PRINT_CONFIG": False}).eval_sequence(data)
    return {"MOTA": float(clear["MOTA"]), "IDSW": int(clear["IDSW"]), "IDF1": float(ident["IDF1"]),
            "FN": int(clear["CLR_FN"]), "FP": int(clear["CLR_FP"])}


def test_mot_metrics_matches_trackeval_on_the_same_files(tmp_path):
    _trackeval()
    sys.path.insert(0, str(ROOT))
    from bench.mot_metrics import evaluate

    simulate(tmp_path, seed=5, fps=4, noise="realistic", duration=240, scene="random")
    frames = read_det_txt(tmp_path / "det.txt")
    tracker = Tracker(frame_size=(1280, 720))
    with (tmp_path / "tracks.txt").open("w") as fh:
        for n, t, dets in iter_frames(frames, 4.0):
            tracker.update(t, dets)
            write_tracks(fh, n, tracker.tracks)
    gt = np.loadtxt(tmp_path / "gt.txt", delimiter=",")
    hyp = np.loadtxt(tmp_path / "tracks.txt", delimiter=",")
    assert len(gt) > 500 and len(hyp) > 500
    ours = evaluate(gt, hyp, frames=sorted(set(gt[:, 0].astype(int)) | set(hyp[:, 0].astype(int))))
    ref = _trackeval_scores(gt, hyp)
    assert ours["FN"] == ref["FN"] and ours["FP"] == ref["FP"]
    assert ours["IDSW"] == ref["IDSW"]
    assert ours["MOTA"] == pytest.approx(ref["MOTA"], abs=1e-9)
    assert ours["IDF1"] == pytest.approx(ref["IDF1"], abs=1e-9)
    assert 0.05 < ours["IDF1"] < 0.999 and ours["IDSW"] > 0  # errors to score: not a trivial case
