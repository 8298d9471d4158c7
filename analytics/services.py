"""Analytics writes: hourly/daily aggregation, stale-hour bookkeeping, spikes, promotions, insights.

Public entry points (others import these):
- `hours_mark_stale(store, hour_starts)`: called by ingestion after writing late events.
- `store_hours_aggregate(store, start, end)`: recompute hourly metrics of [start, end) (UTC datetimes).
- `stale_hours_drain()`: recompute every hour marked stale (the beat job runs it every few minutes).
- `store_days_aggregate(store, first_date, last_date)`: recompute daily metrics from hourly ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from analytics.models import StaleHour
from cameras.models import Store


def _local_hour_starts(store: Store, instants: Iterable[dt.datetime]) -> set[dt.datetime]:
    """UTC starts of the store-local hours containing each instant (handles DST and :30 zones)."""
    tz = store.tzinfo
    starts: set[dt.datetime] = set()
    for instant in instants:
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        local = instant.astimezone(tz)
        local_floor = local.replace(minute=0, second=0, microsecond=0)
        # Going through UTC keeps the fold (the repeated 01:00 at a DST fall-back) intact.
        starts.add(local_floor.astimezone(dt.UTC))
    return starts


def hours_mark_stale(store: Store, hour_starts: Iterable[dt.datetime]) -> None:
    """Mark the store-local hours containing `hour_starts` for re-aggregation.

    Any instant inside an hour may be passed (an event `ts` works); it is floored to the store-local
    hour. Cheap and idempotent: it only upserts rows in `StaleHour`, which `stale_hours_drain()`
    (beat, every few minutes, and the hourly job) turns into recomputed hourly and daily metrics.
    Safe inside the caller's transaction: the marks become visible when it commits.
    """
    starts = _local_hour_starts(store, hour_starts)
    if not starts:
        return
    with transaction.atomic():
        StaleHour.objects.bulk_create(
            [StaleHour(store=store, hour_start=start) for start in sorted(starts)],
            update_conflicts=True,
            unique_fields=["store", "hour_start"],
            update_fields=["marked_at"],
        )
