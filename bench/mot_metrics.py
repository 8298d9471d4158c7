"""CLEAR-MOT (MOTA, ID switches) and IDF1, computed with numpy/scipy.

motmetrics 1.4 calls np.asfarray (gone in NumPy 2), so the benches score with this small module,
which follows TrackEval's definitions (its CLEAR and Identity metrics): IoU >= 0.5 for a match; per
frame the assignment maximises IoU with a large bonus for the previous frame's pairs (so they are kept
while still valid); IDF1 from a global one-to-one gt↔track id assignment that maximises the number of
matched frames. vision/tests/test_mot_metrics_trackeval.py checks it against TrackEval on the same files.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

_EPS = np.finfo("float").eps


def iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, 0][:, None], b[:, 0][None]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, 1][:, None], b[:, 1][None]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return inter / np.maximum(union, 1e-9)


def evaluate(gt: np.ndarray, hyp: np.ndarray, frames: list[int] | None = None, thr: float = 0.5) -> dict:
    """gt/hyp: rows (frame, id, x, y, w, h, ...). Only `frames` are scored (all gt frames by default)."""
    if frames is None:
        frames = sorted(set(gt[:, 0].astype(int)))
    g_by = defaultdict(list)
    h_by = defaultdict(list)
    for r in gt:
        g_by[int(r[0])].append(r)
    for r in hyp:
        h_by[int(r[0])].append(r)
    n_gt = n_hyp = fn = fp = idsw = 0
    last_match: dict[int, int] = {}  # gt id -> hyp id it was last matched to
    prev_step: dict[int, int] = {}  # the same, for the previous scored frame only
    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    gt_counts: dict[int, int] = defaultdict(int)
    hyp_counts: dict[int, int] = defaultdict(int)
    for f in frames:
        g = np.array(g_by.get(f, []), dtype=float)
        h = np.array(h_by.get(f, []), dtype=float)
        ng, nh = len(g), len(h)
        n_gt += ng
        n_hyp += nh
        for r in g:
            gt_counts[int(r[1])] += 1
        for r in h:
            hyp_counts[int(r[1])] += 1
        if ng == 0 or nh == 0:
            fn += ng
            fp += nh
            prev_step = {}
            continue
        iou = iou_xywh(g[:, 2:6], h[:, 2:6])
        # IDF1 pair counts: every gt/hyp pair that overlaps enough in this frame.
        gi, hi = np.nonzero(iou >= thr)
        for a, b in zip(gi, hi):
            pair_counts[(int(g[a, 1]), int(h[b, 1]))] += 1
        # CLEAR-MOT as TrackEval does it: maximise IoU (pairs under the threshold score 0) with a bonus of
        # 1000 for the pair matched at the previous scored frame; a switch = a gt matched to another id than
        # the one it was last matched to (at any earlier frame).
        gids = g[:, 1].astype(int)
        hids = h[:, 1].astype(int)
        prev = np.array([prev_step.get(int(gid), -(10**9)) for gid in gids])
        score = 1000.0 * (hids[None, :] == prev[:, None]) + iou
        score[iou < thr - _EPS] = 0.0
        rows, cols = linear_sum_assignment(-score)
        ok = score[rows, cols] > _EPS
        rows, cols = rows[ok], cols[ok]
        matched = len(rows)
        prev_step = {}
        for a, b in zip(rows, cols):
            gid, hid = int(gids[a]), int(hids[b])
            if gid in last_match and last_match[gid] != hid:
                idsw += 1
            last_match[gid] = hid
            prev_step[gid] = hid
        fn += ng - matched
        fp += nh - matched
    # IDF1: one-to-one gt id ↔ hyp id maximising matched frames.
    gid_list = sorted(gt_counts)
    hid_list = sorted(hyp_counts)
    gidx = {g: i for i, g in enumerate(gid_list)}
    hidx = {h: i for i, h in enumerate(hid_list)}
    idtp = 0
    if gid_list and hid_list:
        m = np.zeros((len(gid_list), len(hid_list)))
        for (g_, h_), c in pair_counts.items():
            m[gidx[g_], hidx[h_]] = c
        r, c = linear_sum_assignment(-m)
        idtp = int(m[r, c].sum())
    idf1 = 2 * idtp / max(n_gt + n_hyp, 1)
    mota = 1 - (fn + fp + idsw) / max(n_gt, 1)
    return {"MOTA": mota, "IDF1": idf1, "IDSW": idsw, "FN": fn, "FP": fp, "GT": n_gt}
