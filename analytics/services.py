"""Analytics writes: hourly/daily aggregation, draining stale hours, spikes, promotions, insights.

Public entry points (others import these):
- `store_hours_aggregate(store, start, end)`: recompute hourly metrics of [start, end) (UTC datetimes).
- `stale_hours_drain()`: recompute every hour marked stale (the beat job runs it every few minutes).
- `store_days_aggregate(store, first_date, last_date)`: recompute daily metrics from hourly ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from django.db import InterfaceError, OperationalError, transaction

from cameras.localtime import local_date, local_day_bounds, local_hour_start
from cameras.models import Store
from cameras.status import heartbeat_is_fresh
from events import timebounds
from events.models import StaleHour

logger = logging.getLogger(__name__)


# --- Hourly and daily aggregation ----------------------------------------------------------------

_COUNT_FIELDS = ("footfall_in", "footfall_out", "entries", "interactions", "served", "staff_crossings", "staff_seconds")
_METRIC_FIELDS = (
    "footfall_in",
    "footfall_out",
    "unique_visitors",
    "entries",
    "dwell_avg",
    "dwell_median",
    "interactions",
    "served",
    "wait_avg",
    "wait_p90",
    "wait_max",
    "peak_occupancy",
    "staff_crossings",
    "staff_seconds",
    "transactions",
    "revenue",
    "pos_footfall_in",
    "conversion_rate",
    "avg_transaction_value",
    "revenue_per_visitor",
)
# The number a scope's trends (day over day, week over week, vs 4 same weekdays) are computed on.
TREND_FIELD = {
    "store": "footfall_in",
    "camera": "footfall_in",
    "zone": "entries",
    "shelf": "interactions",
    "queue": "served",
}
LAST_AGGREGATION_KEY = "wink:analytics:last_aggregation"
# An hour this recent is aggregated by the live job, which also records whether each camera reported.
_ONLINE_WINDOW = dt.timedelta(hours=3)


def _entrance_cameras(store: Store) -> list[str]:
    return [c.camera_id for c in store.cameras.all() if "entrance" in (c.capabilities or [])]


def _day_starts(store: Store, buckets) -> dict[int, dt.datetime]:
    cache: dict[dt.date, dt.datetime] = {}
    starts = {}
    for i, bucket in enumerate(buckets):
        if bucket.local_date not in cache:
            cache[bucket.local_date] = local_day_bounds(store, bucket.local_date)[0]
        starts[i] = cache[bucket.local_date]
    return starts


def store_hours_aggregate(store: Store, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> set:
    """Recompute the hourly metrics of every store-local hour overlapping [start, end); idempotent.

    Returns the set of store-local dates touched (callers refresh their daily metrics).
    """
    from django.utils import timezone

    from analytics.aggregation import aggregate_range, hour_buckets
    from analytics.models import HourlyMetric

    buckets = hour_buckets(store.tzinfo, start, end)
    if not buckets:
        return set()
    result = aggregate_range(store.pk, buckets, _entrance_cameras(store), _day_starts(store, buckets))
    _pos_hours_apply(store, buckets, result)
    cameras = list(store.cameras.filter(enabled=True))
    for index in range(len(buckets)):
        for camera in cameras:  # an enabled camera gets a row even when silent: a flat line is a signal
            result.setdefault((index, "camera", camera.camera_id), None)

    from analytics.aggregation import Numbers

    rows = []
    for (index, scope, scope_id), numbers in result.items():
        bucket = buckets[index]
        fields = (numbers or Numbers()).as_fields()
        rows.append(
            HourlyMetric(
                store=store,
                scope=scope,
                scope_id=scope_id,
                hour_start=bucket.start,
                local_date=bucket.local_date,
                local_hour=bucket.local_hour,
                **fields,
            )
        )
    with transaction.atomic():
        HourlyMetric.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["store", "scope", "scope_id", "hour_start"],
            update_fields=[*_METRIC_FIELDS, "local_date", "local_hour", "computed_at"],
        )
        # Scopes that no longer have events in a recomputed hour (e.g. a corrected zone id) disappear.
        keep = {(r.scope, r.scope_id, r.hour_start) for r in rows}
        existing = HourlyMetric.objects.filter(
            store=store, hour_start__gte=buckets[0].start, hour_start__lt=buckets[-1].end
        ).values_list("pk", "scope", "scope_id", "hour_start")
        stale = [pk for pk, scope, scope_id, hour in existing if (scope, scope_id, hour) not in keep]
        if stale:
            HourlyMetric.objects.filter(pk__in=stale).delete()
        now = now or timezone.now()
        # The camera reported in the hour if it was online at its start by the one rule (cameras.status: its
        # heartbeat then was fresh) or has sent a heartbeat since: an hour that has just begun has not seen
        # one yet. Later runs (drain, hourly job) refresh the recent hours anyway.
        recent = [b for b in buckets if b.end > now - _ONLINE_WINDOW and b.start <= now]
        for camera in cameras:
            for bucket in recent:
                online = heartbeat_is_fresh(camera.last_heartbeat, bucket.start)
                HourlyMetric.objects.filter(
                    store=store, scope="camera", scope_id=camera.camera_id, hour_start=bucket.start
                ).update(camera_online=online)
    _note_aggregation(now, store.pk)
    return {b.local_date for b in buckets}


def _pos_hours_apply(store: Store, buckets, result) -> None:
    """Transactions and revenue of each store-local hour (pos app) onto the store scope, with conversion."""
    from analytics.aggregation import Numbers, pos_ratios
    from pos.selectors import pos_hours_read

    bounds = [b.start for b in buckets] + [buckets[-1].end]
    for index, (transactions, revenue) in pos_hours_read(store.pk, bounds).items():
        target = result.get((index, "store", "")) or result.setdefault((index, "store", ""), Numbers())
        for name, value in pos_ratios(transactions, revenue, target.footfall_in).items():
            setattr(target, name, value)


def _pos_day_numbers(hourly_rows) -> dict:
    """A day's POS numbers from its store-scope hourly rows: sums over the hours that have POS data."""
    from analytics.aggregation import pos_ratios

    covered = [row for row in hourly_rows if row["transactions"] is not None]
    if not covered:
        return pos_ratios(None, None, 0)
    return pos_ratios(sum(row["transactions"] for row in covered), sum(row["revenue"] for row in covered),
                      sum(row["footfall_in"] for row in covered))


def metrics_version_key(store_pk: int) -> str:
    """Cache key of a number that changes whenever the store's hourly metrics change (read caches key on it)."""
    return f"wink:analytics:metrics-version:{store_pk}"


def _note_aggregation(now: dt.datetime, store_pk: int | None = None) -> None:
    from django.core.cache import cache

    try:
        cache.set(LAST_AGGREGATION_KEY, now, 7 * 24 * 3600)
        if store_pk is not None:
            cache.set(metrics_version_key(store_pk), time.time_ns(), None)
    except Exception:  # a cache outage must not fail the aggregation; health just shows no timestamp
        logger.warning("could not record the aggregation time in the cache", exc_info=True)


def _pct_change(value: float, reference: float | None) -> float | None:
    if reference is None or reference == 0:
        return None
    return round((value - reference) / reference * 100.0, 2)


def store_days_aggregate(store: Store, dates: Iterable[dt.date]) -> None:
    """Recompute daily metrics of the given store-local dates (and the trends of the days after them).

    Counts are sums of the hourly rows; distinct visitors, averages, median and p90 come from one pass
    over the day's events (they cannot be added up from hours); peak occupancy is the hourly maximum.
    """
    from analytics.aggregation import Bucket, Numbers, aggregate_range
    from analytics.models import DailyMetric, HourlyMetric

    dates = sorted(set(dates))
    entrance = _entrance_cameras(store)
    for day in dates:
        start, end = local_day_bounds(store, day)
        # Peak occupancy is the hourly maximum: the day pass skips the occupancy sweeps.
        day_pass = aggregate_range(store.pk, [Bucket(start, end, day, 0)], entrance, {0: start}, occupancy=False)
        hourly: dict[tuple[str, str], dict] = {}
        store_hours: list[dict] = []
        for row in HourlyMetric.objects.filter(store=store, local_date=day).values(
            "scope", "scope_id", *_COUNT_FIELDS, "peak_occupancy", "transactions", "revenue"
        ):
            if row["scope"] == "store":
                store_hours.append(row)
            sums = hourly.setdefault(
                (row["scope"], row["scope_id"]), dict.fromkeys((*_COUNT_FIELDS, "peak_occupancy"), 0)
            )
            for name in _COUNT_FIELDS:
                sums[name] += row[name]
            sums["peak_occupancy"] = max(sums["peak_occupancy"], row["peak_occupancy"])
        scopes = set(hourly) | {(scope, sid) for (_, scope, sid) in day_pass}
        rows = []
        for scope, scope_id in scopes:
            fields = day_pass.get((0, scope, scope_id), Numbers()).as_fields()
            fields.update(hourly.get((scope, scope_id), {}))
            if scope == "store":
                fields.update(_pos_day_numbers(store_hours))
            rows.append(DailyMetric(store=store, scope=scope, scope_id=scope_id, date=day, **fields))
        with transaction.atomic():
            DailyMetric.objects.bulk_create(
                rows,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["store", "scope", "scope_id", "date"],
                update_fields=[*_METRIC_FIELDS, "computed_at"],
            )
            gone = [
                pk
                for pk, scope, scope_id in DailyMetric.objects.filter(store=store, date=day).values_list(
                    "pk", "scope", "scope_id"
                )
                if (scope, scope_id) not in scopes
            ]
            if gone:
                DailyMetric.objects.filter(pk__in=gone).delete()
    affected = set()
    for day in dates:
        affected.update(day + dt.timedelta(days=n) for n in (0, 1, 7, 14, 21, 28))
    daily_trends_update(store, affected)


def daily_trends_update(store: Store, dates: Iterable[dt.date]) -> None:
    """Fill day-over-day, week-over-week and vs-4-same-weekdays changes for the given dates."""
    from analytics.models import DailyMetric

    dates = sorted(set(dates))
    if not dates:
        return
    rows = DailyMetric.objects.filter(store=store, date__gte=dates[0] - dt.timedelta(days=28), date__lte=dates[-1])
    values = {(r.scope, r.scope_id, r.date): getattr(r, TREND_FIELD[r.scope]) for r in rows}
    targets = [r for r in rows if r.date in set(dates)]
    for row in targets:
        key = (row.scope, row.scope_id)
        current = values[(*key, row.date)]
        row.footfall_dod_pct = _pct_change(current, values.get((*key, row.date - dt.timedelta(days=1))))
        row.footfall_wow_pct = _pct_change(current, values.get((*key, row.date - dt.timedelta(days=7))))
        same_weekday = [
            values[(*key, row.date - dt.timedelta(days=7 * k))]
            for k in range(1, 5)
            if (*key, row.date - dt.timedelta(days=7 * k)) in values
        ]
        average = sum(same_weekday) / len(same_weekday) if same_weekday else None
        row.footfall_vs_weekday_avg_pct = _pct_change(current, average)
    DailyMetric.objects.bulk_update(
        targets, ["footfall_dod_pct", "footfall_wow_pct", "footfall_vs_weekday_avg_pct"], batch_size=2000
    )


def store_range_aggregate(store: Store, start: dt.datetime, end: dt.datetime) -> None:
    """Hourly then daily metrics for [start, end): the backfill / operator path (`manage.py aggregate`)."""
    dates = store_hours_aggregate(store, start, end)
    store_days_aggregate(store, dates)


def store_recent_hours_aggregate(store: Store, now: dt.datetime | None = None) -> None:
    """The hourly job: the current (partial) hour and the two closed ones before it, then their days."""
    from django.utils import timezone

    now = now or timezone.now()
    current = local_hour_start(store, now)
    dates = store_hours_aggregate(store, current - dt.timedelta(hours=2), current + dt.timedelta(minutes=1), now=now)
    store_days_aggregate(store, dates)


DRAIN_LOCK_KEY = "wink:analytics:stale-drain"
# A stale hour whose re-aggregation raises is retried by the next drains, then dropped after this many
# failed attempts (logged as an error): a row that can never aggregate must not be retried forever, and it
# never blocks the other hours of its store meanwhile. The hourly job still recomputes recent hours.
STALE_HOUR_MAX_ATTEMPTS = 5
STALE_FAILURE_KEY = "wink:analytics:stale-failures:{store_pk}:{hour}"
STALE_FAILURE_TTL = 7 * 24 * 3600
# Connection-level failures stop the drain (every mark kept, the task retried) instead of counting against
# each hour: a database outage must not make marks look poisonous and get them dropped.
_DRAIN_ABORT = (OperationalError, InterfaceError)


def stale_hours_drain(limit: int = 5000) -> int:
    """Re-aggregate the hours marked by `events.services.hours_mark_stale`; returns how many hours were recomputed.

    No row locks are held while aggregating, so ingestion (which re-marks hours inside its own
    transaction) never waits on a drain. A mark re-set while we work keeps its newer `marked_at` and
    survives for the next drain. One drain at a time (a cache lock).

    Failures are contained per hour: consecutive hours are recomputed as one range, and a range that fails
    is retried hour by hour, so one bad hour (a poisonous row) costs only itself. A failed hour is logged,
    its failure counted (cache), and its mark kept for the next drain; after STALE_HOUR_MAX_ATTEMPTS failures
    the mark is dropped. Marks outside `events.timebounds` (an hour that can hold no accepted event, e.g.
    year 1 stored before the bounds existed) are dropped at once.
    """
    from django.core.cache import cache

    if not cache.add(DRAIN_LOCK_KEY, 1, timeout=15 * 60):
        logger.info("another stale-hours drain is running; skipping")
        return 0
    done = 0
    try:
        marks = list(StaleHour.objects.select_related("store").order_by("store_id", "hour_start")[:limit])
        by_store: dict[int, list[StaleHour]] = {}
        for mark in marks:
            by_store.setdefault(mark.store_id, []).append(mark)
        for store_marks in by_store.values():
            store = store_marks[0].store
            usable = []
            for mark in store_marks:
                if timebounds.hour_in_range(mark.hour_start):
                    usable.append(mark)
                else:
                    logger.warning("dropping stale mark of %s at %s: outside the accepted time range",
                                   store.store_id, mark.hour_start.isoformat())
                    StaleHour.objects.filter(pk=mark.pk).delete()
            if not usable:
                continue
            failed = _store_marks_aggregate(store, usable)
            for mark in usable:
                if mark.pk in failed:
                    _stale_failure_record(store, mark, failed[mark.pk])
                    continue
                StaleHour.objects.filter(pk=mark.pk, marked_at=mark.marked_at).delete()
                _stale_failure_forget(store, mark)
                done += 1
    finally:
        cache.delete(DRAIN_LOCK_KEY)
    return done


def _stale_failure_key(store: Store, mark) -> str:
    return STALE_FAILURE_KEY.format(store_pk=store.pk, hour=int(mark.hour_start.timestamp()))


def _stale_failure_record(store: Store, mark, error: BaseException) -> None:
    """Count one failed attempt of a mark; drop the mark once it has failed STALE_HOUR_MAX_ATTEMPTS times."""
    from django.core.cache import cache

    key = _stale_failure_key(store, mark)
    try:
        cache.add(key, 0, STALE_FAILURE_TTL)
        attempts = int(cache.incr(key))
    except Exception:  # no cache: keep the mark (it no longer blocks other hours) and retry next drain
        logger.warning("could not count the failure of stale hour %s of %s", mark.hour_start, store.store_id,
                       exc_info=True)
        return
    if attempts >= STALE_HOUR_MAX_ATTEMPTS:
        logger.error("re-aggregating hour %s of %s failed %d times (%s: %s); dropping its stale mark",
                     mark.hour_start.isoformat(), store.store_id, attempts, type(error).__name__, error)
        StaleHour.objects.filter(pk=mark.pk).delete()
        _stale_failure_forget(store, mark)
    else:
        logger.warning("re-aggregating hour %s of %s failed (attempt %d of %d); kept for the next drain",
                       mark.hour_start.isoformat(), store.store_id, attempts, STALE_HOUR_MAX_ATTEMPTS)


def _stale_failure_forget(store: Store, mark) -> None:
    from django.core.cache import cache

    try:
        cache.delete(_stale_failure_key(store, mark))
    except Exception:
        pass


def _contained(label: str, store: Store, work):
    """Run one unit of re-aggregation in a savepoint; returns (result, None) or (None, error)."""
    try:
        with transaction.atomic():
            return work(), None
    except _DRAIN_ABORT:
        raise
    except Exception as error:
        logger.exception("re-aggregating %s of %s failed", label, store.store_id)
        return None, error


def _store_marks_aggregate(store: Store, marks: list) -> dict[int, BaseException]:
    """Recompute the hours of `marks` (one store) and their days; returns {mark pk: error} of the failed."""
    failed: dict[int, BaseException] = {}
    # Consecutive hours are recomputed as one range.
    runs: list[list] = []
    for mark in marks:
        if runs and mark.hour_start <= runs[-1][-1].hour_start + dt.timedelta(hours=1):
            runs[-1].append(mark)
        else:
            runs.append([mark])
    done: list = []
    for run in runs:
        start, end = run[0].hour_start, run[-1].hour_start + dt.timedelta(hours=1)
        _, error = _contained(f"hours {start.isoformat()}..{end.isoformat()}", store,
                              lambda s=start, e=end: store_hours_aggregate(store, s, e))
        if error is None:
            done.extend(run)
            continue
        if len(run) == 1:
            failed[run[0].pk] = error
            continue
        for mark in run:  # find the bad hour(s): the others of the range still get recomputed
            hour_end = mark.hour_start + dt.timedelta(hours=1)
            _, error = _contained(f"hour {mark.hour_start.isoformat()}", store,
                                  lambda s=mark.hour_start, e=hour_end: store_hours_aggregate(store, s, e))
            if error is None:
                done.append(mark)
            else:
                failed[mark.pk] = error
    by_date: dict[dt.date, list] = {}
    for mark in done:
        by_date.setdefault(local_date(store, mark.hour_start), []).append(mark)
    if not by_date:
        return failed
    _, error = _contained("days", store, lambda: store_days_aggregate(store, by_date))
    if error is not None:
        for day, day_marks in by_date.items():
            _, error = _contained(f"day {day.isoformat()}", store, lambda d=day: store_days_aggregate(store, [d]))
            if error is not None:
                failed.update({mark.pk: error for mark in day_marks})
    return failed
