"""The uniform model (vision/uniform.py): learned from staff-zone tracks, applied to tracks elsewhere."""

from __future__ import annotations

import numpy as np

from vision.config import load_camera_config
from vision.driver import PipelineDriver
from vision.sources import FramePacket
from vision.uniform import UniformModel, UniformStage, bhattacharyya, occluded, upper_body_histogram

from .helpers import START, camera, person, walk

CAM = camera(
    zones={},
    entrance_line=[[200, 150], [200, 700]], inside_point=[900, 400],
    staff_zones={"counter": [[1000, 200], [1270, 200], [1270, 600], [1000, 600]]},
)
RED, BLUE, GREEN = (30, 30, 200), (200, 40, 30), (40, 170, 40)  # BGR shirts


def frame(people) -> np.ndarray:
    """Grey store (no hue), each person a dark box with a coloured shirt on the top 40%."""
    img = np.full((720, 1280, 3), 128, np.uint8)
    for det, shirt in people:
        x1, y1, x2, y2 = (round(v) for v in det.box)
        img[max(0, y1):y2, max(0, x1):x2] = (35, 35, 35)
        img[max(0, y1):int(y1 + 0.4 * (y2 - y1)), max(0, x1):x2] = shirt
    return img


def test_histogram_and_distance():
    img = frame([(person(400, 400), RED), (person(800, 400), BLUE)])
    red = upper_body_histogram(img, person(400, 400).box)
    blue = upper_body_histogram(img, person(800, 400).box)
    assert red is not None and blue is not None and abs(red.sum() - 1) < 1e-9
    assert bhattacharyya(red, red) < 0.05 and bhattacharyya(red, blue) > 0.9
    assert upper_body_histogram(np.full((720, 1280, 3), 128, np.uint8), person(400, 400).box) is None  # grey
    model = UniformModel(min_samples=2)
    for _ in range(3):
        model.learn(red)
    assert model.ready and model.confidence(red) > 0.95 and model.confidence(blue) < 0.1


def scene():
    """(t, [(detection, shirt)]): a red-uniformed staff member behind the counter, then a red-uniformed
    colleague and a blue customer walking in through the door; a green customer never near anyone."""
    staff = dict(walk([(0, 1050, 380), (10, 1200, 420)]))
    colleague = dict(walk([(0, 100, 650), (12, 900, 650)]))
    customer = dict(walk([(0, 100, 300), (12, 900, 300)]))
    other = dict(walk([(0, 100, 480), (14, 700, 480), (18, 100, 480)]))
    out = []
    for i in range(32 * 4 + 1):
        t = i / 4
        people = [(d, RED) for d in staff.get(t, [])]
        if t >= 12:
            people += [(d, RED) for d in colleague.get(t - 12, [])]
            people += [(d, BLUE) for d in customer.get(t - 12, [])]
        people += [(d, GREEN) for d in other.get(t, [])]
        out.append((t, people))
    return out


def replay(frames, stage: UniformStage) -> tuple[list[dict], PipelineDriver]:
    """Drive the pipeline with the uniform stage over rendered frames; (events, driver) after finish()."""
    queue = [[d for d, _ in people] for _, people in frames]
    driver = PipelineDriver(load_camera_config(CAM), detector=lambda image: queue.pop(0), start_time=START)
    driver.uniform = stage
    events = []
    for i, (t, people) in enumerate(frames):
        events += driver.process(FramePacket(i, t, frame(people), START))
    return events + driver.finish(), driver


def test_driver_with_uniform_stage_marks_the_uniformed_colleague_only():
    events, driver = replay(scene(), UniformStage(threshold=0.6, min_frames=6))
    marks = [e for e in events if e["type"] == "staff" and "exit_ts" not in e]
    assert sorted(m["zone_id"] for m in marks) == ["counter", "uniform"]
    uniform_key = next(m["person_key"] for m in marks if m["zone_id"] == "uniform")
    crossings = {e["person_key"]: e["direction"] for e in events if e["type"] == "entrance"}
    assert crossings.get(uniform_key) == "in"  # crossed the door before the model knew
    assert driver.uniform.confidences and driver.uniform.confidences[0] > 0.9
    summary = driver.summary()
    # Customers only: the blue customer in, the green one in and out; the colleague's crossing left out.
    assert summary["footfall"] == {"in": 2, "out": 1}
    assert summary["staff"]["tracks"] == 2 and summary["staff"]["crossings"] == 1


def test_uniform_stage_without_staff_zones_does_nothing():
    cfg = {k: v for k, v in CAM.items() if k != "staff_zones"}
    frames = scene()
    queue = [[d for d, _ in people] for _, people in frames]
    driver = PipelineDriver(load_camera_config(cfg), detector=lambda image: queue.pop(0), start_time=START)
    driver.uniform = UniformStage()
    events = []
    for i, (t, people) in enumerate(frames):
        events += driver.process(FramePacket(i, t, frame(people), START))
    assert not [e for e in events if e["type"] == "staff"] and not driver.uniform.confidences


def test_staff_track_that_stops_looking_like_the_uniform_goes_on_as_a_customer():
    # Behind the counter in red for 12 s (the model learns, the zone marks), then the track follows a customer in
    # blue out through the door: the identities swapped where they passed. The crossing out is the customer's.
    path = dict(walk([(0, 1100, 400), (12, 1120, 410), (24, 100, 400)]))
    frames = [(i / 4, [(d, RED if i / 4 < 12 else BLUE) for d in path.get(i / 4, [])]) for i in range(24 * 4 + 1)]
    events, driver = replay(frames, UniformStage(threshold=0.6, min_frames=6, unlike_frames=12))
    marks = [e for e in events if e["type"] == "staff"]
    closes = [e for e in marks if "exit_ts" in e]
    assert [m["zone_id"] for m in marks if "exit_ts" not in m] == ["counter"]
    # The staff key closed once the blue shirt had been seen out of the counter zone for unlike_frames frames
    # (out of it at ~13.3 s, then 3 s); while in the zone the zone is the evidence.
    assert closes and closes[0]["person_key"] == "t1" and 15.5 < closes[0]["dwell_seconds"] < 17
    crossing = next(e for e in events if e["type"] == "entrance")
    assert crossing["direction"] == "out" and crossing["person_key"] == "t1-1"
    summary = driver.summary()
    assert summary["footfall"] == {"in": 0, "out": 1}
    assert summary["staff"]["tracks"] == 1 and summary["staff"]["crossings"] == 0


def test_uniform_mark_of_an_old_track_splits_it_first():
    # In through the door at 0 s and on the shop floor since; the model is ready only once a colleague has been
    # behind the counter (from 40 s): a mark that late names a key of its own, the crossing stays a customer's.
    floor = dict(walk([(0, 100, 300), (10, 600, 300), (70, 650, 320)]))
    colleague = dict(walk([(0, 1100, 400), (30, 1120, 410)]))
    frames = []
    for i in range(70 * 4 + 1):
        t = i / 4
        people = [(d, RED) for d in floor.get(t, [])]
        people += [(d, RED) for d in colleague.get(t - 40, [])] if t >= 40 else []
        frames.append((t, people))
    events, driver = replay(frames, UniformStage(threshold=0.6, min_frames=6))
    mark = next(e for e in events if e["type"] == "staff" and e["zone_id"] == "uniform" and "exit_ts" not in e)
    crossing = next(e for e in events if e["type"] == "entrance")
    assert crossing["person_key"] == "t1" and mark["person_key"] == "t1-1"
    assert driver.summary()["footfall"] == {"in": 1, "out": 0}


def with_colleague_behind_counter(extra, until: float):
    """Frames to `until` s: a red colleague behind the counter throughout (the model is ready after ~5 s),
    plus `extra(t)` -> [(detection, shirt)] drawn after (in front of) it."""
    colleague = dict(walk([(0, 1050, 380), (until / 2, 1200, 420), (until, 1080, 400)]))
    return [(i / 4, [(d, RED) for d in colleague.get(i / 4, [])] + extra(i / 4)) for i in range(round(until * 4) + 1)]


def test_track_missed_now_and_then_keeps_its_colours():
    # A red colleague walks in and across the shop floor (never behind the counter), missed by the detector
    # every third frame: the lost frames do not reset what the stage has seen of the track, so it is marked.
    path = dict(walk([(0, 150, 300), (20, 800, 300)]))
    frames = with_colleague_behind_counter(
        lambda t: [] if round(t * 4) % 3 == 2 else [(d, RED) for d in path.get(t - 8, [])], 28)
    events, driver = replay(frames, UniformStage(threshold=0.6, min_frames=6))
    crossing = next(e for e in events if e["type"] == "entrance")
    marks = {e["person_key"]: e["zone_id"] for e in events if e["type"] == "staff" and "exit_ts" not in e}
    assert marks.get(crossing["person_key"]) == "uniform"
    assert driver.summary()["footfall"] == {"in": 0, "out": 0}


def test_torso_hidden_by_someone_in_front_teaches_and_marks_nothing():
    assert occluded(person(400, 400).box, [person(400, 430, h=170).box])  # a taller person just in front
    assert not occluded(person(400, 400).box, [person(470, 400).box])  # side by side, arms apart
    # A blue customer walks in right behind a red colleague who covers their upper body; past the door they
    # part, the colleague to the counter. Seen through the colleague, the customer would look like the uniform.
    customer = dict(walk([(0, 100, 400), (6, 500, 400), (12, 600, 250)]))
    ahead = dict(walk([(0, 100, 430), (6, 500, 430), (12, 1100, 430), (20, 1110, 430)], h=170))
    frames = with_colleague_behind_counter(
        lambda t: [(d, BLUE) for d in customer.get(t - 8, [])] + [(d, RED) for d in ahead.get(t - 8, [])], 30)
    events, driver = replay(frames, UniformStage(threshold=0.6, min_frames=6))
    crossings = {e["person_key"] for e in events if e["type"] == "entrance"}
    marked = {e["person_key"] for e in events if e["type"] == "staff" and "exit_ts" not in e}
    assert len(crossings) == 2 and len(crossings - marked) == 1  # the colleague's crossing only is left out
    assert driver.summary()["footfall"] == {"in": 1, "out": 0}
