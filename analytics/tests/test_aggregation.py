"""Hourly/daily aggregation against hand-computed numbers (PostgreSQL, the production path)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from analytics import aggregation
from analytics.models import DailyMetric, HourlyMetric
from analytics.services import stale_hours_drain, store_range_aggregate
from analytics.tests.analytics_factories import entrance, make_store, queue, shelf, utc, zone
from events.models import EntranceEvent, StaleHour
from events.services import hours_mark_stale

pytestmark = pytest.mark.django_db

CAMERAS = [("cam_door", ["entrance"]), ("cam_zone", ["zones", "shelves"]), ("cam_queue", ["queue"])]


def hourly(store, scope="store", scope_id=""):
    return {
        (m.local_date.isoformat(), m.local_hour, m.hour_start): m
        for m in HourlyMetric.objects.filter(store=store, scope=scope, scope_id=scope_id)
    }


def test_fixed_event_set_hour_numbers():
    store = make_store("store_fixed", cameras=CAMERAS)
    t = utc(2025, 10, 1, 10, 0)
    for minute, person in ((1, "p1"), (2, "p2"), (3, "p3"), (20, "p1")):  # p1 re-enters: 4 in, 3 people
        entrance(store, t + dt.timedelta(minutes=minute), "in", person)
    entrance(store, t + dt.timedelta(minutes=30), "out", "p1")
    for minute, dwell, person in ((5, 10.0, "a"), (6, 20.0, "b"), (40, 60.0, "a")):
        zone(store, t + dt.timedelta(minutes=minute), dwell=dwell, person_key=person)
    for minute, wait in ((10, 30.0), (11, 60.0), (12, 90.0), (13, 120.0)):
        queue(store, t + dt.timedelta(minutes=minute), wait=wait, person_key=f"q{minute}")
    shelf(store, t + dt.timedelta(minutes=7), dwell=4.0, person_key="a")
    shelf(store, t + dt.timedelta(minutes=8), dwell=6.0, person_key="b")
    entrance(store, t + dt.timedelta(hours=1, minutes=5), "in", "p9")  # next hour

    store_range_aggregate(store, t, t + dt.timedelta(hours=2))

    row = HourlyMetric.objects.get(store=store, scope="store", hour_start=t)
    assert (row.footfall_in, row.footfall_out, row.unique_visitors) == (4, 1, 3)
    assert (row.entries, row.interactions, row.served) == (3, 2, 4)
    assert row.dwell_avg == pytest.approx(30.0) and row.dwell_median == pytest.approx(20.0)
    assert row.wait_avg == pytest.approx(75.0)
    assert row.wait_p90 == pytest.approx(111.0)  # rank 0.9*(4-1)=2.7 → 90 + 0.7*30
    assert row.wait_max == pytest.approx(120.0)
    zone_row = HourlyMetric.objects.get(store=store, scope="zone", scope_id="electronics", hour_start=t)
    assert (zone_row.entries, zone_row.unique_visitors) == (3, 2)
    shelf_row = HourlyMetric.objects.get(store=store, scope="shelf", scope_id="shelf_promo", hour_start=t)
    assert (shelf_row.interactions, shelf_row.dwell_avg, shelf_row.dwell_median) == (2, 5.0, 5.0)
    queue_row = HourlyMetric.objects.get(store=store, scope="queue", scope_id="checkout", hour_start=t)
    assert (queue_row.served, queue_row.wait_max) == (4, 120.0)
    door = HourlyMetric.objects.get(store=store, scope="camera", scope_id="cam_door", hour_start=t)
    assert (door.footfall_in, door.footfall_out, door.unique_visitors) == (4, 1, 3)
    assert HourlyMetric.objects.get(store=store, scope="store", hour_start=t + dt.timedelta(hours=1)).footfall_in == 1
    # Silent cameras still get a row: a flat line is a signal for spike detection.
    assert HourlyMetric.objects.filter(
        store=store, scope="camera", scope_id="cam_queue", hour_start=t + dt.timedelta(hours=1), served=0
    ).exists()

    day = DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 1))
    assert (day.footfall_in, day.footfall_out, day.unique_visitors, day.served) == (5, 1, 4, 4)
    assert day.wait_p90 == pytest.approx(111.0)


def test_asia_kolkata_hours_across_the_day_boundary():
    store = make_store("store_kolkata", tz="Asia/Kolkata", cameras=CAMERAS)
    entrance(store, utc(2025, 10, 1, 18, 20), person_key="a")  # 23:50 IST on 1 Oct
    entrance(store, utc(2025, 10, 1, 18, 29, 59), person_key="b")  # 23:59:59 IST
    entrance(store, utc(2025, 10, 1, 18, 30), person_key="c")  # 00:00 IST on 2 Oct
    entrance(store, utc(2025, 10, 1, 18, 40), person_key="d")
    entrance(store, utc(2025, 10, 1, 18, 45), person_key="e")

    call_command("aggregate", store="store_kolkata", date_from="2025-10-01", date_to="2025-10-02", quiet=True)

    rows = hourly(store)
    assert rows[("2025-10-01", 23, utc(2025, 10, 1, 17, 30))].footfall_in == 2
    assert rows[("2025-10-02", 0, utc(2025, 10, 1, 18, 30))].footfall_in == 3
    assert len([k for k in rows if k[0] == "2025-10-01"]) == 24
    daily = {m.date.isoformat(): m.footfall_in for m in DailyMetric.objects.filter(store=store, scope="store")}
    assert daily == {"2025-10-01": 2, "2025-10-02": 3}
    assert DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 2)).footfall_dod_pct == 50.0


def test_new_york_dst_fall_back_keeps_the_repeated_hour_apart():
    store = make_store("store_ny", tz="America/New_York", cameras=CAMERAS)
    entrance(store, utc(2025, 11, 2, 5, 30), person_key="edt")  # 01:30 EDT
    entrance(store, utc(2025, 11, 2, 6, 30), person_key="est1")  # 01:30 EST, the second 01:00 hour
    entrance(store, utc(2025, 11, 2, 6, 45), person_key="est2")
    entrance(store, utc(2025, 11, 3, 4, 59), person_key="late")  # 23:59 EST on 2 Nov
    store_range_aggregate(store, utc(2025, 11, 2, 4), utc(2025, 11, 3, 5))

    rows = hourly(store)
    nov2 = sorted(k for k in rows if k[0] == "2025-11-02")
    assert len(nov2) == 25
    assert rows[("2025-11-02", 1, utc(2025, 11, 2, 5))].footfall_in == 1
    assert rows[("2025-11-02", 1, utc(2025, 11, 2, 6))].footfall_in == 2
    assert rows[("2025-11-02", 23, utc(2025, 11, 3, 4))].footfall_in == 1
    assert DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 11, 2)).footfall_in == 4


def test_new_york_dst_spring_forward_has_23_hours():
    store = make_store("store_ny2", tz="America/New_York", cameras=CAMERAS)
    entrance(store, utc(2025, 3, 9, 6, 59), person_key="a")  # 01:59 EST
    entrance(store, utc(2025, 3, 9, 7, 0), person_key="b")  # 03:00 EDT (02:00 never happens)
    store_range_aggregate(store, utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))
    rows = hourly(store)
    assert len([k for k in rows if k[0] == "2025-03-09"]) == 23
    assert not [k for k in rows if k[0] == "2025-03-09" and k[1] == 2]
    assert rows[("2025-03-09", 1, utc(2025, 3, 9, 6))].footfall_in == 1
    assert rows[("2025-03-09", 3, utc(2025, 3, 9, 7))].footfall_in == 1


def test_late_events_recompute_only_their_hours():
    store = make_store("store_late", cameras=CAMERAS)
    day = utc(2025, 10, 1)
    for hour in range(24):
        entrance(store, day + dt.timedelta(hours=hour, minutes=10), person_key=f"h{hour}")
    store_range_aggregate(store, day, day + dt.timedelta(days=1))
    before = {m.hour_start: m.computed_at for m in HourlyMetric.objects.filter(store=store, scope="store")}

    late = [entrance(store, day + dt.timedelta(hours=h, minutes=50), person_key=f"late{h}") for h in (3, 4, 17)]
    hours_mark_stale(store, [e.ts for e in late] + [late[0].ts])  # repeats are fine
    assert StaleHour.objects.filter(store=store).count() == 3
    assert stale_hours_drain() == 3
    assert not StaleHour.objects.exists()

    after = {m.hour_start: m for m in HourlyMetric.objects.filter(store=store, scope="store")}
    changed = {h for h, m in after.items() if m.computed_at != before[h]}
    assert changed == {day + dt.timedelta(hours=h) for h in (3, 4, 17)}
    assert after[day + dt.timedelta(hours=3)].footfall_in == 2
    assert after[day + dt.timedelta(hours=5)].footfall_in == 1
    assert DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 1)).footfall_in == 27


def test_duplicate_events_count_once_and_reaggregation_is_idempotent():
    store = make_store("store_dup", cameras=CAMERAS)
    t = utc(2025, 10, 1, 12, 0)
    first = entrance(store, t, person_key="x")
    with pytest.raises(IntegrityError), transaction.atomic():  # a retried batch carries the same event_id
        entrance(store, t, person_key="x", event_id=first.event_id)
    EntranceEvent.objects.bulk_create(
        [EntranceEvent(event_id=first.event_id, store=store, camera_key="cam_door", ts=t, direction="in")],
        ignore_conflicts=True,
    )
    store_range_aggregate(store, t, t + dt.timedelta(hours=1))
    snapshot = list(
        HourlyMetric.objects.filter(store=store)
        .order_by("scope", "scope_id")
        .values_list("scope", "scope_id", "footfall_in", "unique_visitors")
    )
    store_range_aggregate(store, t, t + dt.timedelta(hours=1))
    again = list(
        HourlyMetric.objects.filter(store=store)
        .order_by("scope", "scope_id")
        .values_list("scope", "scope_id", "footfall_in", "unique_visitors")
    )
    assert snapshot == again
    assert ("store", "", 1, 1) in snapshot


def test_peak_occupancy_zone_sweep_and_store_running_balance():
    store = make_store("store_occ", cameras=CAMERAS)
    t = utc(2025, 10, 1, 10, 0)
    m = lambda minutes: t + dt.timedelta(minutes=minutes)  # noqa: E731
    for enter, leave, person in ((0, 30, "a"), (10, 20, "b"), (15, 50, "c"), (55, 75, "d")):
        zone(store, m(leave), dwell=(leave - enter) * 60.0, person_key=person, enter_ts=m(enter), exit_ts=m(leave))
    for minute, direction in ((1, "in"), (2, "in"), (3, "in"), (4, "out"), (5, "in"), (70, "out")):
        entrance(store, m(minute), direction, person_key=f"p{minute}")
    store_range_aggregate(store, t, t + dt.timedelta(hours=2))
    assert HourlyMetric.objects.get(store=store, scope="zone", scope_id="electronics", hour_start=t).peak_occupancy == 3
    assert (
        HourlyMetric.objects.get(store=store, scope="zone", scope_id="electronics", hour_start=m(60)).peak_occupancy
        == 1
    )
    assert HourlyMetric.objects.get(store=store, scope="store", hour_start=t).peak_occupancy == 3
    # 11:00 starts with 3 inside (carried over), then one leaves.
    assert HourlyMetric.objects.get(store=store, scope="store", hour_start=m(60)).peak_occupancy == 3
    # Recomputing only the second hour carries the balance from local midnight.
    store_range_aggregate(store, m(60), m(120))
    assert HourlyMetric.objects.get(store=store, scope="store", hour_start=m(60)).peak_occupancy == 3


def test_portable_path_matches_postgres():
    """The SQLite demo path folds rows in Python; on the same rows it must equal the SQL path."""
    store = make_store("store_cross", tz="Asia/Kolkata", cameras=[*CAMERAS, ("cam_entry", ["zones"])])
    rng = random.Random(7)
    start = utc(2025, 10, 1, 0, 0)
    for i in range(400):
        ts = start + dt.timedelta(seconds=rng.randrange(0, 6 * 3600))
        kind = rng.choice(["in", "out", "zone", "entry", "shelf", "queue"])
        person = f"p{rng.randrange(60)}"
        if kind in ("in", "out"):
            entrance(store, ts, kind, person)
        elif kind == "zone":
            zone(store, ts, zone_id=rng.choice(["a", "b"]), dwell=rng.uniform(2, 900), person_key=person)
        elif kind == "entry":
            zone(
                store, ts, zone_id="door_zone", zone_type="entry", dwell=3.0, person_key=person, camera_key="cam_entry"
            )
        elif kind == "shelf":
            shelf(store, ts, dwell=rng.uniform(2, 60), person_key=person)
        else:
            queue(store, ts, wait=rng.uniform(5, 400), person_key=f"q{i}")
    buckets = aggregation.hour_buckets(store.tzinfo, start, start + dt.timedelta(hours=6))
    from analytics.services import _day_starts, _entrance_cameras

    args = (store.pk, buckets, _entrance_cameras(store), _day_starts(store, buckets))
    sql = aggregation._aggregate_postgres(*args)
    py = aggregation.aggregate_python(*args)
    assert set(sql) == set(py)
    for key in sql:
        a, b = sql[key].as_fields(), py[key].as_fields()
        for name in a:
            assert a[name] == pytest.approx(b[name]), (key, name)


def test_aggregate_command_rejects_bad_input_in_one_line(capsys):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--from: 'yesterday' is not a date"):
        call_command("aggregate", date_from="yesterday")
    with pytest.raises(CommandError, match="--store: no store"):
        call_command("aggregate", store="missing_store")
    with pytest.raises(CommandError, match="is after --to"):
        call_command("aggregate", date_from="2025-10-02", date_to="2025-10-01")


def test_hourly_job_records_which_cameras_reported():
    from django.utils import timezone

    from analytics.services import store_recent_hours_aggregate
    from cameras.models import Camera

    store = make_store("store_online", cameras=CAMERAS)
    now = timezone.now()
    Camera.objects.filter(store=store, camera_id="cam_door").update(last_heartbeat=now - dt.timedelta(seconds=20))
    store_recent_hours_aggregate(store, now=now)
    rows = HourlyMetric.objects.filter(store=store, scope="camera", hour_start__gt=now - dt.timedelta(hours=1))
    assert {r.scope_id: r.camera_online for r in rows} == {"cam_door": True, "cam_zone": False, "cam_queue": False}
    # A backfill of old hours says nothing about heartbeats.
    store_range_aggregate(store, utc(2025, 1, 1), utc(2025, 1, 1, 2))
    assert set(
        HourlyMetric.objects.filter(store=store, scope="camera", hour_start__lt=utc(2025, 2, 1)).values_list(
            "camera_online", flat=True
        )
    ) == {None}
