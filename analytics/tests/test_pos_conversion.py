"""Conversion from POS data (GUIDE §2) with hand-computed values: store-local hours and days across the
Asia/Kolkata day boundary and the Europe/Berlin fall-back, no-data hours, refunds, hourly totals, the drain,
the comprehensive API and the CSV export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from analytics.models import DailyMetric, HourlyMetric
from analytics.services import stale_hours_drain, store_range_aggregate
from analytics.tests.analytics_factories import entrance, make_store, make_user
from pos.services import hourly_totals_record, transactions_record_batch

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def ins(store, when: str, n: int) -> None:
    for i in range(n):
        entrance(store, at(when) + dt.timedelta(seconds=i), person_key=f"{when}-{i}")


def sales(store, rows: list[tuple[str, str, str]]) -> None:
    batch = [{"transaction_id": tid, "store_id": store.store_id, "ts": ts + "Z", "amount": amount,
              "currency": "INR"} for tid, ts, amount in rows]
    result = transactions_record_batch(stores={store.store_id: store}, rows=batch)
    assert result.rejected_count == 0, result.rejected


def store_hour(store, hour_start: str) -> HourlyMetric:
    return HourlyMetric.objects.get(store=store, scope="store", hour_start=at(hour_start))


@pytest.fixture
def kolkata():
    """Kolkata is UTC+5:30: local midnight of 2 October is 18:30Z on 1 October."""
    store = make_store("pos_kol", tz="Asia/Kolkata", cameras=[("cam_door", ["entrance"])])
    ins(store, "2025-10-01T17:40:00", 8)  # local 23:10 on 1 Oct (hour 23:00 = 17:30Z)
    ins(store, "2025-10-01T18:45:00", 5)  # local 00:15 on 2 Oct (hour 00:00 = 18:30Z)
    ins(store, "2025-10-01T19:45:00", 4)  # local 01:15 on 2 Oct: footfall but no POS data
    sales(store, [
        ("k1", "2025-10-01T18:00:00", "100.00"),  # local 23:30, 1 Oct
        ("k2", "2025-10-01T18:10:00", "50.00"),
        ("k3", "2025-10-01T18:20:00", "-30.00"),  # refund: revenue only
        ("k4", "2025-10-01T18:31:00", "40.00"),  # local 00:01, 2 Oct
        ("k5", "2025-10-01T19:00:00", "60.00"),
    ])
    store_range_aggregate(store, at("2025-09-29T18:30:00"), at("2025-10-02T18:30:00"))
    return store


def test_kolkata_hours_across_local_midnight(kolkata):
    late = store_hour(kolkata, "2025-10-01T17:30:00")
    assert (late.local_date, late.local_hour) == (dt.date(2025, 10, 1), 23)
    assert (late.footfall_in, late.transactions, late.revenue) == (8, 2, Decimal("120"))
    assert late.conversion_rate == pytest.approx(2 / 8)
    assert late.avg_transaction_value == Decimal("60") and late.revenue_per_visitor == Decimal("15")
    first = store_hour(kolkata, "2025-10-01T18:30:00")
    assert (first.local_date, first.local_hour) == (dt.date(2025, 10, 2), 0)
    assert (first.footfall_in, first.transactions, first.revenue) == (5, 2, Decimal("100"))
    assert first.conversion_rate == pytest.approx(2 / 5)
    assert first.avg_transaction_value == Decimal("50") and first.revenue_per_visitor == Decimal("20")


def test_an_hour_with_footfall_but_no_pos_data_has_no_conversion(kolkata):
    quiet = store_hour(kolkata, "2025-10-01T19:30:00")
    assert quiet.footfall_in == 4
    assert quiet.transactions is None and quiet.revenue is None and quiet.conversion_rate is None
    assert quiet.avg_transaction_value is None and quiet.revenue_per_visitor is None
    # An hour with neither footfall nor POS data: no conversion either.
    assert store_hour(kolkata, "2025-10-01T12:30:00").conversion_rate is None


def test_kolkata_days(kolkata):
    day1 = DailyMetric.objects.get(store=kolkata, scope="store", date=dt.date(2025, 10, 1))
    assert (day1.footfall_in, day1.transactions, day1.revenue) == (8, 2, Decimal("120"))
    assert day1.conversion_rate == pytest.approx(0.25)
    # 2 Oct: 9 people came in, but only the 5 of the hour with POS data are conversion's denominator.
    day2 = DailyMetric.objects.get(store=kolkata, scope="store", date=dt.date(2025, 10, 2))
    assert (day2.footfall_in, day2.pos_footfall_in, day2.transactions, day2.revenue) == (9, 5, 2, Decimal("100"))
    assert day2.conversion_rate == pytest.approx(0.4)
    assert day2.avg_transaction_value == Decimal("50") and day2.revenue_per_visitor == Decimal("20")
    # A day without any POS data: null, never 0.
    day0 = DailyMetric.objects.get(store=kolkata, scope="store", date=dt.date(2025, 9, 30))
    assert day0.transactions is None and day0.conversion_rate is None


def test_comprehensive_api_and_csv_export_carry_conversion(kolkata):
    user, token = make_user("kol_user", org=kolkata.organization)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.post("/api/analytics/comprehensive", {"store_id": "pos_kol", "start_date": "2025-09-30",
                                                         "end_date": "2025-10-02"}, format="json").json()
    by_date = {day["date"]: day for day in body["daily"]}
    assert by_date["2025-09-30"]["conversion_rate"] is None and by_date["2025-09-30"]["transactions"] is None
    assert by_date["2025-10-02"]["conversion_rate"] == 0.4 and by_date["2025-10-02"]["revenue"] == 100.0
    totals = body["totals"]
    assert (totals["transactions"], totals["revenue"]) == (4, 220.0)
    assert totals["conversion_rate"] == round(4 / 13, 4)  # 8 + 5 people in the hours with POS data
    assert totals["avg_transaction_value"] == 55.0
    client.force_login(user)
    csv_text = client.get("/stores/pos_kol/export/hourly.csv?from=2025-10-01&to=2025-10-02&scope=store")
    lines = b"".join(csv_text.streaming_content).decode().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    late = next(r for r in rows if r["hour_start_utc"] == "2025-10-01T17:30:00Z")
    assert late["transactions"] == "2" and late["conversion_rate"] == "0.25"
    quiet = next(r for r in rows if r["hour_start_utc"] == "2025-10-01T19:30:00Z")
    assert quiet["footfall_in"] == "4" and quiet["conversion_rate"] == "" and quiet["transactions"] == ""


def test_berlin_fall_back_keeps_the_repeated_hour_apart():
    """26 Oct 2025, Berlin: 03:00 CEST → 02:00 CET. Local 02:00–03:00 happens twice (00:00Z and 01:00Z)."""
    store = make_store("pos_ber", tz="Europe/Berlin", cameras=[("cam_door", ["entrance"])])
    ins(store, "2025-10-25T21:10:00", 5)  # 23:10 CEST on 25 Oct
    ins(store, "2025-10-26T00:30:00", 10)  # first 02:30 (CEST)
    ins(store, "2025-10-26T01:30:00", 4)  # second 02:30 (CET)
    sales(store, [
        ("b1", "2025-10-25T21:30:00", "20"),
        ("b2", "2025-10-26T00:10:00", "10"), ("b3", "2025-10-26T00:20:00", "10"), ("b4", "2025-10-26T00:50:00", "10"),
        ("b5", "2025-10-26T01:45:00", "8"),
    ])
    store_range_aggregate(store, at("2025-10-25T20:00:00"), at("2025-10-26T03:00:00"))
    first, second = store_hour(store, "2025-10-26T00:00:00"), store_hour(store, "2025-10-26T01:00:00")
    assert (first.local_hour, second.local_hour) == (2, 2)
    assert (first.transactions, first.footfall_in, first.conversion_rate) == (3, 10, pytest.approx(0.3))
    assert (second.transactions, second.footfall_in, second.conversion_rate) == (1, 4, pytest.approx(0.25))
    day25 = DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 25))
    assert (day25.transactions, day25.conversion_rate) == (1, pytest.approx(0.2))
    day26 = DailyMetric.objects.get(store=store, scope="store", date=dt.date(2025, 10, 26))
    assert (day26.transactions, day26.footfall_in, day26.revenue) == (4, 14, Decimal("38"))
    assert day26.conversion_rate == pytest.approx(4 / 14)
    assert day26.avg_transaction_value == Decimal("9.500")


def test_hourly_totals_add_to_the_hour_and_the_drain_recomputes_marked_hours():
    store = make_store("pos_tot", tz="Asia/Kolkata", cameras=[("cam_door", ["entrance"])])
    ins(store, "2025-10-01T04:40:00", 20)  # local 10:10
    store_range_aggregate(store, at("2025-10-01T04:30:00"), at("2025-10-01T05:30:00"))
    assert store_hour(store, "2025-10-01T04:30:00").conversion_rate is None
    result = hourly_totals_record(stores={"pos_tot": store}, rows=[
        {"store_id": "pos_tot", "hour": "2025-10-01T04:30:00Z", "transactions": 4, "revenue": "200", "currency": "INR"}
    ])
    assert result.accepted == 1
    sales(store, [("h1", "2025-10-01T05:00:00", "100"), ("h2", "2025-10-01T05:01:00", "-50")])
    cache.delete("wink:analytics:stale-drain")
    assert stale_hours_drain() == 1  # both writes marked the same store-local hour
    hour = store_hour(store, "2025-10-01T04:30:00")
    assert (hour.transactions, hour.revenue) == (5, Decimal("250"))
    assert hour.conversion_rate == pytest.approx(5 / 20)
    assert hour.avg_transaction_value == Decimal("50") and hour.revenue_per_visitor == Decimal("12.500")


def test_trends_page_and_realtime_overview_show_conversion(kolkata):
    user, _ = make_user("kol_pages", org=kolkata.organization)
    client = APIClient()
    client.force_login(user)
    page = client.get("/stores/pos_kol/trends/?from=2025-09-30&to=2025-10-02").content.decode()
    assert '<td class="num" data-field="conversion">40.0%</td>' in page  # 2 Oct: 2 of the 5 people in POS hours
    assert '<td class="num" data-field="conversion">no data</td>' in page  # 30 Sep: no POS data
    assert 'data-total="conversion_rate">30.8%' in page  # 4 / 13
    # Realtime: "today" is 9 Oct 2025 here (local), a week after 2 Oct; POS data so far today in Kolkata.
    now = at("2025-10-08T19:40:00")  # 01:10 local on 9 Oct
    ins(kolkata, "2025-10-08T18:40:00", 10)  # local 00:10
    sales(kolkata, [("n1", "2025-10-08T18:45:00", "80.00"), ("n2", "2025-10-08T18:50:00", "20.00")])
    from analytics.selectors import realtime_read

    conversion = realtime_read(kolkata, now=now)["conversion"]
    assert conversion["today"]["transactions"] == 2 and conversion["today"]["conversion_rate"] == 0.2
    # Same weekday last week up to 01:10 local: the 00:00 hour (0.4) and the 01:00 hour, which has no POS data.
    assert conversion["same_weekday_last_week"]["conversion_rate"] == 0.4
    assert conversion["change_points"] == -20.0


def test_several_stores_in_different_currencies_sum_transactions_not_money(kolkata):
    from pos.models import PosStoreSettings

    _, token = make_user("two_stores", org=kolkata.organization)
    euro = make_store("pos_eur", tz="UTC", org=kolkata.organization)
    PosStoreSettings.objects.create(store=euro, currency="EUR")
    DailyMetric.objects.create(store=euro, scope="store", scope_id="", date=dt.date(2025, 10, 2), footfall_in=10,
                               transactions=5, revenue=Decimal("50"), pos_footfall_in=10, conversion_rate=0.5)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.post("/api/analytics/comprehensive", {"start_date": "2025-10-02", "end_date": "2025-10-02"},
                       format="json").json()
    assert {s["store_id"] for s in body["stores"]} == {"pos_kol", "pos_eur"}
    assert body["totals"]["transactions"] == 7 and body["totals"]["conversion_rate"] == 0.4667  # 7 / (5 + 10)
    assert body["totals"]["revenue"] is None and body["totals"]["avg_transaction_value"] is None
