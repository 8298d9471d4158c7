"""Store-local time (cameras.localtime): hour starts, day bounds and today, across DST and :30 zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from cameras.localtime import local_date, local_day_bounds, local_hour_start, local_today
from cameras.models import Store

UTC = dt.UTC
BERLIN = Store(timezone="Europe/Berlin")
KOLKATA = Store(timezone="Asia/Kolkata")


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_hour_start_in_a_half_hour_zone():
    # 10:20 UTC = 15:50 IST → the local hour began at 15:00 IST = 09:30 UTC.
    assert local_hour_start(KOLKATA, utc(2025, 1, 1, 10, 20)) == utc(2025, 1, 1, 9, 30)
    assert local_hour_start(KOLKATA, utc(2025, 1, 1, 9, 30)) == utc(2025, 1, 1, 9, 30)
    assert local_hour_start(KOLKATA, utc(2025, 1, 1, 9, 29, 59)) == utc(2025, 1, 1, 8, 30)
    # A tzinfo works as well as a store, a naive instant is UTC, an aware non-UTC one is converted.
    naive = dt.datetime(2025, 1, 1, 10, 20)
    assert local_hour_start(zoneinfo.ZoneInfo("Asia/Kolkata"), naive) == utc(2025, 1, 1, 9, 30)
    ist = dt.datetime(2025, 1, 1, 15, 50, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    assert local_hour_start(KOLKATA, ist) == utc(2025, 1, 1, 9, 30)


def test_hour_start_across_berlin_dst_changes():
    # Spring forward 2025-03-30 01:00 UTC: 02:00 CET → 03:00 CEST.
    assert local_hour_start(BERLIN, utc(2025, 3, 30, 0, 59)) == utc(2025, 3, 30, 0, 0)  # 01:59 CET
    assert local_hour_start(BERLIN, utc(2025, 3, 30, 1, 10)) == utc(2025, 3, 30, 1, 0)  # 03:10 CEST
    # Fall back 2025-10-26 01:00 UTC: the local 02:00 hour happens twice and stays two hours.
    assert local_hour_start(BERLIN, utc(2025, 10, 26, 0, 20)) == utc(2025, 10, 26, 0, 0)  # 02:20 CEST
    assert local_hour_start(BERLIN, utc(2025, 10, 26, 1, 20)) == utc(2025, 10, 26, 1, 0)  # 02:20 CET


def test_hour_start_memo_is_keyed_on_the_utc_quarter_hour():
    memo: dict = {}
    instants = [utc(2025, 1, 1, 9, minute, second) for minute in range(0, 60, 7) for second in (0, 59)]
    memoised = [local_hour_start(KOLKATA, instant, memo) for instant in instants]
    assert memoised == [local_hour_start(KOLKATA, instant) for instant in instants]
    assert len(memo) == 4
    # Walk a whole DST day minute by minute: the memo never gives another answer than a fresh computation.
    memo = {}
    start = utc(2025, 10, 25, 22, 0)
    for minute in range(0, 26 * 60, 5):
        instant = start + dt.timedelta(minutes=minute)
        assert local_hour_start(BERLIN, instant, memo) == local_hour_start(BERLIN, instant)


def test_day_bounds_on_dst_days_and_in_kolkata():
    assert local_day_bounds(BERLIN, dt.date(2025, 3, 30)) == (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))  # 23 h
    assert local_day_bounds(BERLIN, dt.date(2025, 10, 26)) == (utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))  # 25 h
    assert local_day_bounds(KOLKATA, dt.date(2025, 1, 1)) == (utc(2024, 12, 31, 18, 30), utc(2025, 1, 1, 18, 30))
    assert local_day_bounds(zoneinfo.ZoneInfo("UTC"), dt.date(2025, 1, 1)) == (utc(2025, 1, 1), utc(2025, 1, 2))


def test_local_date_and_today():
    assert local_date(KOLKATA, utc(2025, 1, 1, 18, 29)) == dt.date(2025, 1, 1)
    assert local_date(KOLKATA, utc(2025, 1, 1, 18, 30)) == dt.date(2025, 1, 2)
    assert local_today(BERLIN, utc(2025, 10, 25, 22, 0)) == dt.date(2025, 10, 26)
    now = dt.datetime.now(UTC)
    assert local_today(KOLKATA) in {local_date(KOLKATA, now), local_date(KOLKATA, now + dt.timedelta(seconds=5))}
