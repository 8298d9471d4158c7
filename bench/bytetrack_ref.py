"""Baseline tracker for the benches: roboflow `trackers` ByteTrack behind our Tracker interface.

Install (bench only; --no-deps because `trackers` asks for opencv-python, which clashes with the
opencv-python-headless the product uses):  pip install --no-deps -r bench/requirements-baseline.txt
"""

from __future__ import annotations

import numpy as np

from vision.types import Detection, TrackState


def load_bytetrack():
    try:
        import supervision as sv
        from trackers import ByteTrackTracker
    except ImportError as exc:
        raise SystemExit(
            f"baseline needs roboflow trackers ({exc}); run: pip install --no-deps -r bench/requirements-baseline.txt"
        ) from None
    return sv, ByteTrackTracker


class ByteTrackAdapter:
    """Exposes update(t, dets) / tracks / removed like vision.tracker.Tracker.

    Library defaults except frame_rate and the lost-track buffer: the library keeps a lost track
    `lost_track_buffer` frames at 30 fps (30 = 1 s); we give it `lost_seconds` (10 s, as our tracker
    keeps them, GUIDE §2), so the comparison is not won by a longer memory.
    """

    def __init__(self, fps: float, frame_size=None, lost_seconds: float = 10.0, **kwargs):
        self.sv, cls = load_bytetrack()
        kwargs.setdefault("lost_track_buffer", round(30 * lost_seconds))
        self.bt = cls(frame_rate=fps, **kwargs)
        self.frame_size = frame_size
        self._states: dict[int, TrackState] = {}
        self.removed: list[TrackState] = []

    @property
    def tracks(self) -> list[TrackState]:
        return list(self._states.values())

    def update(self, t: float, detections: list[Detection]) -> list[TrackState]:
        sv = self.sv
        if detections:
            xyxy = np.array([[d.x1, d.y1, d.x2, d.y2] for d in detections], dtype=float)
            conf = np.array([d.conf for d in detections], dtype=float)
            dets = sv.Detections(xyxy=xyxy, confidence=conf, class_id=np.zeros(len(detections), dtype=int))
        else:
            dets = sv.Detections.empty()
        res = self.bt.update(dets)
        for s in self._states.values():
            s.matched = False
        ids = res.tracker_id if res.tracker_id is not None else []
        for box, conf, tid in zip(res.xyxy, res.confidence if res.confidence is not None else [1.0] * len(ids), ids):
            tid = int(tid)
            if tid < 0:
                continue
            b = tuple(float(v) for v in box)
            s = self._states.get(tid)
            if s is None:
                s = self._states[tid] = TrackState(tid, b, float(conf), True, first_seen=t)
            s.box, s.det_box, s.conf, s.matched, s.last_seen = b, b, float(conf), True, t
            s.hits += 1
        alive = {int(tr.tracker_id) for tr in self.bt.tracks if tr.tracker_id >= 0}
        self.removed = [s for k, s in self._states.items() if k not in alive]
        for s in self.removed:
            del self._states[s.track_id]
        return self.tracks
