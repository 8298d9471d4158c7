"""CSV export of the stored hourly and daily metrics (the rows aggregation wrote, not a recomputation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from analytics.models import DailyMetric, HourlyMetric, MetricScope
from cameras.models import Store
from events import timebounds

METRIC_COLUMNS = [
    "footfall_in", "footfall_out", "unique_visitors", "entries", "dwell_avg", "dwell_median", "interactions",
    "served", "wait_avg", "wait_p90", "wait_max", "peak_occupancy",
    # Point of sale (store scope; empty = no POS data, never 0)
    "transactions", "revenue", "conversion_rate", "avg_transaction_value", "revenue_per_visitor",
]
# GUIDE §2 Staff (#17): staff figures last, so existing column positions stay; staff_hours = staff_seconds ÷ 3600.
STAFF_COLUMNS = ["staff_crossings", "staff_hours"]
HOURLY_HEADER = [
    "store_id", "local_date", "local_hour", "hour_start_utc", "scope", "scope_id", *METRIC_COLUMNS, *STAFF_COLUMNS,
]
DAILY_HEADER = [
    "store_id", "date", "scope", "scope_id", *METRIC_COLUMNS,
    "footfall_dod_pct", "footfall_wow_pct", "footfall_vs_weekday_avg_pct", *STAFF_COLUMNS,
]
MAX_EXPORT_DAYS = 366


class ExportError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def export_range_parse(params, today: dt.date, default_days: int) -> tuple[dt.date, dt.date, str | None]:
    """Read `from`, `to` (YYYY-MM-DD, inclusive, store-local) and optional `scope` from query params.

    Dates are bounded by `events.timebounds` (2000-01-01 .. today + a year); the range by MAX_EXPORT_DAYS.
    """
    def parse(name: str) -> dt.date | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        try:
            return timebounds.parse_date(raw, name, today)
        except timebounds.TimeBoundError as error:
            raise ExportError(name, error.message) from None

    given_first, given_last = parse("from"), parse("to")
    last = given_last or today
    first = given_first or max(timebounds.EARLIEST_DATE, last - dt.timedelta(days=default_days - 1))
    if first > last:
        raise ExportError("from", "must not be after 'to'")
    if (last - first).days >= MAX_EXPORT_DAYS:
        raise ExportError("from", f"range is limited to {MAX_EXPORT_DAYS} days")
    scope = (params.get("scope") or "").strip() or None
    if scope is not None and scope not in MetricScope.values:
        raise ExportError("scope", f"must be one of {', '.join(MetricScope.values)}")
    return first, last, scope


def _cell(value) -> str | float | int:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # spreadsheets must not run a slug as a formula
    return value


def _staff_cells(m) -> tuple[int, float]:
    return m.staff_crossings, round(m.staff_seconds / 3600, 3)


def hourly_metric_rows(store: Store, first: dt.date, last: dt.date, scope: str | None) -> Iterator[list]:
    rows = HourlyMetric.objects.filter(store=store, local_date__gte=first, local_date__lte=last)
    if scope:
        rows = rows.filter(scope=scope)
    for m in rows.order_by("hour_start", "scope", "scope_id").iterator():
        yield [_cell(v) for v in (
            store.store_id, m.local_date.isoformat(), m.local_hour,
            m.hour_start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), m.scope, m.scope_id,
            *(getattr(m, c) for c in METRIC_COLUMNS), *_staff_cells(m),
        )]


def daily_metric_rows(store: Store, first: dt.date, last: dt.date, scope: str | None) -> Iterator[list]:
    rows = DailyMetric.objects.filter(store=store, date__gte=first, date__lte=last)
    if scope:
        rows = rows.filter(scope=scope)
    for m in rows.order_by("date", "scope", "scope_id").iterator():
        yield [_cell(v) for v in (
            store.store_id, m.date.isoformat(), m.scope, m.scope_id,
            *(getattr(m, c) for c in METRIC_COLUMNS),
            m.footfall_dod_pct, m.footfall_wow_pct, m.footfall_vs_weekday_avg_pct, *_staff_cells(m),
        )]
