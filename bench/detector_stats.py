"""Confidence and box statistics of the real detector, the data the tracker's thresholds are set from.

Runs `create_detector(imgsz=1280, conf=0.05)` (the default model, every box down to 0.05) on frames of
`../shared/media/concourse.mp4` (no ground truth: confidence and size of everything found, and how
stable a box's confidence is from one frame to the next) and on `../shared/media/mot17-02/` (ground truth:
confidence of boxes that match a person, IoU >= 0.5, versus boxes that match nobody), and prints
quantiles. Skips a source that is absent.

    python bench/detector_stats.py [--every 4] [--imgsz 1280]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mot_metrics import iou_xywh

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
Q = (5, 10, 25, 50, 75, 90)


def _q(v) -> str:
    v = np.asarray(v, dtype=float)
    if not len(v):
        return "(none)"
    return f"n={len(v):5d} " + " ".join(f"p{q}={np.percentile(v, q):.3f}" for q in Q)


def _xywh(dets) -> np.ndarray:
    return np.array([[d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1, d.conf] for d in dets], dtype=float).reshape(-1, 5)


def concourse(det, every: int) -> None:
    import cv2

    path = MEDIA / "concourse.mp4"
    if not path.is_file():
        print(f"concourse: skipped ({path} absent)")
        return
    cap = cv2.VideoCapture(str(path))
    confs, heights, aspects, dconf = [], [], [], []
    prev = None
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n += 1
        if (n - 1) % every:
            continue
        b = _xywh(det.detect([frame])[0])
        confs += list(b[:, 4])
        heights += list(b[:, 3])
        aspects += list(b[:, 2] / np.maximum(b[:, 3], 1))
        if prev is not None and len(prev) and len(b):
            iou = iou_xywh(prev[:, :4], b[:, :4])
            i, j = np.nonzero(iou >= 0.5)
            dconf += list(np.abs(prev[i, 4] - b[j, 4]))
        prev = b
    print(f"concourse ({len(confs)} boxes on every {every}th frame of {n})")
    print(f"  conf          {_q(confs)}")
    print(f"  conf >= 0.25  {_q([c for c in confs if c >= 0.25])}")
    print(f"  height px     {_q(heights)}")
    print(f"  w/h           {_q(aspects)}")
    print(f"  |conf change| of the same box {every} frames later: {_q(dconf)}")


def mot17(det) -> None:
    import cv2

    root = MEDIA / "mot17-02"
    if not (root / "gt" / "gt.txt").is_file():
        print(f"mot17-02: skipped ({root} absent)")
        return
    gt = np.loadtxt(root / "gt" / "gt.txt", delimiter=",")
    tp, fp, vis_found, vis_all = [], [], [], []
    for img in sorted((root / "img1").glob("*.jpg")):
        f = int(img.stem)
        g = gt[gt[:, 0] == f]
        people = g[(g[:, 6] == 1) & (g[:, 7] == 1)]
        other = g[~((g[:, 6] == 1) & (g[:, 7] == 1))]
        b = _xywh(det.detect([cv2.imread(str(img))])[0])
        if not len(b):
            continue
        iou = iou_xywh(people[:, 2:6], b[:, :4]) if len(people) else np.zeros((0, len(b)))
        from scipy.optimize import linear_sum_assignment

        r, c = linear_sum_assignment(-iou)
        ok = iou[r, c] >= 0.5
        matched = set(c[ok])
        tp += list(b[c[ok], 4])
        vis_found += list(people[r[ok], 8])
        vis_all += list(people[:, 8])
        ign = iou_xywh(other[:, 2:6], b[:, :4]).max(0) if len(other) else np.zeros(len(b))
        fp += [b[j, 4] for j in range(len(b)) if j not in matched and ign[j] < 0.5]
    print("mot17-02 (4 frames, 1920x1080; people = consider 1, class 1)")
    print(f"  conf of boxes on a person   {_q(tp)}")
    print(f"  conf of boxes on nobody     {_q(fp)}")
    for thr in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.65):
        t = np.mean(np.array(tp) >= thr) if tp else 0
        k = int(np.sum(np.array(fp) >= thr))
        print(f"  conf >= {thr:.2f}: {100 * t:5.1f}% of the found people's boxes, {k} boxes on nobody")
    print(f"  visibility of people found {_q(vis_found)} / of all {_q(vis_all)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--imgsz", type=int, default=1280)
    a = ap.parse_args(argv)
    from vision.detectors import create_detector

    det = create_detector(imgsz=a.imgsz, conf=0.05)
    mot17(det)
    concourse(det, a.every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
