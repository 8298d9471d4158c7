"""The trends page's "same period last year", in Chromium: both series drawn, last year's totals from the API."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import assert_accessible_basics, needs_chromium, sign_in

pytestmark = needs_chromium


@pytest.fixture
def shop(transactional_db):
    from django.contrib.auth import get_user_model

    from analytics.models import DailyMetric
    from cameras.models import Organization, Store
    from tests.e2e.seed import PASSWORD

    user = get_user_model().objects.create_user(username="carol_trends", password=PASSWORD)
    org = Organization.objects.create(name="Trend Retail", slug="trend-retail")
    org.members.add(user)
    store = Store.objects.create(organization=org, store_id="store_trends", name="Trends Shop", timezone="UTC")
    rows = []
    for first, base in ((dt.date(2025, 11, 24), 300), (dt.date(2024, 11, 25), 200)):  # Mon..Sun, both years
        for i in range(7):
            rows.append(DailyMetric(store=store, scope="store", scope_id="", date=first + dt.timedelta(days=i),
                                    footfall_in=base + 10 * i))
    DailyMetric.objects.bulk_create(rows)
    return user, store


def test_same_period_last_year_shows_both_series(live_server, page, shop, shots):
    user, store = shop
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/stores/{store.store_id}/trends/?from=2025-11-24&to=2025-11-30")
    bars = page.locator('[data-chart="footfall"] svg rect.bar')
    assert bars.count() == 7 and page.locator('[data-chart="footfall"] svg rect.bar.alt').count() == 0

    page.get_by_label("Compare with").select_option("weekday")
    page.wait_for_selector('[data-chart="footfall"] svg rect.bar.alt')
    assert page.locator('[data-chart="footfall"] svg rect.bar.alt').count() == 7
    assert page.locator('[data-chart="footfall"] svg rect.bar:not(.alt)').count() == 7
    legend = page.locator('[data-chart="footfall"] .legend').inner_text()
    assert "This period" in legend and "Last year (2024-11-25 – 2024-12-01)" in legend
    assert page.locator('[data-compare-total="footfall"]').inner_text() == "last year " + f"{7 * 200 + 210:,}"
    assert "compare=weekday" in page.url  # the choice survives a reload or a shared link
    tip = page.locator('[data-chart="footfall"] svg rect.bar.alt title').nth(4).text_content()
    assert tip.startswith("28 Nov") and tip.endswith(": 240")  # Friday 28 Nov 2025 beside Friday 29 Nov 2024
    shots(page, "trends_same_period_last_year")
    assert_accessible_basics(page)

    page.get_by_label("Compare with").select_option("date")  # same dates: 24..30 Nov 2024
    page.wait_for_function(
        "() => document.querySelector('[data-chart=\"footfall\"] .legend')?.textContent.includes('2024-11-24')"
    )
    # 24 Nov 2024 has no stored row: the first comparison bar is missing, the other six are there.
    assert page.locator('[data-chart="footfall"] svg rect.bar.alt').count() == 6
    page.get_by_label("Compare with").select_option("")
    page.wait_for_function("() => !document.querySelector('[data-chart=\"footfall\"] svg rect.bar.alt')")
    assert page.locator('[data-compare-total="footfall"]').inner_text() == ""
    assert page.js_errors == []
