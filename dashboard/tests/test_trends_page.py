"""The trends page: any period (from/to) and "same period last year" through the comprehensive API."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from analytics.models import DailyMetric
from dashboard.pages.analytics import last_year_date
from tests.factories import OrganizationFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    org = OrganizationFactory()
    user = UserFactory()
    org.members.add(user)
    store = StoreFactory(organization=org, timezone="Europe/Berlin")
    client.force_login(user)
    return store


def _embedded(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_last_year_date_weekday_aligned_and_same_date_with_leap_day():
    black_friday = dt.date(2025, 11, 28)
    assert last_year_date(black_friday) == dt.date(2024, 11, 29)  # default: 364 days, Friday → Friday
    assert last_year_date(black_friday).weekday() == black_friday.weekday()
    assert last_year_date(black_friday, "date") == dt.date(2024, 11, 28)
    assert last_year_date(dt.date(2024, 2, 29), "date") == dt.date(2023, 2, 28)
    assert last_year_date(dt.date(2024, 2, 29), "weekday") == dt.date(2023, 3, 2)
    assert last_year_date(dt.date(2025, 3, 1), "date") == dt.date(2024, 3, 1)


def test_trends_page_offers_same_period_last_year(client, member):
    store = member
    for day, n in ((dt.date(2025, 11, 28), 500), (dt.date(2024, 11, 29), 400)):
        DailyMetric.objects.create(store=store, scope="store", scope_id="", date=day, footfall_in=n)
    response = client.get(f"/stores/{store.store_id}/trends/?from=2025-11-24&to=2025-11-30&compare=weekday")
    assert response.status_code == 200
    html = response.content.decode()
    # The control, with both alignments, the chosen one selected.
    assert 'id="compare"' in html and 'value="weekday" selected' in html and 'value="date"' in html
    assert "Same period last year, same weekdays (364 days earlier)" in html
    assert 'data-total="footfall">500<' in html  # only the chosen period's days
    config = _embedded(html, "trend-config")
    assert config["api"] == "/api/analytics/comprehensive" and config["store_id"] == store.store_id
    assert config["period"] == {"start_date": "2025-11-24", "end_date": "2025-11-30"}
    assert config["compare"] == "weekday"
    assert {k: (v["start_date"], v["end_date"]) for k, v in config["last_year"].items()} == {
        "weekday": ("2024-11-25", "2024-12-01"),
        "date": ("2024-11-24", "2024-11-30"),
    }
    series = _embedded(html, "trend-data")
    assert series[0]["date"] == "2025-11-24" and len(series) == 7
    friday = series[4]
    assert friday["date"] == "2025-11-28" and friday["footfall"] == 500
    assert friday["last_year"] == {"weekday": "2024-11-29", "date": "2024-11-28"}
    # The API the page calls answers that period with last year's Black Friday in it.
    body = client.post(config["api"], {"store_id": store.store_id, **{
        k: config["last_year"]["weekday"][k] for k in ("start_date", "end_date")}}, content_type="application/json")
    assert body.status_code == 200 and body.json()["totals"]["footfall"] == 400


def test_trends_page_leap_day_and_bad_ranges(client, member):
    store = member
    html = client.get(f"/stores/{store.store_id}/trends/?from=2024-02-27&to=2024-03-01").content.decode()
    config = _embedded(html, "trend-config")
    assert config["last_year"]["date"]["start_date"] == "2023-02-27"
    assert config["last_year"]["date"]["end_date"] == "2023-03-01"
    leap = next(d for d in _embedded(html, "trend-data") if d["date"] == "2024-02-29")
    assert leap["last_year"] == {"date": "2023-02-28", "weekday": "2023-03-02"}
    assert 'value="" selected' in html  # no comparison unless asked

    for query, field in (("from=2020-01-01&to=2023-01-01", "to"), ("from=0001-01-01", "from"),
                         ("from=2024-03-02&to=2024-03-01", "to")):
        response = client.get(f"/stores/{store.store_id}/trends/?{query}")
        assert response.status_code == 200
        error = re.search(r'data-field="period-error">([^<]*)<', response.content.decode())
        assert error and error.group(1).startswith(f"{field}: "), query
        assert len(_embedded(response.content.decode(), "trend-data")) == 30  # fell back to the last 30 days
    # Three years are fine.
    response = client.get(f"/stores/{store.store_id}/trends/?from=2021-01-01&to=2023-12-31")
    assert len(_embedded(response.content.decode(), "trend-data")) == 1095
