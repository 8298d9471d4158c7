"""Conversion in spikes (a drop while footfall holds is its own finding), promotions (uplift with intervals)
and insights (cited), from stored aggregates with hand-set numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from analytics.insights import insight_payload, insight_rules
from analytics.models import DailyMetric, HourlyMetric, SpikeAlert
from analytics.promotions import promotion_impact
from analytics.spikes import spikes_detect
from analytics.tests.analytics_factories import make_store

pytestmark = pytest.mark.django_db
UTC = dt.UTC
PERIOD = dt.datetime(2025, 10, 29, tzinfo=UTC)  # a Wednesday


def hour(store, start: dt.datetime, footfall: int, transactions: int | None, revenue: str = "0") -> HourlyMetric:
    pos = {}
    if transactions is not None:
        pos = {"transactions": transactions, "revenue": Decimal(revenue), "pos_footfall_in": footfall,
               "conversion_rate": transactions / footfall if footfall else None}
    return HourlyMetric.objects.create(store=store, scope="store", scope_id="", hour_start=start,
                                       local_date=start.date(), local_hour=start.hour, footfall_in=footfall, **pos)


def history(store, at_hour: int, footfall: int, transactions: int | None, weeks: int = 4) -> None:
    for week in range(1, weeks + 1):
        hour(store, PERIOD + dt.timedelta(hours=at_hour) - dt.timedelta(weeks=week), footfall, transactions)


def test_conversion_drop_while_footfall_holds_is_its_own_finding():
    store = make_store("spk_conv")
    history(store, 12, 100, 30)  # usually 30% at noon on Wednesdays
    history(store, 15, 100, 30)
    history(store, 17, 100, 30)
    hour(store, PERIOD + dt.timedelta(hours=12), 100, 10)  # footfall held, 10% conversion
    hour(store, PERIOD + dt.timedelta(hours=15), 40, 4)  # footfall fell too: not a conversion finding
    hour(store, PERIOD + dt.timedelta(hours=17), 100, None)  # footfall but no POS data: no evidence
    report = spikes_detect(store, PERIOD, PERIOD + dt.timedelta(days=1))
    conversion = [s for s in report.spikes if s["metric"] == "conversion"]
    assert len(conversion) == 1
    found = conversion[0]
    assert found["kind"] == SpikeAlert.Kind.CONVERSION and found["direction"] == "down"
    assert found["start"] == PERIOD + dt.timedelta(hours=12)
    assert (found["observed"], found["expected"]) == (10.0, 30.0)
    assert "footfall_held" in found["reasons"]
    # The footfall drop at 15:00 is reported as traffic, not as conversion.
    assert any(s["metric"] == "footfall" and s["start"] == PERIOD + dt.timedelta(hours=15) for s in report.spikes)


def test_a_small_dip_is_not_a_finding():
    store = make_store("spk_dip")
    history(store, 12, 100, 30)
    hour(store, PERIOD + dt.timedelta(hours=12), 100, 26)
    report = spikes_detect(store, PERIOD, PERIOD + dt.timedelta(days=1))
    assert not [s for s in report.spikes if s["metric"] == "conversion"]


def day(store, date: dt.date, footfall: int, transactions: int | None, revenue: str | None) -> None:
    pos = {}
    if transactions is not None:
        pos = {"transactions": transactions, "revenue": Decimal(revenue), "pos_footfall_in": footfall,
               "conversion_rate": transactions / footfall}
    DailyMetric.objects.create(store=store, scope="store", scope_id="", date=date, footfall_in=footfall, **pos)


def test_promotion_reports_conversion_and_revenue_uplift_with_intervals():
    store = make_store("promo_conv")
    start = dt.date(2025, 10, 6)  # a Monday; baseline: the 4 weeks before
    for n in range(-28, 7):
        date = start + dt.timedelta(days=n)
        wiggle = (n % 3) - 1  # -1, 0, 1: a little day-to-day noise
        if n < 0:
            day(store, date, 200, 40 + wiggle, str(1000 + 10 * wiggle))
        else:
            day(store, date, 200, 60 + wiggle, str(1500 + 10 * wiggle))
    result = promotion_impact(store, start, start + dt.timedelta(days=6))
    conversion, revenue = result["metrics"]["conversion"], result["metrics"]["revenue"]
    assert conversion["uplift_pct"] == pytest.approx(50.0, abs=2.0)
    assert conversion["ci_low"] is not None
    assert 0 < conversion["ci_low"] < conversion["uplift_pct"] < conversion["ci_high"]
    assert revenue["uplift_pct"] == pytest.approx(50.0, abs=2.0)
    assert revenue["ci_low"] is not None and revenue["ci_low"] > 0
    assert "Conversion: +" in result["verdict"] and "Revenue: +" in result["verdict"]


def test_promotion_without_pos_data_says_so():
    store = make_store("promo_nopos")
    start = dt.date(2025, 10, 6)
    for n in range(-28, 7):
        day(store, start + dt.timedelta(days=n), 200, None, None)
    result = promotion_impact(store, start, start + dt.timedelta(days=6))
    assert result["metrics"]["conversion"]["uplift_pct"] is None
    assert "Conversion: not enough data." in result["verdict"]


def test_insights_cite_conversion_and_conversion_drops():
    store = make_store("ins_conv")
    end = dt.date(2025, 10, 12)
    for n in range(7):
        day(store, end - dt.timedelta(days=n), 100, 25, "500")
    SpikeAlert.objects.create(store=store, start=dt.datetime(2025, 10, 10, 12, tzinfo=UTC),
                              end=dt.datetime(2025, 10, 10, 13, tzinfo=UTC), metric="conversion", observed=10,
                              expected=30, score=-4.4, direction="down", kind=SpikeAlert.Kind.CONVERSION)
    payload = insight_payload(store, end)
    assert payload["totals"]["conversion_pct"] == 25.0 and payload["totals"]["transactions"] == 175
    assert payload["daily"][0]["conversion_pct"] == 25.0
    answer = insight_rules(payload)
    cited = {item["label"]: item["value"] for item in answer["cited_numbers"]}
    assert cited["conversion"] == 25.0
    assert "Conversion was 25.0%" in answer["summary"]
    assert any("staffing" in r["text"] for r in answer["recommendations"])
