"""Queue-aware association (a dense line moving up keeps its waits) and the Little's-law figure (flow_wait)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime

import pytest

from vision.config import load_camera_config
from vision.events import SummaryAccumulator, summarize_events
from vision.mot import iter_frames, read_det_txt
from vision.pipeline import EventPipeline
from vision.simulator import Scene, _queue_polygon, simulate
from vision.types import Detection

START = datetime(2025, 10, 1, 10, tzinfo=UTC)


def _dense_queue(spacing_h: float, speed: float) -> Scene:
    """A line along the image x axis, people 0.18-0.2 heights apart (boxes 0.4 heights wide overlap by half)
    moving up at up to the walking speed, a customer every 7 s, short service: the line moves often."""
    server = (1180.0, 600.0)
    h = 80 + 0.25 * server[1]
    step = (-spacing_h * h, 0.0)
    return Scene(queues={"checkout": _queue_polygon(server, step, 7, 0.3 * h + 10)}, server=server, slot_step=step,
                 slot_jitter=2.0, arrival_mean=7.0, queue_share=0.95, queue_speed=speed, service=(6.0, 14.0))


@pytest.mark.parametrize("spacing_h,speed", [(0.2, 1.0), (0.18, 0.8)])
def test_dense_queue_advancing_keeps_waits_with_clean_detections(tmp_path, spacing_h, speed):
    gt = simulate(tmp_path, seed=3, fps=4.0, noise="clean", duration=400, scene=_dense_queue(spacing_h, speed))
    q_gt = gt["queues"]["checkout"]
    assert q_gt["served"] >= 30  # a busy line that moved up dozens of times
    cfg = load_camera_config(tmp_path / "camera.json")
    pipe = EventPipeline(cfg, START)
    for _, t, dets in iter_frames(read_det_txt(tmp_path / "det.txt"), cfg.fps):
        pipe.update(t, dets)
    pipe.finish()
    q = pipe.summary()["queues"]["checkout"]
    assert q["served"] == q_gt["served"]
    assert q["max_wait"] == pytest.approx(q_gt["max_wait"], rel=0.01)
    assert q["avg_wait"] == pytest.approx(q_gt["avg_wait"], rel=0.01)
    assert q["flow_wait"] == pytest.approx(q_gt["flow_wait"], rel=0.01)


def test_queue_lane_axis_comes_from_the_polygon():
    from vision.tracker import Tracker

    tr = Tracker(frame_size=(1280, 720))
    tr.set_queues([[(700, 500), (1200, 400), (1220, 480), (720, 580)]])  # a lane tilted up to the right
    _lane, ux, uy, _cx, _cy = tr._queues[0]
    assert abs(ux * 500 + uy * -100) / math.hypot(500, 100) == pytest.approx(1.0, abs=0.02)


def _person(x: float, y: float) -> Detection:
    return Detection(x - 40, y - 200, x + 40, y, 0.9)


def _path(t: float, keys: list[tuple[float, float]]) -> float | None:
    """x at time t, walking linearly between (t, x) keys; None outside the path's time."""
    at = _path_xy(t, [(k[0], k[1], 0.0) for k in keys])
    return None if at is None else at[0]


def _path_xy(t: float, keys: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """(x, y) at time t, moving linearly between (t, x, y) keys; None outside the path's time."""
    if t < keys[0][0] or t > keys[-1][0]:
        return None
    for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(keys):
        if t0 <= t <= t1:
            f = (t - t0) / max(t1 - t0, 1e-9)
            return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
    return None


def test_flow_wait_is_people_times_seconds_over_served():
    """Hand-computable: the queue's left edge is x = 500 and people walk at 100 px/s. A is inside from
    t = 1 to 12 (11 s), B from 5 to 25 (20 s), C from 31 to 32.5 (1.5 s, under min_dwell: not served).
    flow_wait = (11 + 20 + 1.5) person-seconds / 2 served = 16.25 s; avg_wait = (11 + 20) / 2 = 15.5 s."""
    cfg = load_camera_config({
        "camera_id": "c", "fps": 4, "frame_size": [1280, 720], "screenshot_size": [1280, 720],
        "queues": {"q": [[500, 300], [1100, 300], [1100, 700], [500, 700]]}, "min_dwell_seconds": 2.0,
    })
    pipe = EventPipeline(cfg, START)
    people = [
        (600.0, [(0, 400), (4, 800), (9, 800), (13, 400)]),
        (450.0, [(4, 400), (8, 800), (22, 800), (26, 400)]),
        (660.0, [(30, 400), (31.75, 575), (33.5, 400)]),
    ]
    for k in range(0, 36 * 4):
        t = k / 4
        dets = [_person(x, y) for y, keys in people if (x := _path(t, keys)) is not None]
        pipe.update(t, dets)
    pipe.finish()
    q = pipe.summary()["queues"]["q"]
    assert q["served"] == 2
    assert q["avg_wait"] == pytest.approx(15.5, abs=0.3)
    assert q["flow_wait"] == pytest.approx(16.25, abs=0.3)


def test_flow_wait_from_events_alone_and_from_an_occupancy():
    acc = SummaryAccumulator(queues=["q"])
    for w in (10.0, 20.0):
        acc.add({"type": "queue", "queue_id": "q", "wait_seconds": w, "person_key": f"p{w}"})
    assert acc.result()["queues"]["q"]["flow_wait"] == 15.0  # from the stays: equals avg_wait
    acc.add_queue_occupancy("q", 45.0)
    assert acc.result()["queues"]["q"] == {"served": 2, "avg_wait": 15.0, "max_wait": 20.0, "flow_wait": 22.5}
    ev = [{"type": "queue", "queue_id": "q", "wait_seconds": 8.0, "person_key": "a"}]
    assert summarize_events(ev)["queues"]["q"]["flow_wait"] == 8.0


def _learned_lane_tracker():
    """A tracker whose lane (x 300..1100) has seen nine people join at its right end, walk left through
    it in 8 s and leave at its left end, one after another."""
    from vision.tracker import Tracker

    tr = Tracker(frame_size=(1280, 720))
    tr.set_queues([[(300, 400), (1100, 400), (1100, 620), (300, 620)]])
    t = 0.0
    for _ in range(9):
        for x in [1250 - 120 * k / 4 for k in range(44)]:  # 1250 -> ~240 px at 120 px/s
            tr.update(t, [_person(x, 560)])
            t += 0.25
        for _ in range(8):  # nobody for 2 s: the last one has left the view
            tr.update(t, [])
            t += 0.25
    return tr, t


def test_queue_direction_is_learned_from_where_people_join_and_leave():
    tr, _t = _learned_lane_tracker()
    _lane, ux, _uy, _cx, _cy = tr._queues[0]
    assert tr._lane_fwd[0] * ux < 0  # forward is towards the left end, where people left


def _refound_after_2s(x_stand: float, x_new: float) -> bool:
    """In the learned lane: a person stands at x_stand for 3 s, is lost for 2 s, then a box appears at x_new.
    Whether that box continues the standing person's track (else it starts a new one)."""
    tr, t = _learned_lane_tracker()
    for _ in range(12):
        tr.update(t, [_person(x_stand, 560)])
        t += 0.25
    (standing,) = tr.tracks
    for _ in range(8):
        tr.update(t, [])
        t += 0.25
    for _ in range(3):
        tr.update(t, [_person(x_new, 560)])
        t += 0.25
    matched = [s for s in tr.tracks if s.matched]
    assert len(matched) == 1
    return matched[0].track_id == standing.track_id


@pytest.mark.parametrize("x_new,same_track", [(520, False), (340, True)])
def test_a_track_lost_in_a_queue_is_not_refound_on_someone_behind_it(x_new, same_track):
    """A person standing at x 400 in the learned lane is lost for 2 s; a box 0.6 heights behind them (x 520)
    starts a new track, one 0.3 heights ahead (x 340: the line moved up) is the same person re-found."""
    assert _refound_after_2s(x_stand=400, x_new=x_new) is same_track


@pytest.mark.parametrize("x_new,same_track", [(1240, False), (1020, True)])
def test_a_track_at_the_tail_is_not_refound_on_the_overflow_behind_it(x_new, same_track):
    """The line is longer than its polygon: someone stands past the tail (x 1240, outside the lane, on its
    continuation). The person at the tail (x 1060) lost for 2 s is not re-found there, 0.9 heights behind;
    0.2 heights ahead (x 1020: the line moved up) it is the same person."""
    assert _refound_after_2s(x_stand=1060, x_new=x_new) is same_track


class _ScriptedTracker:
    """Boxes per track id along scripted (t, x) paths (feet at y 600) or (t, x, y) paths: an identity that passed
    from one person to another inside a line, which the real tracker does under heavy occlusion, made repeatable."""

    frame_size = None

    def __init__(self, paths: dict[int, list[tuple[float, float]]]):
        from vision.types import TrackState

        self._make = TrackState
        self.paths = paths
        self._live: dict = {}
        self.tracks: list = []
        self.removed: list = []

    def update(self, t: float, detections) -> list:
        self.removed = []
        for tid, keys in self.paths.items():
            at = _path_xy(t, [k if len(k) == 3 else (k[0], k[1], 600.0) for k in keys])
            if at is None:
                if tid in self._live:
                    self.removed.append(self._live.pop(tid))
                continue
            d = _person(*at)
            box = (d.x1, d.y1, d.x2, d.y2)
            st = self._live.get(tid) or self._make(track_id=tid, box=box, conf=0.9, confirmed=True, first_seen=t)
            st.box = st.det_box = box
            st.matched, st.last_seen, st.hits = True, t, st.hits + 1
            self._live[tid] = st
        self.tracks = list(self._live.values())
        return self.tracks


def test_whoever_leaves_a_queue_first_joined_it_first():
    """Track 1 comes in at t ~1 and is still in the line at t ~61 (it passed from the first customer to the
    second); track 2 comes in at t ~8.7 and leaves at t ~20.4 (it ended up on the first customer). The line
    is first in, first out: the wait ending at ~20.4 began at ~1 and the one ending at ~61 began at ~8.7,
    not 11.7 s and 60 s. Count and average are the same either way."""
    cfg = load_camera_config({
        "camera_id": "c", "fps": 4, "frame_size": [1280, 720], "screenshot_size": [1280, 720],
        "queues": {"q": [[500, 300], [1100, 300], [1100, 700], [500, 700]]}, "min_dwell_seconds": 2.0,
    })
    tracker = _ScriptedTracker({
        1: [(0, 1200), (2, 1000), (58, 1000), (62, 400)],
        2: [(8, 1200), (10, 900), (18, 900), (21, 400)],
    })
    pipe = EventPipeline(cfg, START, tracker=tracker)
    events = []
    for k in range(int(70 / 0.25)):
        events += pipe.update(k * 0.25, [])
    events += pipe.finish()
    waits = sorted((ev["exit_ts"], ev["enter_ts"], ev["wait_seconds"]) for ev in events if ev["type"] == "queue")
    assert len(waits) == 2
    (_, first_enter, first_wait), (_, last_enter, last_wait) = waits
    assert first_enter < last_enter
    assert first_wait == pytest.approx(20.4 - 1.0, abs=1.0)
    assert last_wait == pytest.approx(61.3 - 8.7, abs=1.0)
    q = pipe.summary()["queues"]["q"]
    assert q["served"] == 2
    assert q["max_wait"] == pytest.approx(last_wait)
    assert q["avg_wait"] == pytest.approx((first_wait + last_wait) / 2, abs=0.01)


LANE = [[500, 500], [1100, 500], [1100, 700], [500, 700]]  # a lane along x: head and tail within 120 px of its ends


def _served(queue: list, paths: dict) -> tuple[int, list]:
    cfg = load_camera_config({
        "camera_id": "c", "fps": 4, "frame_size": [1280, 720], "screenshot_size": [1280, 720],
        "queues": {"q": queue}, "min_dwell_seconds": 2.0,
    })
    pipe = EventPipeline(cfg, START, tracker=_ScriptedTracker(paths))
    events = []
    for k in range(int(70 / 0.25)):
        events += pipe.update(k * 0.25, [])
    events += pipe.finish()
    return pipe.summary()["queues"]["q"]["served"], [e for e in events if e["type"] == "queue"]


def test_an_identity_leaving_the_middle_of_a_line_does_not_add_a_customer():
    """One customer joins the line at its tail (t ~1), waits at x 800 and leaves at its head (t ~43). Their
    track jumps at t 20 to someone passing beside the line (out through its long side); a new track picks the
    customer up where they stand. Nobody leaves a line from its middle: one customer served, one wait."""
    paths = {
        1: [(0, 400, 600), (4, 800, 600), (20, 800, 600), (20.25, 800, 420), (35, 300, 420)],
        2: [(20.5, 800, 600), (40, 800, 600), (44, 1200, 600)],
    }
    served, events = _served(LANE, paths)
    assert served == 1
    (ev,) = events
    assert ev["wait_seconds"] == pytest.approx(43.0 - 1.0, abs=1.0)
    # The same identities in a square waiting area (no line to leave from the middle of): two stays.
    served, _ = _served([[500, 300], [1000, 300], [1000, 700], [500, 700]], paths)
    assert served == 2


def test_an_identity_jumping_onto_someone_in_a_line_continues_their_stay():
    """As above, but the customer is picked up by a track that was following someone beside the line and
    jumps onto them (0.9 heights in one step) after the first track left: it takes over the waiting stay."""
    paths = {
        1: [(0, 400, 600), (4, 800, 600), (20, 800, 600), (20.25, 800, 420), (35, 300, 420)],
        3: [(10, 1200, 420), (21, 780, 420), (21.5, 800, 600), (40, 800, 600), (44, 1200, 600)],
    }
    served, events = _served(LANE, paths)
    assert served == 1
    assert events[0]["wait_seconds"] == pytest.approx(43.0 - 1.0, abs=1.0)
