"""Staff in the aggregates (GUIDE §2 Staff): customer metrics leave staff tracks out; staff get their own figures.

An event is staff's when a `staff` event (events.models.StaffEvent) marks its (store, camera_key, person_key)
within the mark's track window (events.staff). Every customer metric in aggregation.py reads only the other
events (`customer_sql` in the SQL, `customer_q` in the portable path), those stored before the mark included:
a late mark re-aggregates the hours it changes (events.staff.staff_mark_hours marks them stale).

Staff figures per store-local hour, store and camera scope (`staff_apply`):
- staff_crossings: entrance crossings (in and out) of staff tracks, i.e. the crossings left out of footfall;
- staff_seconds: seconds staff tracks were present, from the closes (enter_ts..exit_ts) cut to the hour.
Daily figures are the sums of the hours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q

from events.staff import SLACK, STAFF_WINDOW_SQL, WINDOW

STAFF_FIELDS = ("staff_crossings", "staff_seconds")


def customer_sql(alias: str) -> str:
    """SQL condition: the row `alias` of an event table is not staff's."""
    window = STAFF_WINDOW_SQL.replace("e.ts", f"{alias}.ts")
    return (f"NOT EXISTS (SELECT 1 FROM staff_events AS s WHERE s.store_id = {alias}.store_id "
            f"AND s.camera_key = {alias}.camera_key AND s.person_key = {alias}.person_key "
            f"AND {alias}.person_key <> '' AND {window})")


def staff_q() -> Exists:
    """ORM condition (any event model): a staff mark covers this event."""
    from events.models import StaffEvent

    ts = OuterRef("ts")
    since = Q(enter_ts__isnull=False, enter_ts__lte=ts + SLACK) | Q(enter_ts__isnull=True, ts__lte=ts + WINDOW + SLACK)
    until = Q(exit_ts__isnull=False, exit_ts__gte=ts - SLACK) | Q(exit_ts__isnull=True, ts__gte=ts - WINDOW - SLACK)
    return Exists(
        StaffEvent.objects.filter(
            since, until, store_id=OuterRef("store_id"), camera_key=OuterRef("camera_key"),
            person_key=OuterRef("person_key"),
        ).exclude(person_key="")
    )


def customer_q():
    return ~staff_q()


def staff_apply(result, store_pk: int, buckets) -> None:
    """Add staff_crossings and staff_seconds of each bucket onto the store and camera scopes of `result`."""
    from analytics.aggregation import Numbers
    from events.models import EntranceEvent, StaffEvent

    if not buckets:
        return
    start, end = buckets[0].start, buckets[-1].end
    if not StaffEvent.objects.filter(store_id=store_pk, ts__gte=start - WINDOW, ts__lt=end + WINDOW).exists():
        return
    bounds = [b.start for b in buckets] + [end]

    def index(instant: dt.datetime) -> int:
        import bisect

        return bisect.bisect_right(bounds, instant) - 1

    def target(b: int, scope: str, sid: str) -> Numbers:
        key = (b, scope, sid)
        if result.get(key) is None:
            result[key] = Numbers()
        return result[key]

    crossings = (
        EntranceEvent.objects.filter(store_id=store_pk, ts__gte=start, ts__lt=end)
        .filter(staff_q())
        .values_list("ts", "camera_key")
    )
    for ts, camera in crossings:
        b = index(ts)
        target(b, "store", "").staff_crossings += 1
        target(b, "camera", camera).staff_crossings += 1

    seconds: dict[tuple[int, str], float] = defaultdict(float)
    closes = StaffEvent.objects.filter(
        store_id=store_pk, exit_ts__isnull=False, enter_ts__isnull=False, enter_ts__lt=end, exit_ts__gt=start,
        ts__gte=start - WINDOW, ts__lt=end + WINDOW,
    ).values_list("camera_key", "enter_ts", "exit_ts")
    for camera, enter, leave in closes:
        for b in range(max(0, index(enter)), min(len(buckets) - 1, index(leave)) + 1):
            overlap = (min(leave, bounds[b + 1]) - max(enter, bounds[b])).total_seconds()
            if overlap > 0:
                seconds[(b, camera)] += overlap
    for (b, camera), value in seconds.items():
        target(b, "store", "").staff_seconds += value
        target(b, "camera", camera).staff_seconds += value




def staff_crossings_count(store_pk: int, start: dt.datetime, end: dt.datetime) -> int:
    """Entrance crossings of staff tracks in [start, end): what footfall left out ("N staff crossings excluded")."""
    from events.models import EntranceEvent

    return EntranceEvent.objects.filter(staff_q(), store_id=store_pk, ts__gte=start, ts__lt=end).count()
