"""The one place that says which dates and instants WINK accepts from the outside.

Everything a client sends (event timestamps, query-parameter dates, promotion dates) is checked here, so
no value near the ends of Python's date range (year 1, year 9999) ever reaches arithmetic that overflows
(`day - 28 days`, `datetime.astimezone`) or a stored row that every later re-aggregation trips over.

- Instants (ingest `ts`, `enter_ts`, `exit_ts`, `device_ts`): from 2000-01-01T00:00:00Z to now +
  INGEST_MAX_FUTURE_SECONDS (5 minutes; device clocks drift a little, never hours).
- Dates (query parameters and promotion dates): from 2000-01-01 to today + 366 days (a promotion may be
  planned a year ahead; nothing has data further out).

A check failure raises `TimeBoundError(field, message)`; callers turn it into their own per-field error
(a rejected event, a DRF 400, a plain-text CSV 400).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

UTC = dt.UTC
EARLIEST_DATE = dt.date(2000, 1, 1)
EARLIEST_INSTANT = dt.datetime(2000, 1, 1, tzinfo=UTC)
# How far past today a date parameter may point (promotions are planned ahead; nothing has data beyond).
DATE_HORIZON_DAYS = 366


class TimeBoundError(ValueError):
    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


def max_future_seconds() -> float:
    return float(getattr(settings, "INGEST_MAX_FUTURE_SECONDS", 300))


def latest_date(today: dt.date | None = None) -> dt.date:
    return (today or timezone.now().date()) + dt.timedelta(days=DATE_HORIZON_DAYS)


def parse_instant(value, field: str) -> dt.datetime:
    """ISO 8601 text → aware UTC datetime (no offset: UTC). Never raises anything but TimeBoundError:
    an offset that pushes the instant below year 1 or above year 9999 is a per-field error too."""
    if not isinstance(value, str) or not value:
        raise TimeBoundError(field, "expected an ISO 8601 timestamp string")
    if len(value) > 64:
        raise TimeBoundError(field, "not an ISO 8601 timestamp (too long)")
    try:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise TimeBoundError(field, f"not an ISO 8601 timestamp in range: {value[:40]!r}") from None


def check_instant(value: dt.datetime, field: str, now: dt.datetime | None = None) -> dt.datetime:
    """`value` if it lies in [2000-01-01Z, now + INGEST_MAX_FUTURE_SECONDS]."""
    now = now or timezone.now()
    if value < EARLIEST_INSTANT:
        raise TimeBoundError(field, f"before {EARLIEST_INSTANT:%Y-%m-%dT%H:%M:%SZ}; check the device clock")
    ahead = (value - now).total_seconds()
    if ahead > max_future_seconds():
        raise TimeBoundError(
            field, f"{ahead:.0f} s in the future (server time {now:%Y-%m-%dT%H:%M:%SZ}); check the device clock",
            code="future_timestamp",
        )
    return value


def check_date(value: dt.date, field: str, today: dt.date | None = None) -> dt.date:
    """`value` if it lies in [2000-01-01, today + DATE_HORIZON_DAYS]."""
    if value < EARLIEST_DATE:
        raise TimeBoundError(field, f"must be on or after {EARLIEST_DATE.isoformat()}")
    last = latest_date(today)
    if value > last:
        raise TimeBoundError(field, f"must be on or before {last.isoformat()} (today + {DATE_HORIZON_DAYS} days)")
    return value


def parse_date(raw: str, field: str, today: dt.date | None = None) -> dt.date:
    """YYYY-MM-DD text → a bounded date."""
    raw = (raw or "").strip()
    try:
        value = dt.date.fromisoformat(raw) if len(raw) <= 10 else None
    except ValueError:
        value = None
    if value is None:
        raise TimeBoundError(field, f"{raw[:40]!r} is not a date (YYYY-MM-DD)")
    return check_date(value, field, today)


def hour_in_range(hour_start: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether an hour can hold accepted data at all (a stale mark outside it can never be aggregated)."""
    now = now or timezone.now()
    return EARLIEST_INSTANT - dt.timedelta(days=1) <= hour_start <= now + dt.timedelta(days=2)
