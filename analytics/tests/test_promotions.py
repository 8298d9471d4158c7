"""Promotion impact on generated daily data with a known uplift."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from analytics.models import DailyMetric, Promotion
from analytics.promotions import promotion_analyze, promotion_impact
from analytics.tests.analytics_factories import make_store

pytestmark = pytest.mark.django_db

WEEKDAY = [0.8, 0.85, 0.9, 1.0, 1.2, 1.5, 1.3]
PROMO_START = dt.date(2025, 10, 6)  # a Monday
PROMO_END = dt.date(2025, 10, 12)


def _generate(store, seed, uplift=0.20, shock=1.0, base=800.0, promo=True):
    rng = np.random.default_rng(seed)
    DailyMetric.objects.filter(store=store).delete()
    rows = []
    for n in range(-42, 7):
        day = PROMO_START + dt.timedelta(days=n)
        during = PROMO_START <= day <= PROMO_END
        lam = base * WEEKDAY[day.weekday()] * rng.lognormal(0.0, 0.05)
        if during:
            lam *= shock * ((1 + uplift) if promo else 1.0)
        rows.append(
            DailyMetric(
                store=store,
                scope="store",
                scope_id="",
                date=day,
                footfall_in=int(rng.poisson(lam)),
                entries=int(rng.poisson(lam * 0.5)),
                interactions=int(rng.poisson(lam * 0.2 * (1.5 if during and promo else 1))),
                wait_avg=float(rng.normal(90, 10)),
            )
        )
    DailyMetric.objects.bulk_create(rows)


def test_interval_covers_the_known_uplift():
    store = make_store("store_promo")
    covered = 0
    for seed in range(20):
        _generate(store, seed)
        result = promotion_impact(store, PROMO_START, PROMO_END)
        footfall = result["metrics"]["footfall"]
        covered += footfall["ci_low"] <= 20.0 <= footfall["ci_high"]
        if seed == 0:
            assert footfall["ci_low"] <= 20.0 <= footfall["ci_high"]
            assert footfall["ci_low"] > 0  # the uplift is detected, not just "consistent with"
            assert footfall["days"] == 7 and footfall["baseline_days"] == 28
            assert footfall["during"] > footfall["baseline"]
            shelf = result["metrics"]["shelf_interactions"]
            assert shelf["ci_low"] <= 80.0 <= shelf["ci_high"]  # footfall ×1.2, then ×1.5 per visitor
            wait = result["metrics"]["queue_wait"]
            assert wait["ci_low"] < 0 < wait["ci_high"]
            assert "The promotion worked" in result["verdict"]
            assert "Average queue wait" in result["verdict"] and "no clear change" in result["verdict"]
    print(f"\n95% interval covered the true +20% footfall uplift in {covered}/20 generated promotions")
    assert covered >= 17


def test_no_uplift_gives_no_clear_effect():
    store = make_store("store_flat")
    _generate(store, seed=5, uplift=0.0)
    result = promotion_impact(store, PROMO_START, PROMO_END)
    footfall = result["metrics"]["footfall"]
    assert footfall["ci_low"] < 0 < footfall["ci_high"]
    assert result["verdict"].startswith("No clear effect on footfall")


def test_control_store_removes_a_region_wide_shock():
    store = make_store("store_treated")
    control = make_store("store_control", org=store.organization)
    _generate(store, seed=1, uplift=0.20, shock=0.8)  # bad weather during the promotion everywhere
    _generate(control, seed=2, uplift=0.0, shock=0.8, base=500.0, promo=False)
    naive = promotion_impact(store, PROMO_START, PROMO_END)["metrics"]["footfall"]
    assert naive["ci_high"] < 20.0  # without a control the shock hides the uplift
    adjusted = promotion_impact(store, PROMO_START, PROMO_END, [control])
    footfall = adjusted["metrics"]["footfall"]
    assert footfall["ci_low"] <= 20.0 <= footfall["ci_high"]
    assert adjusted["baseline"]["control_store_ids"] == ["store_control"]


def test_analyze_stores_the_result_and_handles_missing_data():
    store = make_store("store_empty")
    promotion = Promotion.objects.create(store=store, name="Weekend Sale", start_date=PROMO_START, end_date=PROMO_END)
    analyzed_from = timezone.now()
    result = promotion_analyze(promotion)
    promotion.refresh_from_db()
    assert promotion.analysis == result and analyzed_from <= promotion.analyzed_at <= timezone.now()
    assert result["event_id"] == promotion.pk
    assert result["metrics"]["footfall"]["uplift_pct"] is None
    assert result["verdict"].startswith("Not enough footfall data")
