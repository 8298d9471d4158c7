"""Multi-person tracker: Kalman filter + two-stage (ByteTrack-style) association + recovery.

Time-based throughout: `update(t, detections)` takes the time in seconds, so the same tracker works
at 4 detections/s and at 25 detections/s and with irregular gaps.

- State per track (vectorised over all tracks): [cx, cy, w, h, vcx, vcy, vw, vh], constant velocity,
  process noise proportional to the box height and to the elapsed time. While a track is lost its
  velocity decays (time constant 2 s) so predictions do not fly away.
- Cost of a track/detection pair: (1 − IoU(predicted box, detection)) + 0.5 x the squared
  Mahalanobis distance of the centres (Kalman innovation) / gate + size_weight x |log height ratio|
  (+ low_penalty for a low-confidence box). Feasible only inside the Kalman gate (`gate`, squared
  Mahalanobis 3.0: tight on purpose; at 4 detections/s in a crowd a plausible-but-wrong neighbour is
  the main error, and a person who really moved further is re-found by stage 3), with overlap or a
  centre distance under (dist_base + dist_rate x seconds since seen, at most 2) heights, and with a consistent
  size (height ratio within 1/1.6..1.6, width ratio within 1/2.2..2.2); a pair without overlap (found by
  distance) also needs no other active track to predict nearer to the box (`_nearest_to`); after more than 1 s lost
  only a box with conf >= new_track_thresh, or one overlapping the prediction (IoU > lost_iou, 0.3),
  can re-find a track.
- Stage 1: boxes with conf >= high_thresh against all tracks (Hungarian, scipy); the assignment sees
  the low boxes too, at a penalty, and only its high matches are kept, so crossing people do not
  swap because one of them has a low-confidence box. Stage 2: low-confidence boxes
  (low_thresh <= conf < high_thresh) against the tracks still unmatched and seen in the last 3 s.
  Stage 3 (recovery): an unmatched confident box away from the frame edge goes to a nearby lost
  track with 6+ detections (within 0.5 + 0.3 x seconds lost heights, at most 1.5) before it may
  start a new track. New tracks need conf >= new_track_thresh and must not duplicate a matched box.
- Confirmation after 2 matches (3 when detections come faster than 10/s), one more when the mean
  confidence so far is below `strong_conf`; the observations made before confirmation are handed
  to the event stage (TrackState.pre_confirm). A tentative track dies after ~2.5 missed intervals.
- Lost confirmed tracks are kept `max_lost_seconds` (10 s, GUIDE §2). A lost track whose last box
  touched the frame edge while moving outwards has left the view: dropped once its predicted centre
  is outside the frame or after `exit_lost_seconds`.
- `output_tracks()` adds, for drawing and tracks.txt, tracks missed for at most 0.5 s (their
  predicted box).
- Queue lanes (`set_queues`): each lane learns its forward direction from where tracks join and leave
  it; then no pair (stages 1-3) moves a track backwards along the lane by more than `queue_back`
  heights: nobody in a line steps back, so such a pair is a swap onto the person behind or a lost
  track at the head re-found slots back. Behind includes the line's continuation past the tail: a line
  longer than its polygon overflows there.
- Still hypothesis (`still_share`): box noise gives a standing person's track a velocity of its own (at
  4 detections/s, 0.5-1.5 heights/s in a dense line), so its prediction drifts onto the neighbour and identities
  flip. A track that has stood still (its place at its last match within still_share heights of its centre
  averaged over STILL_TAU s) is also predicted at that averaged centre: the better of the two predictions gates
  the pair, its overlap counting STILL_WEIGHT.

Measured in bench/bench_tracker.py (TUD, IDF1 vs ByteTrack) and bench/bench_store_sim.py.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment
from shapely.geometry import Polygon

from .geometry import LaneAxis
from .types import Box, Detection, TrackState

_INF = 1e6
LANE_FLOW_KEEP = 200  # entries and exits per queue lane the direction is learned from (the latest)
LANE_RUN_SECONDS = 3.0  # time in a lane that makes a track's visit count for the lane's flow
# Still hypothesis (module doc): averaging time of the slow centre, the age a track needs to count as standing,
# and the weight of its overlap there (below 1, so that where two people meet the moving prediction decides).
STILL_TAU = 1.0
STILL_AGE = 2.0
STILL_WEIGHT = 0.8


class Tracker:
    def __init__(
        self,
        *,
        high_thresh: float = 0.5,
        low_thresh: float = 0.1,
        new_track_thresh: float = 0.65,
        max_lost_seconds: float = 10.0,
        exit_lost_seconds: float = 0.5,
        min_hits: int | None = None,
        frame_size: tuple[int, int] | None = None,
        match_cost: float = 1.35,
        low_match_cost: float = 1.15,
        q_pos: float = 0.05,
        q_vel: float = 0.6,
        meas_std: float = 0.05,
        lost_velocity_tau: float = 2.0,
        low_penalty: float = 0.15,
        recover: bool = True,
        strong_conf: float = 0.65,
        size_weight: float = 0.6,
        dist_base: float = 0.45,
        dist_rate: float = 0.9,
        gate: float = 3.0,
        lost_iou: float = 0.3,
        still_share: float = 0.2,
    ):
        self.high_thresh = high_thresh
        self.low_thresh = low_thresh
        self.new_track_thresh = new_track_thresh
        self.max_lost_seconds = max_lost_seconds
        self.exit_lost_seconds = exit_lost_seconds
        self.fixed_min_hits = min_hits
        self.frame_size = frame_size
        self.match_cost = match_cost
        self.low_match_cost = low_match_cost
        self.q_pos = q_pos
        self.q_vel = q_vel
        self.meas_std = meas_std
        self.lost_velocity_tau = lost_velocity_tau
        self.low_penalty = low_penalty
        self.recover = recover
        self.strong_conf = strong_conf
        self.size_weight = size_weight
        self.dist_base = dist_base
        self.dist_rate = dist_rate
        self.gate = gate  # squared Mahalanobis gate on the Kalman centre innovation (see module doc)
        # A track lost for over a second takes a weak box only where it overlaps its prediction this much. 0.5
        # before: on the wide tuning scenes (realistic, seeds 100-119) 0.3 took count error 24.5 -> 23.5%, time
        # 18.1 -> 17.4%, max_wait 12.3 -> 10.5% (0.1 and 0.2 alike; 0.3 is the smallest change) and the default
        # scene's worst time error (seeds 10-29) 10.6 -> 7.2%; TUD IDF1 unchanged. An occluded person standing in
        # a line is seen again mostly in weak, shifted boxes.
        self.lost_iou = lost_iou
        # Still hypothesis, heights (0: off). Tuning scenes (wide realistic seeds 100-119, baseline = off, same run):
        # count error 22.9 -> 13.6% mean, 109 -> 47% worst; time 16.7 -> 13.4% / 39.7 -> 29.1%. 0.1 kept too few
        # standing people (18.0 / 103%), 0.25-0.4 and a weight of 1.0 cost TUD IDF1 at stride 6 (-1 to -2 points)
        # and the default scene's worst time error (up to 16.7%). Held out: bench/README.md, 2026-12-02.
        self.still_share = still_share

        self._mean = np.zeros((0, 8))
        self._cov = np.zeros((0, 8, 8))
        self._states: list[TrackState] = []
        self._last_box = np.zeros((0, 4))  # last matched detection box (xyxy)
        self._rest = np.zeros((0, 4))  # filtered box (xywh) at the last match
        self._slow = np.zeros((0, 2))  # centre averaged over STILL_TAU seconds: where a standing person is
        self._next_id = 1
        self._queues: list[tuple[Polygon, float, float, float, float]] = []  # (lane, ux, uy, cx, cy)
        # along-lane gate allowance in a queue, heights per second (see set_queues). Off (0): on held-out wide
        # scenes (bench_store_sim --wide, seeds 1000-1019, realistic noise) 0.6 gave worse counts (44.0% mean /
        # 214% worst vs 38.7 / 200), times (27.4 / 49.7 vs 25.3 / 46.2) and max waits (32.3 / 116 vs 29.4 / 71).
        self.queue_along = 0.0
        self.queue_reorder = False  # off: in tests the re-pairing by rank swapped more than it fixed
        # No one in a queue steps back: a track whose box would move backwards along the lane by more than
        # this share of the person's height is infeasible (a swap onto the person behind, or a lost track
        # at the head re-found on someone slots back), once the lane's direction is known (_lane_forward).
        self.queue_back = 0.2
        self._lane_flow: list[tuple[deque, deque]] = []  # per lane: along-axis points of entries, exits
        self._lane_axes: list[LaneAxis] = []
        self._lane_margin = 0.0  # px a lane reaches beyond its polygon (2% of the frame diagonal)
        self._lane_fwd = np.zeros(0)  # +1 / -1 along the lane axis, 0 while unknown
        self._lane_pos: dict[int, _LaneRun] = {}  # id(TrackState) -> its current run in a lane (_record_lane_flow)
        self._t: float | None = None
        self._dt_est: float | None = None
        self.removed: list[TrackState] = []  # tracks dropped at the latest update

    # -- public -----------------------------------------------------------------------------

    @property
    def tracks(self) -> list[TrackState]:
        """Confirmed tracks alive now (matched at the latest update or lost but kept)."""
        return [s for s in self._states if s.confirmed]

    def output_tracks(self, max_coast_seconds: float = 0.5) -> list[TrackState]:
        """Tracks to draw or write out now: confirmed tracks matched at this update, plus those
        missed for at most `max_coast_seconds` (their Kalman-predicted box; the person is still
        there, the detector just missed them) whose predicted centre is inside the frame."""
        out = []
        t = self._t if self._t is not None else 0.0
        for i, s in enumerate(self._states):
            if not s.confirmed:
                continue
            if s.matched:
                out.append(s)
                continue
            if t - s.last_seen > max_coast_seconds or s.hits < 3:
                continue
            if self.frame_size is not None:
                cx, cy = self._mean[i, 0], self._mean[i, 1]
                if not (0 <= cx <= self.frame_size[0] and 0 <= cy <= self.frame_size[1]):
                    continue
            out.append(s)
        return out

    def set_queues(self, polygons: Sequence[Sequence[tuple[float, float]]]) -> None:
        """Queue polygons (frame px) for the queue-order association.

        People in a queue stand in a line along the polygon's long axis (of its minimum rotated
        rectangle), do not overtake each other and advance together. For a track and a box both in
        the same queue lane (the polygon grown by 2% of the frame diagonal), the Kalman gate is
        widened along the axis only (an extra `queue_along` heights per second of the time since the
        track was seen): a stationary line that moves up is followed instead of every track losing
        its box and the neighbours' tracks re-finding them one slot on. After the assignment the
        pairs of people in the line (within 0.3 heights of its centre line) are put back in order:
        the k-th track along the axis gets the k-th box, when those pairs are feasible.

        The lane's forward direction is learned from the flow (_lane_forward): where tracks come into the
        lane and where they leave it. Once known, no track moves backwards along it (`queue_back`).
        """
        diag = math.hypot(*self.frame_size) if self.frame_size else 1468.6
        self._lane_margin = 0.02 * diag
        self._queues = []
        for pts in polygons:
            poly = Polygon(pts)
            if len(pts) < 3 or not poly.is_valid or poly.area <= 0:
                continue
            axis = LaneAxis(pts)
            c = poly.centroid
            self._queues.append((poly.buffer(self._lane_margin), axis.ux, axis.uy, c.x, c.y))
            self._lane_axes.append(axis)
            self._lane_flow.append((deque(maxlen=LANE_FLOW_KEEP), deque(maxlen=LANE_FLOW_KEEP)))
        self._lane_fwd = np.zeros(len(self._queues))

    def _lane_forward(self) -> None:
        """Each lane's forward direction from its flow: people join at the tail and leave at the head, so
        the median point (along the axis) where tracks left the lane lies ahead of the median point where
        they came in. Unknown (0) until 8 of each are seen and the two medians are a quarter of the lane
        apart; identity swaps inside the line make entries and exits anywhere, the medians stay put."""
        for k, (ins, outs) in enumerate(self._lane_flow):
            if len(ins) < 8 or len(outs) < 8:
                continue
            d = float(np.median(outs) - np.median(ins))
            self._lane_fwd[k] = math.copysign(1.0, d) if abs(d) > 0.25 * self._lane_axes[k].length else 0.0

    def _record_lane_flow(self, t: float) -> None:
        """Entries into and exits from the queue lanes by the tracks matched at this update: an entry once a
        track has been in a lane for LANE_RUN_SECONDS (its first point there), an exit once a track that had
        been in a lane that long has been out of it for a second (its last point there). Brief visits (a
        neighbour's feet flickering over the edge) count for neither."""
        states = [s for s in self._states if s.matched and s.confirmed]
        if not states:
            return
        fx, fy = _feet(np.array([s.det_box for s in states]))
        for s, x, y, k in zip(states, fx, fy, self._queue_of(fx, fy)):
            run = self._lane_pos.get(id(s))
            if k >= 0:
                along = float(self._along(k, x, y))
                if run is None or run.lane != k:
                    if run is not None and run.counted and t - run.last_t >= 1.0:
                        self._lane_flow[run.lane][1].append(run.last_along)
                    run = self._lane_pos[id(s)] = _LaneRun(int(k), along, t)
                run.last_along, run.last_t = along, t
                if not run.counted and t - run.first_t >= LANE_RUN_SECONDS:
                    self._lane_flow[k][0].append(run.first_along)
                    run.counted = True
            elif run is not None and t - run.last_t >= 1.0:
                if run.counted:
                    self._lane_flow[run.lane][1].append(run.last_along)
                del self._lane_pos[id(s)]

    def _backwards(self, last: np.ndarray, D: np.ndarray, heights: np.ndarray) -> np.ndarray:
        """[tracks, boxes]: True where the box lies behind the track's last box along a queue lane with a
        known direction, by more than queue_back heights: the track's feet in the lane, the box's in the lane
        or on its continuation beyond the tail (the overflow of a line longer than its polygon)."""
        out = np.zeros((len(last), len(D)), dtype=bool)
        if not self._lane_fwd.any():
            return out
        lx, ly = _feet(last)
        dx, dy = _feet(D)
        lt, ld = self._queue_of(lx, ly), self._queue_of(dx, dy)
        for k, fwd in enumerate(self._lane_fwd):
            if not fwd:
                continue
            along_d = self._along(k, dx, dy)
            step = fwd * (along_d[None, :] - self._along(k, lx, ly)[:, None])
            # A box beyond the tail, on the line's continuation, is behind too: a line longer than its polygon
            # goes on past the tail, and the person there stepping up is not the one at the tail.
            axis = self._lane_axes[k]
            tail = axis.extent[0] if fwd > 0 else axis.extent[1]
            past_tail = (fwd * (along_d - tail) < 0) & (
                np.abs(self._across(k, dx, dy)) <= axis.width / 2 + self._lane_margin)
            in_line = (ld == k) | ((ld < 0) & past_tail)
            out |= (lt[:, None] == k) & in_line[None, :] & (step < -self.queue_back * heights[:, None])
        return out

    def _along(self, k: int, x, y):
        """Position of feet along lane k's axis (frame px)."""
        return x * self._queues[k][1] + y * self._queues[k][2]

    def _across(self, k: int, x, y):
        """Signed distance of feet from lane k's centre line (frame px)."""
        _lane, ux, uy, cx, cy = self._queues[k]
        return -(x - cx) * uy + (y - cy) * ux

    def _queue_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the queue lane containing each point (feet), -1 for none."""
        out = np.full(len(x), -1, dtype=int)
        for k, (lane, *_rest) in enumerate(self._queues):
            inside = shapely.contains_xy(lane, x, y) & (out < 0)
            out[inside] = k
        return out

    def update(self, t: float, detections: Sequence[Detection]) -> list[TrackState]:
        t = float(t)
        dt = 0.0 if self._t is None else max(0.0, t - self._t)
        if self._t is not None and dt > 0:
            self._dt_est = dt if self._dt_est is None else 0.9 * self._dt_est + 0.1 * min(dt, 2.0)
        self._t = t
        self.removed = []
        if dt > 0 and len(self._states):
            self._predict(dt, t)

        dets = np.array([[d.x1, d.y1, d.x2, d.y2, d.conf] for d in detections], dtype=float).reshape(-1, 5)
        if len(dets):
            ok = (dets[:, 2] > dets[:, 0]) & (dets[:, 3] > dets[:, 1]) & (dets[:, 4] >= self.low_thresh)
            dets = dets[ok]
        n = len(self._states)
        for s in self._states:
            s.matched = False
        matched_det = np.full(len(dets), False)

        if n and len(dets):
            is_high = dets[:, 4] >= self.high_thresh
            all_tracks = np.arange(n)
            all_dets = np.arange(len(dets))
            # Stage 1: high-confidence boxes. The assignment sees the low boxes too (at a penalty),
            # so a high box is not handed to the wrong one of two crossing people just because the
            # right person's box happens to be low-confidence; only the high matches are kept.
            pairs1 = [
                (i, j) for i, j in self._associate(all_tracks, all_dets, dets, t, self.match_cost, is_high)
                if is_high[j]
            ]
            used_tracks = {i for i, _ in pairs1}
            # Stage 2 (ByteTrack): low-confidence boxes for the tracks left, stricter threshold.
            # Every unmatched track competes (not only the recently seen ones, unlike ByteTrack):
            # otherwise a lost person's low box goes to a wrong but recent neighbour.
            rest = np.array(
                [i for i in range(n) if i not in used_tracks and t - self._states[i].last_seen <= 3.0], dtype=int
            )
            low = np.flatnonzero(~is_high)
            pairs2 = self._associate(rest, low, dets, t, self.low_match_cost, is_high)
            pairs = pairs1 + pairs2
            if pairs:
                self._update_matched(pairs, dets, t)
                for _, j in pairs:
                    matched_det[j] = True

        self._spawn(dets, matched_det, t)
        if self._queues:
            self._record_lane_flow(t)
            self._lane_forward()
        self._prune(t)
        return self.tracks

    # -- internals --------------------------------------------------------------------------

    def _min_hits(self, conf_sum: float = 0.0, hits: int = 0) -> int:
        if self.fixed_min_hits is not None:
            return self.fixed_min_hits
        base = 3 if (self._dt_est is not None and self._dt_est < 0.1) else 2
        # Weak evidence (mean confidence below strong_conf) needs one more detection: false
        # positives come in short bursts of middling confidence.
        if hits and conf_sum / hits < self.strong_conf:
            base += 1
        return base

    def _predict(self, dt: float, t: float) -> None:
        m, P = self._mean, self._cov
        F = np.eye(8)
        F[0, 4] = F[1, 5] = F[2, 6] = F[3, 7] = dt
        # Velocity of lost tracks decays: a person hidden for seconds has usually stopped or turned.
        lost = np.array([t - dt - s.last_seen > 1e-9 for s in self._states])
        if lost.any():
            decay = math.exp(-dt / self.lost_velocity_tau)
            m[lost, 4:6] *= decay
            m[lost, 6:8] = 0.0
        m[:] = m @ F.T
        h = np.maximum(m[:, 3], 1.0)
        q = np.empty((len(m), 8))
        q[:, 0:2] = (self.q_pos * h[:, None]) ** 2
        q[:, 2:4] = (0.5 * self.q_pos * h[:, None]) ** 2
        q[:, 4:6] = (self.q_vel * h[:, None]) ** 2
        q[:, 6:8] = (0.1 * self.q_vel * h[:, None]) ** 2
        P[:] = F @ P @ F.T
        idx = np.arange(8)
        P[:, idx, idx] += q * dt
        boxes = _xywh_to_xyxy(m[:, :4])
        for s, b in zip(self._states, boxes):
            s.box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    def _associate(self, tracks: np.ndarray, det_idx: np.ndarray, dets: np.ndarray, t: float, max_cost: float,
                   is_high: np.ndarray):
        if len(tracks) == 0 or len(det_idx) == 0:
            return []
        m = self._mean[tracks]
        P = self._cov[tracks]
        D = dets[det_idx, :4]
        pred = _xywh_to_xyxy(m[:, :4])
        iou = _iou(pred, D)
        # Height of the track: its filtered height (robust to a stray predicted size change).
        th = np.maximum(m[:, 3], 1.0)
        tw = np.maximum(m[:, 2], 1.0)
        dh = D[:, 3] - D[:, 1]
        dw = D[:, 2] - D[:, 0]
        hr = dh[None, :] / th[:, None]
        wr = dw[None, :] / tw[:, None]
        size_ok = (hr < 1.6) & (hr > 1 / 1.6) & (wr < 2.2) & (wr > 1 / 2.2)
        # Centre distance, normalised by the Kalman innovation covariance and by height.
        bx = (D[:, 0] + D[:, 2]) / 2.0  # box centres
        by = (D[:, 1] + D[:, 3]) / 2.0
        dcx = bx[None, :] - m[:, 0][:, None]
        dcy = by[None, :] - m[:, 1][:, None]
        r = (self.meas_std * th) ** 2
        s00 = P[:, 0, 0] + r
        s11 = P[:, 1, 1] + r
        s01 = P[:, 0, 1]
        det = s00 * s11 - s01 * s01
        maha = _maha(s00, s11, s01, det, dcx, dcy)
        dist_n = np.hypot(dcx, dcy) / th[:, None]
        gap = np.array([t - self._states[i].last_seen for i in tracks])
        max_dist = np.minimum(self.dist_base + self.dist_rate * gap, 2.0)
        qt = qd = None
        if self._queues:
            # Queue lanes: widen the gate along the lane axis only (see set_queues).
            qt = self._queue_of(m[:, 0], m[:, 1] + m[:, 3] / 2.0)
            qd = self._queue_of(bx, D[:, 3])
            same = (qt[:, None] == qd[None, :]) & (qt[:, None] >= 0)
            if same.any():
                axes = np.array([q[1:3] for q in self._queues])
                u = np.where(qt[:, None] >= 0, axes[np.maximum(qt, 0)], 0.0)
                a = (self.queue_along * th * np.clip(gap, 0.1, 2.0)) ** 2
                q00 = s00 + a * u[:, 0] ** 2
                q11 = s11 + a * u[:, 1] ** 2
                q01 = s01 + a * u[:, 0] * u[:, 1]
                qdet = q00 * q11 - q01 * q01
                maha_q = _maha(q00, q11, q01, qdet, dcx, dcy)
                maha = np.where(same, maha_q, maha)
        if self.still_share > 0:
            # Standing tracks: a second prediction at the slow centre (see the module doc).
            place = self._rest[tracks].copy()
            slow = self._slow[tracks]
            age = np.array([self._states[i].last_seen - self._states[i].first_seen for i in tracks])
            standing = (np.hypot(*(place[:, :2] - slow).T) < self.still_share * np.maximum(place[:, 3], 1.0)) & (
                age >= STILL_AGE)
            if standing.any():
                place[:, :2] = slow
                iou_s = STILL_WEIGHT * _iou(_xywh_to_xyxy(place), D)
                iou = np.where(standing[:, None], np.maximum(iou, iou_s), iou)
                scx = bx[None, :] - slow[:, 0][:, None]
                scy = by[None, :] - slow[:, 1][:, None]
                maha_s = _maha(s00, s11, s01, det, scx, scy)
                maha = np.where(standing[:, None], np.minimum(maha, maha_s), maha)
                dist_n = np.where(standing[:, None], np.minimum(dist_n, np.hypot(scx, scy) / th[:, None]), dist_n)
        # Kalman gate always applies (a still track must not jump to a neighbour); a pair also
        # needs overlap or a centre distance plausible for the time since the track was seen.
        # At video rates (>= 12.5 detections/s) there are many more chances per second for a chance
        # rejection, and a person moves little between frames: the gate is doubled there.
        dt_est = self._dt_est if self._dt_est is not None else 0.25
        gate = self.gate * (2.0 if dt_est < 0.08 else 1.0)
        feasible = size_ok & (maha < gate) & ((iou > 0.1) | (dist_n < max_dist[:, None]))
        if len(self._states) > 1:
            feasible &= (iou > 0.1) | self._nearest_to(tracks, D, t)
        # A track lost for more than a second is only re-found by a confident box or by one right
        # where it is expected (an occluded person in a queue): the weak boxes elsewhere are mostly
        # false positives, and a wrong re-find teleports an identity.
        confident = dets[det_idx, 4] >= self.new_track_thresh
        feasible &= (gap < 1.0)[:, None] | confident[None, :] | (iou > self.lost_iou)
        if self._queues:
            feasible &= ~self._backwards(self._last_box[tracks], D, th)
        cost = (1.0 - iou) + 0.5 * np.minimum(maha, gate) / gate + self.size_weight * np.abs(np.log(hr))
        cost = cost + np.where(is_high[det_idx], 0.0, self.low_penalty)[None, :]
        cost = np.where(feasible, cost, _INF)
        rows, cols = linear_sum_assignment(cost)
        # A young track does not know its velocity yet, so its prediction cannot be expected to
        # overlap the next box of a fast walker: any pair inside its gates is accepted.
        young = np.array([self._states[i].hits < 3 for i in tracks])
        keep = [(r_, c_) for r_, c_ in zip(rows, cols)
                if cost[r_, c_] < (max(max_cost, 1.6) if young[r_] else max_cost)]
        if qt is not None and len(keep) > 1 and self.queue_reorder:
            keep = self._queue_order(keep, qt, qd, m, D, th, cost)
        return [(int(tracks[r_]), int(det_idx[c_])) for r_, c_ in keep]

    def _nearest_to(self, tracks: np.ndarray, D: np.ndarray, t: float) -> np.ndarray:
        """[tracks, boxes]: True where no other active track (confirmed, matched in the last 0.5 s) predicts
        nearer to the box's centre than this track. A box that does not overlap a track's prediction is only
        found by distance (the track was lost, or moves fast); in a crowd the box beside a lost track's old
        place is usually a neighbour's, so such a pair needs the track to be the nearest claimant."""
        m = self._mean
        dcx = ((D[:, 0] + D[:, 2]) / 2.0)[None, :] - m[:, 0][:, None]
        dcy = ((D[:, 1] + D[:, 3]) / 2.0)[None, :] - m[:, 1][:, None]
        dist = np.hypot(dcx, dcy)  # [all tracks, boxes]
        active = np.array([s.confirmed and t - s.last_seen < 0.5 for s in self._states])
        others = np.where(active[:, None], dist, np.inf)
        order = np.argsort(others, axis=0, kind="stable")
        cols = np.arange(len(D))
        best, second = others[order[0], cols], others[order[1], cols]
        nearest_other = np.where(order[0][None, :] == tracks[:, None], second[None, :], best[None, :])
        return dist[tracks] < nearest_other

    def _queue_order(self, pairs, qt, qd, m, D, th, cost):
        """People in a queue keep their order: re-pair the line's matched tracks and boxes by rank
        along the lane axis (k-th track with the k-th box) when every such pair is feasible."""
        pairs = list(pairs)
        for k, (_lane, ux, uy, _cx, _cy) in enumerate(self._queues):
            idx = [n for n, (r_, c_) in enumerate(pairs) if qt[r_] == k and qd[c_] == k]
            if len(idx) < 2:
                continue
            rs = np.array([pairs[n][0] for n in idx])
            cs = np.array([pairs[n][1] for n in idx])
            fx, fy = m[rs, 0], m[rs, 1] + m[rs, 3] / 2.0
            # only people standing in the line (near its centre line), not someone walking past it
            inline = np.abs(self._across(k, fx, fy)) < 0.3 * th[rs]
            if inline.sum() < 2:
                continue
            rs, cs = rs[inline], cs[inline]
            idx = [n for n, ok in zip(idx, inline) if ok]
            s_t = m[rs, 0] * ux + (m[rs, 1] + m[rs, 3] / 2.0) * uy
            s_d = ((D[cs, 0] + D[cs, 2]) / 2.0) * ux + D[cs, 3] * uy
            new_cs = cs[np.argsort(s_d)][np.argsort(np.argsort(s_t))]
            if np.array_equal(new_cs, cs) or not np.all(cost[rs, new_cs] < _INF):
                continue
            for n, r_, c_ in zip(idx, rs, new_cs):
                pairs[n] = (r_, c_)
        return pairs

    def _update_matched(self, pairs, dets: np.ndarray, t: float) -> None:
        ti = np.array([p[0] for p in pairs])
        di = np.array([p[1] for p in pairs])
        m = self._mean[ti]
        P = self._cov[ti]
        z = _xyxy_to_xywh(dets[di, :4])
        h = np.maximum(z[:, 3], 1.0)
        R = np.zeros((len(ti), 4, 4))
        idx = np.arange(4)
        R[:, idx, idx] = (self.meas_std * h[:, None]) ** 2
        # A track re-found after a long gap restarts its velocity: the old one is stale.
        gaps = np.array([t - self._states[i].last_seen for i in ti])
        stale = gaps > 1.5
        if stale.any():
            m[stale, 4:8] = 0.0
            P[stale, 4:, :] = 0.0
            P[stale, :, 4:] = 0.0
            hs = h[stale]
            P[stale, 4, 4] = P[stale, 5, 5] = (1.0 * hs) ** 2
            P[stale, 6, 6] = P[stale, 7, 7] = (0.1 * hs) ** 2
        S = P[:, :4, :4] + R
        Kt = np.linalg.solve(S, P[:, :4, :])  # (k,4,8) = S^-1 H P
        K = np.transpose(Kt, (0, 2, 1))
        y = z - m[:, :4]
        m = m + np.einsum("kij,kj->ki", K, y)
        P = P - np.einsum("kij,kjl->kil", K, P[:, :4, :])
        self._mean[ti] = m
        self._cov[ti] = 0.5 * (P + np.transpose(P, (0, 2, 1)))
        self._last_box[ti] = dets[di, :4]
        self._rest[ti] = m[:, :4]
        w = 1.0 - np.exp(-np.minimum(gaps, 5.0) / STILL_TAU)
        self._slow[ti] += w[:, None] * (m[:, :2] - self._slow[ti])
        boxes = _xywh_to_xyxy(m[:, :4])
        for k, i in enumerate(ti):
            s = self._states[i]
            s.matched = True
            s.hits += 1
            s.last_seen = t
            s.conf = float(dets[di[k], 4])
            s.box = tuple(float(v) for v in boxes[k])
            s.det_box = tuple(float(v) for v in dets[di[k], :4])
            if not s.confirmed:
                s.pre_confirm.append((t, s.box))
                s.conf_sum += s.conf
                if s.hits >= self._min_hits(s.conf_sum, s.hits):
                    s.confirmed = True
                    s.track_id = self._next_id
                    self._next_id += 1

    def _spawn(self, dets: np.ndarray, matched_det: np.ndarray, t: float) -> None:
        cand = np.where(~matched_det & (dets[:, 4] >= self.new_track_thresh))[0] if len(dets) else []
        if len(cand) == 0:
            return
        taken = [tuple(self._states[i].det_box) for i in range(len(self._states)) if self._states[i].matched]
        new_rows = []
        for j in cand:
            box = dets[j, :4]
            if taken:
                ov = _iou(box[None, :], np.array(taken))[0]
                if ov.max() > 0.7:  # duplicate box on a person already tracked
                    continue
            new_rows.append(j)
            taken.append(tuple(box))
        if new_rows and self.recover:
            new_rows = self._recover(dets, new_rows, t)
        if not new_rows:
            return
        z = _xyxy_to_xywh(dets[new_rows, :4])
        k = len(new_rows)
        mean = np.zeros((k, 8))
        mean[:, :4] = z
        h = np.maximum(z[:, 3], 1.0)
        cov = np.zeros((k, 8, 8))
        sd = np.stack([2 * self.meas_std * h, 2 * self.meas_std * h, 2 * self.meas_std * h, 2 * self.meas_std * h,
                       1.0 * h, 1.0 * h, 0.1 * h, 0.1 * h], axis=1)
        idx = np.arange(8)
        cov[:, idx, idx] = sd**2
        self._mean = np.concatenate([self._mean, mean])
        self._cov = np.concatenate([self._cov, cov])
        self._last_box = np.concatenate([self._last_box, dets[new_rows, :4]])
        self._rest = np.concatenate([self._rest, z])
        self._slow = np.concatenate([self._slow, z[:, :2]])
        min_hits = self._min_hits()
        for j in new_rows:
            box = tuple(float(v) for v in dets[j, :4])
            s = TrackState(track_id=-1, box=box, conf=float(dets[j, 4]), confirmed=False, matched=True,
                           last_seen=t, first_seen=t, hits=1, det_box=box, pre_confirm=[(t, box)],
                           conf_sum=float(dets[j, 4]))
            if min_hits <= 1:
                s.confirmed = True
                s.track_id = self._next_id
                self._next_id += 1
            self._states.append(s)

    def _recover(self, dets: np.ndarray, rows: list[int], t: float) -> list[int]:
        """Stage 3: give a box that would start a new track to a nearby lost track instead.

        A person who reappears away from the frame edge is far more often someone we lost (occluded,
        or their box went to a neighbour) than a newcomer, so the relaxed gate here (distance to the
        track's last box within (0.5 + 0.3 x seconds lost) heights, at most 1.5; only tracks with 6+
        detections, so a track made of false positives cannot hop around) re-attaches them and
        keeps their identity and their open stays. Returns the rows still needing a new track.
        """
        lost = [i for i, s in enumerate(self._states) if s.confirmed and not s.matched and s.hits >= 6]
        if not lost:
            return rows
        keep = [j for j in rows if not self._at_edge(dets[j, :4])]
        if not keep:
            return rows
        L = self._last_box[lost]
        D = dets[keep, :4]
        lh = np.maximum(L[:, 3] - L[:, 1], 1.0)
        dh = D[:, 3] - D[:, 1]
        hr = dh[None, :] / lh[:, None]
        lc = np.stack([(L[:, 0] + L[:, 2]) / 2, (L[:, 1] + L[:, 3]) / 2], 1)
        dc = np.stack([(D[:, 0] + D[:, 2]) / 2, (D[:, 1] + D[:, 3]) / 2], 1)
        dist = np.hypot(lc[:, None, 0] - dc[None, :, 0], lc[:, None, 1] - dc[None, :, 1]) / lh[:, None]
        gap = np.array([t - self._states[i].last_seen for i in lost])
        radius = np.minimum(0.5 + 0.3 * gap, 1.5)
        ok = (dist < radius[:, None]) & (hr < 1.5) & (hr > 1 / 1.5)
        if self._queues:
            ok &= ~self._backwards(L, D, lh)
        if not ok.any():
            return rows
        cost = np.where(ok, dist, _INF)
        r, c = linear_sum_assignment(cost)
        used = set()
        pairs = []
        for a, b in zip(r, c):
            if cost[a, b] < _INF:
                pairs.append((lost[a], keep[b]))
                used.add(keep[b])
        if pairs:
            # Restart the motion state at the box: the old velocity says nothing after the gap.
            ti = np.array([p[0] for p in pairs])
            z = _xyxy_to_xywh(dets[[p[1] for p in pairs], :4])
            h = np.maximum(z[:, 3], 1.0)
            self._mean[ti] = 0.0
            self._mean[ti, :4] = z
            cov = np.zeros((len(ti), 8, 8))
            idx = np.arange(8)
            sd = np.stack([2 * self.meas_std * h] * 4 + [1.0 * h, 1.0 * h, 0.1 * h, 0.1 * h], axis=1)
            cov[:, idx, idx] = sd**2
            self._cov[ti] = cov
            self._last_box[ti] = dets[[p[1] for p in pairs], :4]
            self._rest[ti] = z
            self._slow[ti] = z[:, :2]
            for i, j in pairs:
                st = self._states[i]
                st.matched = True
                st.hits += 1
                st.last_seen = t
                st.conf = float(dets[j, 4])
                st.box = st.det_box = tuple(float(v) for v in dets[j, :4])
        return [j for j in rows if j not in used]

    def _at_edge(self, box) -> bool:
        if self.frame_size is None:
            return False
        W, H = self.frame_size
        return bool(box[0] <= 0.02 * W or box[2] >= 0.98 * W or box[3] >= 0.995 * H or box[1] <= 0.005 * H)

    def _prune(self, t: float) -> None:
        if not self._states:
            return
        dt_est = self._dt_est if self._dt_est is not None else 0.25
        tentative_ttl = max(2.5 * dt_est, 0.3)
        keep = []
        for i, s in enumerate(self._states):
            gap = t - s.last_seen
            if not s.confirmed:
                alive = gap <= tentative_ttl
            elif gap > self.max_lost_seconds or (gap > 0 and self._left_view(i, gap)):
                alive = False
            else:
                alive = True
            keep.append(alive)
            if not alive and s.confirmed:
                self.removed.append(s)
        if all(keep):
            return
        k = np.array(keep)
        self._mean = self._mean[k]
        self._cov = self._cov[k]
        self._last_box = self._last_box[k]
        self._rest = self._rest[k]
        self._slow = self._slow[k]
        for s, a in zip(self._states, keep):
            if not a:
                self._lane_pos.pop(id(s), None)
        self._states = [s for s, a in zip(self._states, keep) if a]

    def _left_view(self, i: int, gap: float) -> bool:
        """Lost at the frame edge while moving out: gone once its predicted centre is outside the
        frame, or after exit_lost_seconds."""
        if self.frame_size is None:
            return False
        W, H = self.frame_size
        x1, y1, x2, y2 = self._last_box[i]
        vx, vy = self._mean[i, 4], self._mean[i, 5]
        mx, my = 0.02 * W, 0.02 * H
        at_edge = (x1 <= mx and vx <= 0) or (x2 >= W - mx and vx >= 0) or (y1 <= my and vy <= 0) or (
            y2 >= H - my and vy >= 0
        )
        if not at_edge:
            return False
        cx, cy = self._mean[i, 0], self._mean[i, 1]
        return bool(gap > self.exit_lost_seconds or not (0 <= cx <= W and 0 <= cy <= H))


def _xyxy_to_xywh(b: np.ndarray) -> np.ndarray:
    out = np.empty_like(b, dtype=float)
    out[:, 0] = (b[:, 0] + b[:, 2]) / 2.0
    out[:, 1] = (b[:, 1] + b[:, 3]) / 2.0
    out[:, 2] = b[:, 2] - b[:, 0]
    out[:, 3] = b[:, 3] - b[:, 1]
    return out


class _LaneRun:
    """A track's current stay in a queue lane, for the lane's flow (Tracker._record_lane_flow)."""

    __slots__ = ("counted", "first_along", "first_t", "lane", "last_along", "last_t")

    def __init__(self, lane: int, along: float, t: float):
        self.lane = lane
        self.first_along = self.last_along = along
        self.first_t = self.last_t = t
        self.counted = False  # its entry was recorded (it stayed LANE_RUN_SECONDS)


def _feet(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bottom-centre (x, y) of [n, 4] xyxy boxes."""
    return (boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]


def _xywh_to_xyxy(s: np.ndarray) -> np.ndarray:
    out = np.empty((len(s), 4))
    w = np.maximum(s[:, 2], 1.0)
    h = np.maximum(s[:, 3], 1.0)
    out[:, 0] = s[:, 0] - w / 2.0
    out[:, 1] = s[:, 1] - h / 2.0
    out[:, 2] = s[:, 0] + w / 2.0
    out[:, 3] = s[:, 1] + h / 2.0
    return out


def _maha(s00: np.ndarray, s11: np.ndarray, s01: np.ndarray, det: np.ndarray, dx: np.ndarray,
          dy: np.ndarray) -> np.ndarray:
    """[tracks, boxes] squared Mahalanobis distance of centre offsets (dx, dy) under each track's 2x2
    covariance [[s00, s01], [s01, s11]] with determinant det."""
    return (s11[:, None] * dx**2 - 2 * s01[:, None] * dx * dy + s00[:, None] * dy**2) / det[:, None]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix1 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy1 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix2 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    bb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + bb[None, :] - inter, 1e-9)


def box_iou(a: Box, b: Box) -> float:
    return float(_iou(np.array([a]), np.array([b]))[0, 0])
