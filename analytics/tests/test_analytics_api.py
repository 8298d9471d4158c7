"""The analytics API as the deployment guides call it: shapes, tenant scoping, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import DailyMetric, HourlyMetric, Promotion
from analytics.services import store_range_aggregate
from analytics.tests.analytics_factories import entrance, make_store, make_user, queue, zone
from cameras.localtime import local_day_bounds
from events.live import live_index_key, live_key, live_state_write

pytestmark = pytest.mark.django_db

CAMERAS = [("cam_entrance_01", ["entrance"]), ("cam_zone_01", ["zones", "shelves"])]


@pytest.fixture
def tenant(settings):
    settings.STORE_ID = "store_demo_001"
    store = make_store("store_demo_001", tz="Asia/Kolkata", cameras=CAMERAS)
    second = make_store("store_demo_002", org=store.organization, cameras=CAMERAS)
    other = make_store("store_other_org", cameras=CAMERAS)
    _user, token = make_user("manager", org=store.organization)
    _, other_token = make_user("stranger", org=other.organization)
    return {
        "store": store,
        "second": second,
        "other": other,
        "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        "other_auth": {"HTTP_AUTHORIZATION": f"Bearer {other_token}"},
    }


def _daily(store, day, **values):
    return DailyMetric.objects.create(store=store, scope="store", scope_id="", date=day, **values)


def test_endpoints_need_authentication_except_health(client, tenant):
    for method, url in (
        ("get", "/api/analytics/realtime"),
        ("post", "/api/analytics/comprehensive"),
        ("get", "/api/analytics/spikes?date=2024-01-15"),
        ("post", "/api/events"),
        ("get", "/api/analytics/promo?start_date=2025-10-01&end_date=2025-10-07"),
    ):
        assert getattr(client, method)(url).status_code == 401, url
    health = client.get("/api/analytics/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["insights_backend"] in ("openai", "rules")


def test_realtime_people_zones_queues_and_cameras(client, tenant, request):
    store = tenant["store"]
    now = timezone.now()
    for minutes, direction in ((50, "in"), (40, "in"), (30, "in"), (20, "out")):
        entrance(store, now - dt.timedelta(minutes=minutes), direction, camera_key="cam_entrance_01")
    live_state_write(
        "store_demo_001", "cam_zone_01", {"people": 3, "zones": {"electronics": 2}, "queues": {"checkout": 4}}, ttl=60
    )
    # Live state comes with a heartbeat (events.services.camera_heartbeat_record); the heartbeat says online.
    store.cameras.filter(camera_id="cam_zone_01").update(last_heartbeat=now)
    # Live state lives in the shared cache, not the test database: never leave it to the next test.
    request.addfinalizer(
        lambda: cache.delete_many([live_key("store_demo_001", "cam_zone_01"), live_index_key("store_demo_001")])
    )
    body = client.get("/api/analytics/realtime", **tenant["auth"]).json()  # the guide's call: no store
    assert body["store_id"] == "store_demo_001"
    assert body["people_in_store"] == 2 and body["footfall"] == {"in": 3, "out": 1}
    assert body["zones"] == {"electronics": {"people": 2}} and body["queue_length"] == 4
    assert body["cameras_total"] == 2 and body["cameras_online"] == 1
    # today's `in` crossings in their store-local hours; hours still to come are null; nothing last week
    local_now = now.astimezone(store.tzinfo)
    ins = [(now - dt.timedelta(minutes=minutes)).astimezone(store.tzinfo) for minutes in (50, 40, 30)]
    expected = [sum(t.date() == local_now.date() and t.hour == hour for t in ins) if hour <= local_now.hour else None
                for hour in range(24)]
    assert [h["footfall"] for h in body["hourly"]] == expected
    assert [h["last_week"] for h in body["hourly"]] == [0] * 24


def test_comprehensive_guide_call_and_hand_computed_totals(client, tenant):
    store = tenant["store"]
    today = timezone.now().astimezone(store.tzinfo).date()
    _daily(store, today, footfall_in=100, unique_visitors=80, interactions=10, served=20, wait_avg=60.0)
    _daily(
        store,
        today - dt.timedelta(days=1),
        footfall_in=50,
        unique_visitors=40,
        interactions=4,
        served=10,
        wait_avg=30.0,
    )
    _daily(store, today - dt.timedelta(days=40), footfall_in=999)  # outside 30 days
    DailyMetric.objects.create(
        store=store, scope="zone", scope_id="electronics", date=today, entries=12, unique_visitors=8, dwell_avg=60.0
    )
    DailyMetric.objects.create(
        store=store,
        scope="zone",
        scope_id="electronics",
        date=today - dt.timedelta(days=1),
        entries=4,
        unique_visitors=4,
        dwell_avg=80.0,
    )
    _daily(tenant["other"], today, footfall_in=7777)  # another organisation: never counted
    response = client.post(
        "/api/analytics/comprehensive",
        {"days": 30, "include_zones": True},
        content_type="application/json",
        **tenant["auth"],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {
        "start": (today - dt.timedelta(days=29)).isoformat(),
        "end": today.isoformat(),
        "days": 30,
    }
    assert [s["store_id"] for s in body["stores"]] == ["store_demo_001"]
    assert body["totals"] == {
        "footfall": 150,
        "footfall_out": 0,
        "unique_visitors": 120,
        "zone_entries": 0,
        "shelf_interactions": 14,
        "queue_served": 30,
        "avg_queue_wait": 50.0,
        "peak_occupancy": 0,
        # No POS data in the period: conversion figures are null, never 0 (pos app, GUIDE §2).
        "transactions": None,
        "revenue": None,
        "conversion_rate": None,
        "avg_transaction_value": None,
        "revenue_per_visitor": None,
        # GUIDE §2 Staff: no staff tracks in this data (analytics/tests/test_staff_reports.py has some).
        "staff_crossings": 0,
        "staff_hours": 0.0,
    }
    assert [d["date"] for d in body["daily"]] == [(today - dt.timedelta(days=1)).isoformat(), today.isoformat()]
    assert body["daily"][1]["footfall"] == 100
    assert body["zones"] == {"electronics": {"entries": 16, "unique_visitors": 12, "avg_dwell": 65.0}}
    without = client.post(
        "/api/analytics/comprehensive", {"days": 7}, content_type="application/json", **tenant["auth"]
    ).json()
    assert "zones" not in without
    both = client.post(
        "/api/analytics/comprehensive",
        {"days": 7, "store_id": "store_demo_002"},
        content_type="application/json",
        **tenant["auth"],
    ).json()
    assert both["totals"]["footfall"] == 0


@pytest.mark.parametrize(
    "body, field", [({"days": 0}, "days"), ({"days": "x"}, "days"), ({"include_zones": "maybe"}, "include_zones")]
)
def test_comprehensive_bad_input_names_the_field(client, tenant, body, field):
    response = client.post("/api/analytics/comprehensive", body, content_type="application/json", **tenant["auth"])
    assert response.status_code == 400
    assert response.json()["error"].startswith(field) and field in response.json()["errors"]


def test_tenant_scoping(client, tenant):
    response = client.get("/api/analytics/spikes?store_id=store_demo_001&days=7", **tenant["other_auth"])
    assert response.status_code == 404 and response.json()["error"].startswith("store_id")
    # Without a store the stranger sees only their own store (the default store is not theirs).
    body = client.get("/api/analytics/spikes?date=2024-01-15", **tenant["other_auth"]).json()
    assert body["stores"] == ["store_other_org"]
    promo = Promotion.objects.create(
        store=tenant["store"], name="Mine", start_date=dt.date(2025, 10, 1), end_date=dt.date(2025, 10, 2)
    )
    assert client.post(f"/api/events/{promo.pk}/analyze", **tenant["other_auth"]).status_code == 404


def test_spikes_both_guide_calls(client, tenant):
    store = tenant["store"]
    # Five weeks of steady hourly traffic (varying a little: identical counts would look flat-lined),
    # then one hour at 5× on the last day.
    day = timezone.now().astimezone(store.tzinfo).date() - dt.timedelta(days=1)
    start, _ = local_day_bounds(store, day - dt.timedelta(days=35))
    t = start
    rows = []
    while t < start + dt.timedelta(days=36):
        local = t.astimezone(store.tzinfo)
        value = 100 if local.hour == 15 and local.date() == day else 20 + local.hour % 2
        common = {"store": store, "hour_start": t, "local_date": local.date(), "local_hour": local.hour}
        rows.append(HourlyMetric(scope="store", footfall_in=value, footfall_out=value, **common))
        rows.append(
            HourlyMetric(
                scope="camera",
                scope_id="cam_entrance_01",
                footfall_in=value,
                footfall_out=value,
                camera_online=True,
                **common,
            )
        )
        t += dt.timedelta(hours=1)
    HourlyMetric.objects.bulk_create(rows)
    by_date = client.get(f"/api/analytics/spikes?date={day.isoformat()}", **tenant["auth"]).json()
    assert set(by_date) >= {"spikes", "coverage"}
    assert by_date["coverage"] == 1.0
    [spike] = by_date["spikes"]
    assert {k: spike[k] for k in ("store_id", "metric", "observed", "expected", "direction", "kind")} == {
        "store_id": "store_demo_001",
        "metric": "footfall",
        "observed": 100.0,
        "expected": 21.0,
        "direction": "up",
        "kind": "traffic",
    }
    assert spike["end"] > spike["start"] and spike["score"] > 4.0
    by_days = client.get("/api/analytics/spikes?store_id=store_demo_001&days=7", **tenant["auth"]).json()
    assert [s["start"] for s in by_days["spikes"]] == [spike["start"]]
    bad = client.get("/api/analytics/spikes?date=2024-13-45", **tenant["auth"])
    assert bad.status_code == 400 and bad.json()["error"].startswith("date")
    assert client.get("/api/analytics/spikes?days=0", **tenant["auth"]).json()["error"].startswith("days")


def test_promotion_create_analyze_and_promo_query(client, tenant):
    store = tenant["store"]
    start = dt.date(2025, 10, 1)
    for n in range(-35, 7):
        day = start + dt.timedelta(days=n)
        _daily(
            store,
            day,
            footfall_in=130 if n >= 0 else 100 + (n % 3),
            entries=50,
            interactions=10,
            served=20,
            wait_avg=60.0,
        )
    guide_body = {
        "name": "Weekend Sale",
        "event_type": "promotion",
        "start_date": "2025-10-01",
        "end_date": "2025-10-07",
        "description": "Special weekend promotion",
    }
    created = client.post("/api/events", guide_body, content_type="application/json", **tenant["auth"])
    assert created.status_code == 201, created.content
    event = created.json()
    assert event["store_id"] == "store_demo_001" and event["name"] == "Weekend Sale" and event["id"]
    analysis = client.post(f"/api/events/{event['id']}/analyze", **tenant["auth"])
    assert analysis.status_code == 200
    body = analysis.json()
    assert body["event_id"] == event["id"] and body["verdict"]
    footfall = body["metrics"]["footfall"]
    assert set(footfall) >= {"during", "baseline", "uplift_pct", "ci_low", "ci_high"}
    assert footfall["during"] == 130.0 and footfall["ci_low"] <= footfall["uplift_pct"] <= footfall["ci_high"]
    assert set(body["metrics"]) == {"footfall", "zone_visits", "shelf_interactions", "queue_wait", "conversion",
                                    "revenue"}
    assert Promotion.objects.get(pk=event["id"]).analysis["verdict"] == body["verdict"]

    promo = client.get(
        "/api/analytics/promo?store_id=store_demo_001&start_date=2025-10-01&end_date=2025-10-07", **tenant["auth"]
    )
    assert promo.status_code == 200
    assert promo.json()["metrics"]["footfall"]["uplift_pct"] == footfall["uplift_pct"]

    bad = client.post(
        "/api/events", {**guide_body, "end_date": "2025-09-01"}, content_type="application/json", **tenant["auth"]
    )
    assert bad.status_code == 400 and bad.json()["error"].startswith("end_date")
    missing = client.get("/api/analytics/promo?store_id=store_demo_001&end_date=2025-10-07", **tenant["auth"])
    assert missing.status_code == 400 and missing.json()["error"].startswith("start_date")
    unknown = client.post(
        "/api/events",
        {**guide_body, "control_store_ids": ["store_other_org"]},
        content_type="application/json",
        **tenant["auth"],
    )
    assert unknown.status_code == 400 and unknown.json()["error"].startswith("control_store_ids")


def test_end_to_end_from_events(client, tenant):
    """Events → aggregation → the comprehensive endpoint, through the public API only."""
    store = tenant["store"]
    now = timezone.now()
    day_start, _ = local_day_bounds(store, now.astimezone(store.tzinfo).date())
    t = max(day_start, now - dt.timedelta(hours=2))
    entrance(store, t, "in", "t1", camera_key="cam_entrance_01")
    entrance(store, t, "in", "t2", camera_key="cam_entrance_01")
    zone(store, t, dwell=30.0, person_key="t1", camera_key="cam_zone_01")
    queue(store, t, wait=40.0, person_key="t2", camera_key="cam_zone_01")
    store_range_aggregate(store, day_start, now + dt.timedelta(minutes=1))
    body = client.post(
        "/api/analytics/comprehensive",
        {"days": 1, "include_zones": True},
        content_type="application/json",
        **tenant["auth"],
    ).json()
    assert body["totals"]["footfall"] == 2 and body["totals"]["queue_served"] == 1
    assert body["totals"]["avg_queue_wait"] == 40.0
    assert body["zones"]["electronics"] == {"entries": 1, "unique_visitors": 1, "avg_dwell": 30.0}


def test_openapi_documents_the_endpoints(client, tenant):
    schema = client.get("/api/schema/?format=json", **tenant["auth"])
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/analytics/realtime",
        "/api/analytics/comprehensive",
        "/api/analytics/spikes",
        "/api/events",
        "/api/events/{id}/analyze",
        "/api/analytics/promo",
        "/api/analytics/health",
        "/api/analytics/insights",
    ):
        assert any(p.rstrip("/") == path for p in paths), path


def test_spikes_cache_follows_new_aggregates(client, tenant):
    store = tenant["store"]
    day = timezone.now().astimezone(store.tzinfo).date() - dt.timedelta(days=1)
    start, _ = local_day_bounds(store, day - dt.timedelta(days=35))
    rows, t = [], start
    while t < start + dt.timedelta(days=36):
        local = t.astimezone(store.tzinfo)
        common = {"store": store, "hour_start": t, "local_date": local.date(), "local_hour": local.hour}
        value = 20 + local.hour % 2
        rows.append(HourlyMetric(scope="store", footfall_in=value, footfall_out=value, **common))
        t += dt.timedelta(hours=1)
    HourlyMetric.objects.bulk_create(rows)
    url = f"/api/analytics/spikes?date={day.isoformat()}"
    assert client.get(url, **tenant["auth"]).json()["spikes"] == []
    hour_start = local_day_bounds(store, day)[0] + dt.timedelta(hours=15)
    for n in range(60):  # late events arrive for 15:00 and the hour is re-aggregated
        entrance(store, hour_start + dt.timedelta(seconds=30 * n), "in", f"late{n}", camera_key="cam_entrance_01")
    store_range_aggregate(store, hour_start, hour_start + dt.timedelta(hours=1))
    spikes = client.get(url, **tenant["auth"]).json()["spikes"]
    assert [(s["metric"], s["observed"], s["direction"]) for s in spikes if s["kind"] == "traffic"] == [
        ("footfall", 60.0, "up")
    ]
