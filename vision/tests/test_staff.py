"""Staff zones (GUIDE §2 Staff): a track that enters one is staff for the rest of the track."""

from __future__ import annotations

import pytest

from vision.config import ConfigError, load_camera_config
from vision.events import EVENT_FIELDS
from vision.pipeline import EventPipeline
from vision.staff import STAFF_LINK_S, customer_summary

from .helpers import START, camera, run, walk

# Door line at x = 200 (store side: +x), a zone in the middle, the counter at the right.
STAFF_CAM = {
    "entrance_line": [[200, 150], [200, 650]], "inside_point": [900, 400],
    "staff_zones": {"counter": [[1000, 200], [1250, 200], [1250, 600], [1000, 600]]},
}
# Enters through the door, crosses the electronics zone, goes behind the counter and stays there.
STAFF_PATH = [(0, 100, 350), (4, 500, 350), (10, 520, 360), (14, 1100, 400), (40, 1120, 420)]
# Enters, browses the zone, leaves through the door.
CUSTOMER_PATH = [(0, 100, 350), (4, 500, 350), (14, 520, 360), (18, 100, 350)]


def test_config_accepts_staff_zones_and_staff_typed_zone_rows():
    cfg = load_camera_config(camera(**STAFF_CAM, screenshot_size=[2560, 1440]))
    assert list(cfg.staff_zones) == ["counter"]
    scaled = cfg.scaled_to((1280, 720))
    assert scaled.staff_zones["counter"][0] == (500.0, 100.0)
    assert load_camera_config(cfg.to_dict()).staff_zones == cfg.staff_zones
    # A zone row typed `staff` (the zone editor's rows) becomes a staff zone, not a zone.
    rows = load_camera_config(camera(zones={"door": {"polygon": [[0, 0], [50, 0], [50, 50]], "type": "staff"}}))
    assert rows.zones == {} and "door" in rows.staff_zones
    with pytest.raises(ConfigError, match=r"^staff_zones\.x: polygon needs at least 3 points"):
        load_camera_config(camera(staff_zones={"x": [[0, 0], [1, 1]]}))


def test_staff_track_that_crossed_in_before_the_counter_adds_nothing():
    events, pipe = run(camera(**STAFF_CAM), walk(STAFF_PATH))
    types = [e["type"] for e in events]
    # The crossing is emitted live, before anyone knows; the mark comes later and settles it.
    assert types.index("entrance") < types.index("staff")
    marks = [e for e in events if e["type"] == "staff"]
    assert [("exit_ts" in m) for m in marks] == [False, True]
    assert marks[0]["zone_id"] == "counter" and marks[0]["person_key"] == "t1"
    assert marks[1]["dwell_seconds"] == pytest.approx(40.0, abs=0.5)
    assert len({m["event_id"] for m in marks}) == 2
    summary = pipe.summary()
    assert summary["footfall"] == {"in": 0, "out": 0}
    assert summary["zones"]["electronics"]["entries"] == 0
    assert summary["unique_tracks"] == 0
    assert summary["staff"] == {"tracks": 1, "crossings": 1, "seconds": pytest.approx(40.0, abs=0.5)}
    # The offline summary of the event list agrees.
    offline = customer_summary(events, load_camera_config(camera(**STAFF_CAM)))
    assert offline["footfall"] == summary["footfall"] and offline["staff"]["crossings"] == 1


def test_customer_who_never_enters_the_staff_zone_counts():
    events, pipe = run(camera(**STAFF_CAM), walk(CUSTOMER_PATH))
    assert not [e for e in events if e["type"] == "staff"]
    summary = pipe.summary()
    assert summary["footfall"] == {"in": 1, "out": 1}
    assert summary["zones"]["electronics"]["entries"] == 1 and summary["unique_tracks"] == 1
    assert summary["staff"] == {"tracks": 0, "crossings": 0, "seconds": 0.0}


def test_customer_and_staff_together_and_a_summary_taken_mid_run():
    pipe = EventPipeline(load_camera_config(camera(**STAFF_CAM)), START)
    staff = walk(STAFF_PATH)
    customer = walk([(0, 100, 550), (4, 500, 450), (14, 520, 460), (18, 100, 550)])
    events: list[dict] = []
    mid = None
    for (t, a), (_, b) in zip(staff, customer + [(None, [])] * (len(staff) - len(customer)), strict=True):
        events += pipe.update(t, a + b)
        if t == 8.0:
            # Both tracks live, both crossed in; nothing known about staff yet: the live summary counts both.
            mid = pipe.summary()
    events += pipe.finish()
    assert mid is not None and mid["footfall"]["in"] == 2
    summary = pipe.summary()
    assert summary["footfall"] == {"in": 1, "out": 1}
    assert summary["staff"]["tracks"] == 1 and summary["staff"]["crossings"] == 1
    assert summary["unique_tracks"] == 1
    # Nothing counted twice or lost: customer + staff crossings = all crossings emitted.
    crossings = [e for e in events if e["type"] == "entrance"]
    assert len(crossings) == summary["footfall"]["in"] + summary["footfall"]["out"] + summary["staff"]["crossings"]


def test_old_track_reaching_the_counter_was_a_customer_until_then():
    # A minute on the shop floor before the counter: more often a customer whose track a passing staff member took
    # over than staff (vision/staff.py STAFF_LINK_S). The customer's crossing and stay count; the rest is staff's.
    path = [(0, 100, 350), (4, 500, 350), (60, 520, 360), (66, 1100, 400), (90, 1120, 420)]
    assert path[3][0] - path[0][0] > STAFF_LINK_S
    events, pipe = run(camera(**STAFF_CAM), walk(path))
    mark = next(e for e in events if e["type"] == "staff")
    crossing = next(e for e in events if e["type"] == "entrance")
    assert crossing["person_key"] == "t1" and mark["person_key"] == "t1-1"
    summary = pipe.summary()
    assert summary["footfall"] == {"in": 1, "out": 0}
    assert summary["zones"]["electronics"]["entries"] == 1 and summary["unique_tracks"] == 1
    assert summary["staff"] == {"tracks": 1, "crossings": 0, "seconds": pytest.approx(24.0, abs=1.0)}
    offline = customer_summary(events, load_camera_config(camera(**STAFF_CAM)))
    assert offline["footfall"] == summary["footfall"] and offline["zones"] == summary["zones"]


def test_camera_without_staff_zones_keeps_the_guide_summary_shape():
    _, pipe = run(camera(), walk(CUSTOMER_PATH))
    assert "staff" not in pipe.summary()


def test_staff_event_schema():
    fields = EVENT_FIELDS["staff"]
    assert fields["zone_id"].required and fields["ts"].required and not fields["exit_ts"].required
