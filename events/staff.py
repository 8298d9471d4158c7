"""Staff marks (GUIDE §2 Staff) at ingestion: which stored hours a new mark changes.

A `staff` event marks (camera_key, person_key): every event of that track is staff's, those stored before
the mark included (the entrance `in` crossing comes first: the person reaches the counter later). The
aggregates of the hours that already counted them as customers are therefore stale: `staff_mark_hours`
finds them, and `events_record_batch` marks them stale in the same transaction as the mark.

Person keys are unique per camera within a day (the runner's run prefix), not forever, so a mark applies
to the events of its track's time window only (`STAFF_WINDOW_SQL`, shared with analytics): from the
track's first sighting (enter_ts; else a day before the mark) to its last (exit_ts of the close; else a
day after the mark).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cameras.localtime import local_hour_start
from cameras.models import Store

WINDOW = timedelta(days=1)
SLACK = timedelta(minutes=1)  # event timestamps are rounded to the millisecond; a stay starts at a sighting

# The mark's window for an event row aliased `e` and a staff row aliased `s` (PostgreSQL).
STAFF_WINDOW_SQL = (
    "e.ts >= coalesce(s.enter_ts, s.ts - interval '1 day') - interval '1 minute' "
    "AND e.ts <= coalesce(s.exit_ts, s.ts + interval '1 day') + interval '1 minute'"
)


def staff_window(ts: datetime, enter_ts: datetime | None, exit_ts: datetime | None) -> tuple[datetime, datetime]:
    """The time window of a mark's track (the Python twin of STAFF_WINDOW_SQL)."""
    return (enter_ts if enter_ts is not None else ts - WINDOW) - SLACK, (
        exit_ts if exit_ts is not None else ts + WINDOW) + SLACK


def staff_mark_hours(store: Store, camera_key: str, rows: list[dict[str, Any]],
                     memo: dict[datetime, datetime]) -> set[datetime]:
    """UTC starts of the store-local hours a batch of new marks changes: those holding events of the marked
    tracks (now staff's, not customers'), and every hour a close spans (staff-seconds present)."""
    from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent

    hours: set[datetime] = set()
    for row in rows:
        person_key = row.get("person_key")
        if not person_key:
            continue
        since, until = staff_window(row["ts"], row.get("enter_ts"), row.get("exit_ts"))
        for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent):
            stamps = model.objects.filter(
                store=store, ts__gte=since, ts__lte=until, camera_key=camera_key, person_key=person_key,
            ).values_list("ts", flat=True)
            hours.update(local_hour_start(store, ts, memo) for ts in stamps)
        if row.get("enter_ts") is not None and row.get("exit_ts") is not None:
            instant = row["enter_ts"]
            while instant <= row["exit_ts"]:
                hours.add(local_hour_start(store, instant, memo))
                instant += timedelta(hours=1)
            hours.add(local_hour_start(store, row["exit_ts"], memo))
    return hours
