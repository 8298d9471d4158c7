"""Store-local time: the one implementation of "which local hour / day / date is this in the store".

Every function takes the store (or a tzinfo) first. All results are UTC instants or local dates, correct
across DST changes (23- and 25-hour days; the repeated hour of a fall-back stays two hours) and in
:30/:45 zones (Asia/Kolkata, Asia/Kathmandu).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.utils import timezone

UTC = dt.UTC


class HasTimezone(Protocol):
    @property
    def tzinfo(self) -> dt.tzinfo: ...


Where = HasTimezone | dt.tzinfo


def store_tz(where: Where) -> dt.tzinfo:
    return where if isinstance(where, dt.tzinfo) else where.tzinfo


def local_hour_start(where: Where, instant: dt.datetime, memo: dict | None = None) -> dt.datetime:
    """UTC start of the store-local hour containing `instant` (a naive instant is UTC).

    Every zone offset is a multiple of 15 minutes, so all instants of one UTC quarter hour share their
    local hour start: with a `memo` dict (one per store) a batch of thousands of events computes a few."""
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    quarter = instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)
    if memo is not None and quarter in memo:
        return memo[quarter]
    # Going through UTC keeps the fold (the repeated 02:00 of a fall-back) intact.
    start = quarter.astimezone(store_tz(where)).replace(minute=0).astimezone(UTC)
    if memo is not None:
        memo[quarter] = start
    return start


def local_day_bounds(where: Where, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC [start, end) of a store-local calendar day."""
    tz = store_tz(where)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_date(where: Where, instant: dt.datetime) -> dt.date:
    """The store-local calendar date of `instant`."""
    return instant.astimezone(store_tz(where)).date()


def local_today(where: Where, now: dt.datetime | None = None) -> dt.date:
    """Today in the store's zone (`now` defaults to the current time)."""
    return local_date(where, now or timezone.now())
