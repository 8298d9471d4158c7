"""Person recall and precision of detections against MOTChallenge ground truth (bench/bench_real.py, tests).

Scored people: ``consider == 1``, ``class == 1`` (pedestrian) and ``visibility >= 0.5``. Matching per frame:
each scored box, most-overlapped first, takes its best free detection with IoU >= 0.5 (greedy). A
detection left over that overlaps a box which is not scored (other classes such as static people or
reflections, or people less than half visible) by IoU >= 0.5 is neither a hit nor a false alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .types import Detection

MATCH_IOU = 0.5
MIN_VISIBILITY = 0.5


@dataclass(frozen=True)
class DetScore:
    tp: int
    fn: int
    fp: int

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    def __str__(self) -> str:
        return (f"recall {self.recall:.3f} precision {self.precision:.3f} "
                f"({self.tp} of {self.tp + self.fn}, {self.fp} FP)")


def load_gt(path: str | Path) -> np.ndarray:
    """gt.txt rows: frame, id, x, y, w, h, consider, class, visibility."""
    return np.loadtxt(path, delimiter=",", ndmin=2)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def score_frame(gt_rows: np.ndarray, boxes: np.ndarray) -> DetScore:
    """One frame: ``gt_rows`` of gt.txt, ``boxes`` [n, 4] xyxy detections."""
    scored = (gt_rows[:, 6] == 1) & (gt_rows[:, 7] == 1) & (gt_rows[:, 8] >= MIN_VISIBILITY)
    xyxy = np.c_[gt_rows[:, 2], gt_rows[:, 3], gt_rows[:, 2] + gt_rows[:, 4], gt_rows[:, 3] + gt_rows[:, 5]]
    care, ignore = xyxy[scored], xyxy[~scored]
    m = _iou(care, boxes)
    used: set[int] = set()
    if m.size:
        for gi in np.argsort(-m.max(1), kind="stable"):
            for di in np.argsort(-m[gi], kind="stable"):
                if m[gi, di] < MATCH_IOU:
                    break
                if di not in used:
                    used.add(int(di))
                    break
    rest = [d for d in range(len(boxes)) if d not in used]
    if rest and len(ignore):
        mi = _iou(boxes[rest], ignore).max(1)
        rest = [d for d, k in zip(rest, mi, strict=True) if k < MATCH_IOU]
    return DetScore(len(used), len(care) - len(used), len(rest))


def score_frames(gt: np.ndarray, detections: Sequence[Sequence[Detection]], first_frame: int = 1) -> DetScore:
    """Frames ``first_frame``, ``first_frame + 1``, ... with their detections."""
    tp = fn = fp = 0
    for i, dets in enumerate(detections, first_frame):
        boxes = np.array([[d.x1, d.y1, d.x2, d.y2] for d in dets], dtype=np.float64).reshape(-1, 4)
        s = score_frame(gt[gt[:, 0] == i], boxes)
        tp, fn, fp = tp + s.tp, fn + s.fn, fp + s.fp
    return DetScore(tp, fn, fp)


def score_det_txt(gt: np.ndarray, det_txt: str | Path) -> DetScore:
    """A MOT det.txt (``frame,-1,x,y,w,h,conf,...``, analyze_video's detections.txt) against the ground truth."""
    rows = np.loadtxt(det_txt, delimiter=",", ndmin=2) if Path(det_txt).stat().st_size else np.zeros((0, 7))
    frames = sorted(set(gt[:, 0].astype(int)))
    tp = fn = fp = 0
    for f in frames:
        r = rows[rows[:, 0] == f] if len(rows) else rows
        boxes = np.c_[r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]] if len(r) else np.zeros((0, 4))
        s = score_frame(gt[gt[:, 0] == f], boxes)
        tp, fn, fp = tp + s.tp, fn + s.fn, fp + s.fp
    return DetScore(tp, fn, fp)
