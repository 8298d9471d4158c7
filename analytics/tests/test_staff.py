"""Staff tracks in the aggregates (GUIDE §2 Staff): ingest → aggregate round trips, a late staff mark included."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import aggregation
from analytics.models import DailyMetric, HourlyMetric
from analytics.services import stale_hours_drain, store_range_aggregate
from analytics.tests.analytics_factories import make_store, utc
from cameras.models import Camera
from events.models import StaffEvent, StaleHour
from events.services import events_record_batch
from vision.config import load_camera_config
from vision.pipeline import EventPipeline
from vision.tests.helpers import camera, walk

pytestmark = pytest.mark.django_db

# The vision tests' staff scene: door line at x = 200, the counter at the right.
STAFF_CAM = {
    "camera_id": "cam_door",
    "entrance_line": [[200, 150], [200, 650]], "inside_point": [900, 400],
    "staff_zones": {"counter": [[1000, 200], [1250, 200], [1250, 600], [1000, 600]]},
}
# 10:59:50 local: the staff member crosses the door before 11:00 and reaches the counter after it.
START = utc(2025, 10, 1, 10, 59, 50)


def scene_events() -> list[dict]:
    """A customer (in, browse, out) and a staff member (in, then behind the counter for 30 s), run by the pipeline."""
    pipe = EventPipeline(load_camera_config(camera(**STAFF_CAM)), START)
    staff = walk([(0, 100, 350), (4, 500, 350), (10, 520, 360), (14, 1100, 400), (40, 1120, 420)])
    customer = dict(walk([(0, 100, 550), (4, 500, 450), (14, 520, 460), (18, 100, 550)]))
    events: list[dict] = []
    for t, dets in staff:
        events += pipe.update(t, dets + customer.get(t, []))
    events += pipe.finish()
    assert pipe.summary()["footfall"] == {"in": 1, "out": 1}  # the pipeline's own verdict
    return events


def store_row(store, hour: int) -> HourlyMetric:
    return HourlyMetric.objects.get(store=store, scope="store", hour_start=utc(2025, 10, 1, hour))


def test_late_staff_mark_reaggregates_the_hour_that_counted_the_crossing():
    store = make_store("store_staff", cameras=[("cam_door", ["entrance"])])
    cam = Camera.objects.get(store=store, camera_id="cam_door")
    events = scene_events()
    marks = [e for e in events if e["type"] == "staff"]
    others = [e for e in events if e["type"] != "staff"]
    crossings = [e for e in others if e["type"] == "entrance"]
    assert len(marks) == 2 and len(crossings) == 3  # staff in; customer in and out
    assert all(e["ts"] < "2025-10-01T11:00:00Z" for e in crossings if e["direction"] == "in")
    assert marks[0]["ts"] > "2025-10-01T11:00:00Z"

    # The customer events arrive first and are aggregated: both crossings in count (nothing known yet).
    assert events_record_batch(store=store, camera=cam, events=others, source="edge").accepted == len(others)
    store_range_aggregate(store, utc(2025, 10, 1, 10), utc(2025, 10, 1, 12))
    StaleHour.objects.all().delete()
    assert store_row(store, 10).footfall_in == 2

    # The marks arrive late, stamped in hour 11: hour 10, which counted the staff crossing, is marked stale too.
    result = events_record_batch(store=store, camera=cam, events=marks, source="edge")
    assert result.accepted == 2 and StaffEvent.objects.filter(store=store).count() == 2
    stale = set(StaleHour.objects.filter(store=store).values_list("hour_start", flat=True))
    assert utc(2025, 10, 1, 10) in stale and utc(2025, 10, 1, 11) in stale
    assert stale_hours_drain() == len(stale)

    ten, eleven = store_row(store, 10), store_row(store, 11)
    assert (ten.footfall_in, ten.unique_visitors, eleven.footfall_out) == (1, 1, 1)
    assert ten.staff_crossings == 1 and eleven.staff_crossings == 0
    # Present 10:59:50 → 11:00:30: 10 s in hour 10, 30 s in hour 11.
    assert ten.staff_seconds == pytest.approx(10.0, abs=0.5) and eleven.staff_seconds == pytest.approx(30.0, abs=0.5)
    cam_row = HourlyMetric.objects.get(store=store, scope="camera", scope_id="cam_door",
                                       hour_start=utc(2025, 10, 1, 10))
    assert cam_row.footfall_in == 1 and cam_row.staff_crossings == 1
    day = DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 1))
    assert (day.footfall_in, day.staff_crossings) == (1, 1)
    assert day.staff_seconds == pytest.approx(40.0, abs=0.5)

    # A retried batch of marks is a duplicate and changes nothing.
    again = events_record_batch(store=store, camera=cam, events=marks, source="edge")
    assert again.duplicates == 2 and again.accepted == 0


def test_a_mark_leaves_out_only_its_own_track_and_time_window():
    store = make_store("store_window", cameras=[("cam_door", ["entrance"])])
    cam = Camera.objects.get(store=store, camera_id="cam_door")
    events = scene_events()
    staff_key = next(e["person_key"] for e in events if e["type"] == "staff")
    # The same person key two days later (keys are unique within a day only) is a customer again.
    later = {"type": "entrance", "ts": "2025-10-03T10:00:00Z", "direction": "in", "person_key": staff_key}
    events_record_batch(store=store, camera=cam, events=[*events, later], source="edge")
    store_range_aggregate(store, utc(2025, 10, 1, 0), utc(2025, 10, 4, 0))
    assert store_row(store, 10).footfall_in == 1
    assert HourlyMetric.objects.get(store=store, scope="store", hour_start=utc(2025, 10, 3, 10)).footfall_in == 1


def test_portable_path_matches_postgres_with_staff():
    store = make_store("store_staff_cross", cameras=[("cam_door", ["entrance"])])
    cam = Camera.objects.get(store=store, camera_id="cam_door")
    events_record_batch(store=store, camera=cam, events=scene_events(), source="edge")
    buckets = aggregation.hour_buckets(store.tzinfo, utc(2025, 10, 1, 10), utc(2025, 10, 1, 12))
    from analytics.services import _day_starts, _entrance_cameras

    args = (store.pk, buckets, _entrance_cameras(store), _day_starts(store, buckets))
    sql, py = aggregation._aggregate_postgres(*args), aggregation.aggregate_python(*args)
    assert set(sql) == set(py)
    for key in sql:
        assert sql[key].as_fields() == pytest.approx(py[key].as_fields()), key
    assert sql[(0, "store", "")].footfall_in == 1


def test_realtime_api_and_overview_show_staff_crossings_excluded_today(client):
    from django.utils import timezone

    from analytics.tests.analytics_factories import make_user

    store = make_store("store_staff_now", cameras=[("cam_door", ["entrance"])])
    stranger_store = make_store("store_staff_other", cameras=[("cam_door", ["entrance"])])
    cam = Camera.objects.get(store=store, camera_id="cam_door")
    user, token = make_user("staff_viewer", org=store.organization)
    _, other_token = make_user("staff_stranger", org=stranger_store.organization)
    # Shift the pipeline's events to a minute ago (today, whatever the hour).
    offset = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2) - START
    from vision.events import iso

    def moved(ev: dict) -> dict:
        out = {k: v for k, v in ev.items() if k != "event_id"}
        for name in ("ts", "enter_ts", "exit_ts"):
            if name in out:
                out[name] = iso(dt.datetime.fromisoformat(out[name].replace("Z", "+00:00")) + offset)
        return out

    events = [moved(e) for e in scene_events()]
    assert events_record_batch(store=store, camera=cam, events=events, source="edge").accepted == len(events)

    body = client.get(f"/api/analytics/realtime?store_id={store.store_id}",
                      HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["footfall"] == {"in": 1, "out": 1} and body["footfall_today"] == 1
    assert body["staff_crossings_today"] == 1
    denied = client.get(f"/api/analytics/realtime?store_id={store.store_id}",
                        HTTP_AUTHORIZATION=f"Bearer {other_token}")
    assert denied.status_code in (403, 404)

    client.force_login(user)
    page = client.get(f"/stores/{store.store_id}/").content.decode()
    assert "1 staff crossing excluded today" in page

