"""POST /api/analytics/comprehensive over any period: start_date/end_date beside days (issue 15, "Any period").

Daily rows are written for two (and, for the cost check, three) years; every expected number is computed
here from the same rule that wrote the rows.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from analytics.models import DailyMetric
from analytics.tests.analytics_factories import make_store, make_user

pytestmark = pytest.mark.django_db

URL = "/api/analytics/comprehensive"
ZONES = ["bakery", "electronics", "entrance_hall", "fashion", "toys"]


def footfall(day: dt.date) -> int:
    """The rule the rows are written with: a weekly shape plus a slow drift, so every window differs."""
    return 100 + 10 * day.weekday() + day.toordinal() % 7


def _write_days(store, first: dt.date, n_days: int, zones=()) -> None:
    rows = []
    for offset in range(n_days):
        day = first + dt.timedelta(days=offset)
        rows.append(DailyMetric(store=store, scope="store", scope_id="", date=day, footfall_in=footfall(day),
                                footfall_out=footfall(day) - 1, unique_visitors=50, served=10, wait_avg=30.0))
        for k, zone_id in enumerate(zones):
            rows.append(DailyMetric(store=store, scope="zone", scope_id=zone_id, date=day, entries=k + 1,
                                    unique_visitors=1, dwell_avg=10.0 * (k + 1)))
    DailyMetric.objects.bulk_create(rows, batch_size=2000)


@pytest.fixture
def tenant(settings):
    settings.STORE_ID = "store_demo_001"
    store = make_store("store_demo_001", tz="America/New_York")
    other = make_store("store_other_org")
    _, token = make_user("manager", org=store.organization)
    return {"store": store, "other": other, "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"}}


def _post(client, tenant, body):
    return client.post(URL, body, content_type="application/json", **tenant["auth"])


def test_start_end_window_exact_totals_across_two_years(client, tenant):
    store = tenant["store"]
    _write_days(store, dt.date(2023, 11, 1), 2 * 366, zones=["fashion"])
    _write_days(tenant["other"], dt.date(2023, 11, 1), 2 * 366)  # another organisation: never counted
    # Black Friday week, last year and this year (store-local dates, both ends included).
    for first, last in ((dt.date(2023, 11, 20), dt.date(2023, 11, 26)), (dt.date(2024, 11, 25), dt.date(2024, 12, 1))):
        response = _post(client, tenant, {"start_date": first.isoformat(), "end_date": last.isoformat(),
                                          "include_zones": True})
        assert response.status_code == 200, response.content
        body = response.json()
        days = [first + dt.timedelta(days=i) for i in range(7)]
        assert body["period"] == {"start": first.isoformat(), "end": last.isoformat(), "days": 7}
        assert [d["date"] for d in body["daily"]] == [d.isoformat() for d in days]
        assert [d["footfall"] for d in body["daily"]] == [footfall(d) for d in days]
        assert body["totals"]["footfall"] == sum(footfall(d) for d in days)
        assert body["totals"]["footfall_out"] == sum(footfall(d) - 1 for d in days)
        assert body["totals"]["queue_served"] == 70 and body["totals"]["avg_queue_wait"] == 30.0
        assert body["zones"] == {"fashion": {"entries": 7, "unique_visitors": 7, "avg_dwell": 10.0}}
        assert [s["store_id"] for s in body["stores"]] == ["store_demo_001"]
    # A window across the leap day and the year boundary: every stored day in it, nothing outside.
    first, last = dt.date(2023, 12, 15), dt.date(2024, 3, 1)
    body = _post(client, tenant, {"start_date": "2023-12-15", "end_date": "2024-03-01"}).json()
    n = (last - first).days + 1
    assert body["period"]["days"] == n == 78 and len(body["daily"]) == n
    assert "2024-02-29" in [d["date"] for d in body["daily"]]
    assert body["totals"]["footfall"] == sum(footfall(first + dt.timedelta(days=i)) for i in range(n))
    # One day: start == end.
    one = _post(client, tenant, {"start_date": "2024-02-29", "end_date": "2024-02-29"}).json()
    assert one["totals"]["footfall"] == footfall(dt.date(2024, 2, 29)) and one["period"]["days"] == 1


def test_days_form_still_works_and_resolves_its_period(client, tenant):
    store = tenant["store"]
    today = timezone.now().astimezone(store.tzinfo).date()
    _write_days(store, today - dt.timedelta(days=9), 10)
    body = _post(client, tenant, {"days": 7}).json()
    assert body["period"] == {"start": (today - dt.timedelta(days=6)).isoformat(), "end": today.isoformat(), "days": 7}
    assert body["totals"]["footfall"] == sum(footfall(today - dt.timedelta(days=i)) for i in range(7))
    assert _post(client, tenant, {"days": 1096}).status_code == 200
    response = _post(client, tenant, {"days": 1097})
    assert response.status_code == 400 and response.json()["error"].startswith("days")


def test_three_year_limit(client, tenant):
    ok = _post(client, tenant, {"start_date": "2021-01-01", "end_date": "2023-12-31"})  # three plain years
    assert ok.status_code == 200 and ok.json()["period"]["days"] == 1095
    ok = _post(client, tenant, {"start_date": "2021-01-01", "end_date": "2024-01-01"})
    assert ok.status_code == 200 and ok.json()["period"]["days"] == 1096
    too_long = _post(client, tenant, {"start_date": "2021-01-01", "end_date": "2024-01-02"})
    assert too_long.status_code == 400
    assert too_long.json()["error"].startswith("end_date") and "1096" in too_long.json()["error"]
    assert set(too_long.json()["errors"]) == {"end_date"}


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"days": 30, "start_date": "2024-01-01", "end_date": "2024-01-31"}, {"days", "start_date", "end_date"}),
        ({"days": 30, "end_date": "2024-01-31"}, {"days", "end_date"}),
        ({}, {"days"}),
        ({"include_zones": True}, {"days"}),
        ({"start_date": "2024-01-01"}, {"end_date"}),
        ({"end_date": "2024-01-01"}, {"start_date"}),
        ({"start_date": "2024-02-01", "end_date": "2024-01-31"}, {"end_date"}),
        ({"start_date": "0001-01-01", "end_date": "2024-01-31"}, {"start_date"}),
        ({"start_date": "2024-01-01", "end_date": "9999-12-31"}, {"end_date"}),
        ({"start_date": "1999-12-31", "end_date": "2000-01-31"}, {"start_date"}),
        ({"start_date": "2024-02-30", "end_date": "2024-03-31"}, {"start_date"}),
        ({"start_date": "yesterday", "end_date": "2024-03-31"}, {"start_date"}),
    ],
)
def test_bad_periods_are_400s_naming_the_fields(client, tenant, body, fields):
    response = _post(client, tenant, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data["errors"]) == fields, data
    assert data["error"].split(":")[0] in fields
    if len(fields) > 1 or body == {}:  # the message itself names both forms
        assert "days" in data["error"] and "start_date" in data["error"]


def test_dates_as_far_as_timebounds_allow(client, tenant):
    today = timezone.now().date()
    assert _post(client, tenant, {"start_date": "2000-01-01", "end_date": "2000-12-31"}).status_code == 200
    horizon = today + dt.timedelta(days=366)
    response = _post(client, tenant, {"start_date": today.isoformat(), "end_date": horizon.isoformat()})
    assert response.status_code == 200 and response.json()["totals"]["footfall"] == 0
    response = _post(client, tenant, {"start_date": today.isoformat(),
                                      "end_date": (horizon + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and response.json()["error"].startswith("end_date")


def test_other_organisations_store_is_refused(client, tenant):
    _write_days(tenant["other"], dt.date(2024, 1, 1), 31)
    response = _post(client, tenant, {"store_id": "store_other_org", "start_date": "2024-01-01",
                                      "end_date": "2024-01-31"})
    assert response.status_code == 404 and response.json()["error"].startswith("store_id")
    assert "store_other_org" not in [s["store_id"] for s in _post(
        client, tenant, {"start_date": "2024-01-01", "end_date": "2024-01-31"}).json()["stores"]]


def test_three_years_with_five_zones_reads_one_query_per_scope(client, tenant, django_assert_max_num_queries):
    """3 years of daily rows for the store and 5 zones (6,576 rows): a fixed number of queries, whatever the
    length. The elapsed time is printed (run with -s) for the report, never asserted."""
    store = tenant["store"]
    first = dt.date(2022, 1, 1)
    _write_days(store, first, 1096, zones=ZONES)
    body = {"start_date": "2022-01-01", "end_date": "2024-12-31", "include_zones": True}
    _post(client, tenant, body)  # warm: token lookup, the first connection
    # auth (token + user) + store resolution + store rows + zone, shelf, queue groups, with some slack
    with django_assert_max_num_queries(10):
        started = time.perf_counter()
        response = _post(client, tenant, body)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    data = response.json()
    assert data["period"]["days"] == 1096 and len(data["daily"]) == 1096
    assert data["totals"]["footfall"] == sum(footfall(first + dt.timedelta(days=i)) for i in range(1096))
    assert data["zones"]["toys"] == {"entries": 5 * 1096, "unique_visitors": 1096, "avg_dwell": 50.0}
    print(f"\n3-year comprehensive request, 1 store + {len(ZONES)} zones ({1096 * 6} daily rows): "
          f"{elapsed * 1000:.0f} ms")


def test_openapi_schema_documents_the_period_fields(client, tenant):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json", **tenant["auth"]).json()
    request = schema["components"]["schemas"]["ComprehensiveRequestRequest"]["properties"]
    assert request["start_date"]["format"] == "date" and request["end_date"]["format"] == "date"
    assert request["days"]["maximum"] == 1096 and "default" not in request["days"]
    period = schema["components"]["schemas"]["ComprehensivePeriod"]
    assert set(period["properties"]) == {"start", "end", "days"}
    operation = next(v["post"] for k, v in schema["paths"].items() if k.startswith("/api/analytics/comprehensive"))
    assert "start_date" in operation["description"] and "1096" in operation["description"]
