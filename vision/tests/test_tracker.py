"""Tracker behaviour at store detection rates (plain detections, no images)."""

import numpy as np
import pytest

from vision.tracker import Tracker
from vision.types import Detection

from .helpers import person


def _ids_along(tracker_steps):
    """[(t, [(x, y, conf), ...])] -> list of per-step {index: track_id} for confirmed matched tracks."""
    tr = Tracker(frame_size=(1280, 720))
    out = []
    for t, people in tracker_steps:
        dets = [person(x, y, conf=c) for x, y, c in people]
        tr.update(t, dets)
        ids = {}
        for i, d in enumerate(dets):
            for s in tr.tracks:
                if s.matched and s.det_box == d.box:
                    ids[i] = s.track_id
        out.append(ids)
    return out


@pytest.mark.parametrize("fps", [4.0, 25.0])
def test_two_people_crossing_keep_their_ids(fps):
    # Walking towards each other along nearly the same line, 1.2 m/s, crossing mid-frame.
    steps = []
    n = int(10 * fps)
    for i in range(n):
        t = i / fps
        a = (200 + 90 * t, 400, 0.9)
        b = (1100 - 90 * t, 415, 0.9)
        steps.append((t, [a, b]))
    ids = _ids_along(steps)
    first = next(s for s in ids if len(s) == 2)
    last = ids[-1]
    assert first[0] != first[1]
    assert last == first


def test_fast_walker_at_4_fps_keeps_one_id():
    # 0.4 person heights per detection interval: little overlap between consecutive boxes.
    steps = [(i / 4, [(100 + 60 * i, 500, 0.85)]) for i in range(18)]
    ids = _ids_along(steps)
    assert {s[0] for s in ids if s} == {1}


def test_low_confidence_boxes_keep_an_occluded_person():
    steps = [(i / 4, [(600, 500, 0.9 if i < 8 or i > 30 else 0.3)]) for i in range(40)]
    ids = _ids_along(steps)
    assert {s[0] for s in ids if s} == {1}


def test_false_positive_flickers_do_not_become_tracks():
    tr = Tracker(frame_size=(1280, 720))
    for i in range(40):
        dets = [person(300 + 37 * (i % 7) * 3, 400 + 11 * (i % 5), conf=0.5)] if i % 3 == 0 else []
        tr.update(i / 4, dets)
        assert tr.tracks == []


def test_ids_are_kept_10_seconds_after_loss_in_time_not_frames():
    for fps in (4.0, 25.0):
        tr = Tracker(frame_size=(1280, 720))
        t = 0.0
        for i in range(int(2 * fps)):
            t = i / fps
            tr.update(t, [person(640, 500)])
        (track,) = tr.tracks
        # 9.5 s without detections at this rate, then the person is back in the same place.
        for i in range(1, int(9.5 * fps) + 1):
            tr.update(t + i / fps, [])
        assert [s.track_id for s in tr.tracks] == [track.track_id]
        tr.update(t + 9.5 + 1 / fps, [person(645, 502)])
        assert [s.track_id for s in tr.tracks if s.matched] == [track.track_id]


def test_person_leaving_the_frame_is_dropped_quickly():
    tr = Tracker(frame_size=(1280, 720))
    for i in range(12):
        tr.update(i / 4, [person(1200 + 10 * i, 500)] if 1200 + 10 * i < 1290 else [])
    for i in range(12, 20):
        tr.update(i / 4, [])
    assert tr.tracks == []


def test_a_lost_track_does_not_take_a_box_nearer_to_someone_else():
    """A stands at x 400, seen at every update; B walks left past A (from x 560 at 80 px/s) and is then missed
    for 1 s. A box at x 420 (confidence 0.55: matched or dropped, never a new track) overlaps neither B's
    prediction nor A's box enough to be theirs by overlap, and lies nearer to A, who is active, than to B's
    prediction: it is someone beside A, not B re-found (without the rule B takes it)."""
    tr = Tracker(frame_size=(1280, 720))
    t = 0.0
    for k in range(12):
        tr.update(t, [person(400, 500), person(560 - 20 * k, 500)])
        t += 0.25
    a = min(s.track_id for s in tr.tracks)
    assert len(tr.tracks) == 2  # B is tracked before it is missed
    for _ in range(4):
        tr.update(t, [person(400, 500)])
        t += 0.25
    tr.update(t, [person(400, 500), person(420, 500, conf=0.55)])
    assert [s.track_id for s in tr.tracks if s.matched] == [a]


def test_a_person_hidden_for_seconds_is_found_again_in_a_weak_shifted_box():
    """Someone standing in a line is hidden for 2 s; the detector then sees them only partly: a weak box
    (confidence 0.4, too weak to start a track) shifted by a sixth of its width from where they stood
    (IoU 0.41 with the track's prediction). It is theirs: the track is found again, under its own id."""
    tr = Tracker(frame_size=(1280, 720))
    t = 0.0
    for _ in range(20):
        tr.update(t, [person(600, 500)])
        t += 0.25
    (track,) = tr.tracks
    for _ in range(8):
        tr.update(t, [])
        t += 0.25
    tr.update(t, [person(625, 500, conf=0.4)])
    assert [s.track_id for s in tr.tracks if s.matched] == [track.track_id]


def _standing_line_flips(seed: int, spacing: float = 0.3, h: float = 150.0, fps: float = 4.0) -> int:
    """Six people standing in a line 0.3 heights apart for a minute, boxes jittering by 4% of their height
    and 15% of them missed per frame (a dense queue through a real detector): how often a track's
    box changes from one person to another."""
    rng = np.random.default_rng(seed)
    tr = Tracker(frame_size=(1280, 720))
    owner: dict[int, int] = {}
    flips = 0
    for f in range(int(60 * fps)):
        dets, who = [], []
        for k in range(6):
            if rng.random() < 0.15:
                continue
            x = 300 + k * spacing * h + rng.normal(0, 0.04 * h)
            y = 450 + rng.normal(0, 0.04 * h)
            hh, ww = h * (1 + rng.normal(0, 0.05)), 0.4 * h * (1 + rng.normal(0, 0.08))
            dets.append(Detection(x - ww / 2, y - hh, x + ww / 2, y, 0.8))
            who.append(k)
        tr.update(f / fps, dets)
        for s in tr.tracks:
            if s.matched:
                k = who[next(i for i, d in enumerate(dets) if d.box == s.det_box)]
                flips += owner.get(s.track_id, k) != k
                owner[s.track_id] = k
    return flips


def test_people_standing_close_keep_their_ids_through_jittery_boxes():
    # Box noise gives a standing person's Kalman track a velocity of its own; a prediction that follows it
    # drifts onto the neighbour. The track's place while it stands (still hypothesis) holds it.
    # Measured over these seeds: 79 flips with the velocity prediction alone (still_share=0), 24 with it.
    assert sum(_standing_line_flips(seed) for seed in range(6)) < 40
