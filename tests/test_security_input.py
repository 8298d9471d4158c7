"""Security findings 5, 6 and 10: timestamps that poison state, live state that breaks the realtime API,
and unbounded sizes. Every test goes through the real endpoint (or the real aggregation service).

All tests here failed on the code before the fix except these guards, which pin behaviour the fix must
keep: the in-bounds CSV export, the good heartbeat, polygons outside the screenshot, entrance lines with too
many points, a screenshot declaring 2**40 pixels (already refused by the upload serializer), the oversized
ingest body, and the `from=9999-12-31` / `end_date=9999-12-31` cases that the range rules already caught.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from analytics.models import HourlyMetric
from analytics.services import stale_hours_drain
from analytics.tests.analytics_factories import entrance, make_store, make_user
from events.live import live_index_key, live_key, live_state_write
from events.models import EntranceEvent, StaleHour, ZoneEvent
from events.services import events_record_batch, hours_mark_stale
from tests.factories import CameraFactory
from tests.ingest_server import ingest_cache_clear, tenant_create

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(autouse=True)
def clean_cache():
    ingest_cache_clear()
    cache.delete("wink:analytics:stale-drain")
    yield
    ingest_cache_clear()


@pytest.fixture
def tenant():
    return tenant_create()


def edge_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def post_batch(tenant, events, camera_id="cam_entrance_01"):
    body = {"org_id": str(tenant.organization.pk), "store_id": tenant.store.store_id, "camera_id": camera_id,
            "events": events}
    return edge_client(tenant.store_key).post("/api/ingest/events", body, format="json")


def door(ts: str, person: str = "p1") -> dict:
    return {"type": "entrance", "ts": ts, "direction": "in", "person_key": person}


def _rejected_fields(body: dict) -> dict[int, str]:
    return {item["index"]: item["field"] for item in body["rejected_events"]}


# --- finding 5: dates ---------------------------------------------------------------------------------------


def test_year_one_event_is_rejected_by_field_and_the_good_events_are_written(tenant):
    good = iso(timezone.now() - dt.timedelta(hours=1))
    recent = timezone.now() - dt.timedelta(minutes=30)
    events = [
        door(good, "a"),
        door("0001-01-01T00:00:00+14:00", "b"),  # below year 1 once converted to UTC
        door(good, "c"),
        {"type": "zone", "ts": iso(recent), "zone_id": "z", "person_key": "d",
         "enter_ts": "0001-01-01T00:00:00Z", "exit_ts": iso(recent)},
        {"type": "queue", "ts": iso(recent), "queue_id": "q", "person_key": "e",
         "enter_ts": iso(recent - dt.timedelta(minutes=1)), "exit_ts": "1999-12-31T23:59:59Z"},
        door("1999-12-31T23:59:59Z", "f"),
        {"type": "zone", "ts": iso(recent), "zone_id": "z", "person_key": "g", "dwell_seconds": 5},
    ]
    response = post_batch(tenant, events)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 3
    assert _rejected_fields(body) == {1: "ts", 3: "enter_ts", 4: "exit_ts", 5: "ts"}
    for item in body["rejected_events"]:
        assert item["reason"].startswith(item["field"] + ":")
    assert set(EntranceEvent.objects.filter(store=tenant.store).values_list("person_key", flat=True)) == {"a", "c"}
    assert ZoneEvent.objects.filter(store=tenant.store).count() == 1


def test_future_timestamps_are_rejected_per_field(tenant):
    now = timezone.now()
    events = [
        door(iso(now - dt.timedelta(minutes=1)), "ok"),
        door(iso(now + dt.timedelta(minutes=10)), "ahead"),
        door("9999-12-31T23:59:59-14:00", "overflow"),  # above year 9999 once converted to UTC
        {"type": "zone", "ts": iso(now), "zone_id": "z", "person_key": "x",
         "enter_ts": iso(now - dt.timedelta(minutes=1)), "exit_ts": iso(now + dt.timedelta(hours=2))},
    ]
    response = post_batch(tenant, events)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 1
    assert _rejected_fields(body) == {1: "ts", 2: "ts", 3: "exit_ts"}
    assert body["rejected_events"][0]["code"] == "future_timestamp"


def test_year_one_device_ts_is_a_400_naming_it(tenant):
    body = {"store_id": tenant.store.store_id, "camera_id": "cam_entrance_01",
            "device_ts": "0001-01-01T00:00:00+14:00", "status_data": {}}
    response = edge_client(tenant.store_key).post("/api/ingest/heartbeat", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("device_ts")


def test_a_stored_year_one_row_does_not_block_re_aggregation_of_other_hours():
    store = make_store("store_poison", tz="UTC", cameras=[("cam_door", ["entrance"])])
    # A row (and its stale mark) stored before the bounds existed.
    entrance(store, dt.datetime(1, 1, 1, tzinfo=UTC), person_key="ancient")
    hours_mark_stale(store, [dt.datetime(1, 1, 1, tzinfo=UTC)])
    late = (timezone.now() - dt.timedelta(days=2)).replace(minute=20, second=0, microsecond=0)
    result = events_record_batch(store=store, camera=store.cameras.get(), source="edge",
                                 events=[door(iso(late), "late")])
    assert result.accepted == 1

    stale_hours_drain()

    hour = late.replace(minute=0)
    row = HourlyMetric.objects.get(store=store, scope="store", scope_id="", hour_start=hour)
    assert row.footfall_in == 1
    assert not StaleHour.objects.filter(store=store, hour_start=hour).exists()
    # The unaggregatable mark is dropped, not retried forever ahead of everything else.
    assert not StaleHour.objects.filter(store=store).exists()


def test_a_failing_hour_is_retried_then_dropped_without_blocking_others(monkeypatch):
    from analytics import services

    store = make_store("store_flaky", tz="UTC", cameras=[("cam_door", ["entrance"])])
    now = timezone.now()
    bad = (now - dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    good = (now - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    entrance(store, good + dt.timedelta(minutes=5))
    real = services.store_hours_aggregate

    def flaky(store_, start, end, now=None):
        if start <= bad < end:
            raise RuntimeError("bad row")
        return real(store_, start, end, now=now)

    monkeypatch.setattr(services, "store_hours_aggregate", flaky)
    for attempt in range(1, services.STALE_HOUR_MAX_ATTEMPTS + 1):
        hours_mark_stale(store, [bad, good])
        stale_hours_drain()
        assert HourlyMetric.objects.get(store=store, scope="store", hour_start=good).footfall_in == 1
        assert not StaleHour.objects.filter(store=store, hour_start=good).exists()
        kept = StaleHour.objects.filter(store=store, hour_start=bad).exists()
        assert kept == (attempt < services.STALE_HOUR_MAX_ATTEMPTS), attempt


@pytest.fixture
def member():
    store = make_store("store_member", tz="Asia/Kolkata", cameras=[("cam_door", ["entrance"])])
    user, token = make_user("member-sec", org=store.organization)
    return store, user, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("kind", ["daily", "hourly"])
@pytest.mark.parametrize(("query", "name"), [
    ("to=0001-01-01", "to"), ("from=9999-12-31", "from"), ("from=0001-01-01&to=0001-01-02", "from"),
    ("to=9999-12-31", "to"), ("from=1999-12-31&to=2000-01-05", "from"), ("from=9999-12-31&to=9999-12-31", "from"),
])
def test_csv_export_dates_out_of_bounds_are_400(client, member, kind, query, name):
    store, user, _ = member
    client.force_login(user)
    response = client.get(f"/stores/{store.store_id}/export/{kind}.csv?{query}")
    assert response.status_code == 400, response.content
    assert response.content.decode().startswith(f"{name}:")


def test_csv_export_in_bounds_still_works(client, member):
    store, user, _ = member
    client.force_login(user)
    response = client.get(f"/stores/{store.store_id}/export/daily.csv?from=2024-01-01&to=2024-01-31")
    assert response.status_code == 200


@pytest.mark.parametrize(("method", "url", "body", "name"), [
    ("get", "/api/analytics/spikes?date=0001-01-01", None, "date"),
    ("get", "/api/analytics/spikes?date=9999-12-31", None, "date"),
    ("get", "/api/analytics/promo?start_date=0001-01-01&end_date=0001-01-10", None, "start_date"),
    ("get", "/api/analytics/promo?start_date=2025-01-01&end_date=9999-12-31", None, "end_date"),
    ("post", "/api/analytics/insights", {"end_date": "0001-01-01"}, "end_date"),
    ("post", "/api/events", {"name": "p", "event_type": "sale", "start_date": "0001-01-01",
                             "end_date": "0001-01-05"}, "start_date"),
])
def test_analytics_api_dates_out_of_bounds_are_400(client, member, method, url, body, name):
    store, _, auth = member
    if body is not None:
        body = {"store_id": store.store_id, **body}
        response = client.post(url, json.dumps(body), content_type="application/json", **auth)
    else:
        response = client.get(f"{url}&store_id={store.store_id}", **auth)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{name}:"), response.json()


# --- finding 6: live state --------------------------------------------------------------------------------


@pytest.mark.parametrize(("status_data", "name"), [
    ({"zones": "x"}, "status_data.zones"),
    ({"zones": {"z": -1}}, "status_data.zones"),
    ({"zones": {"z": "many"}}, "status_data.zones"),
    ({"zones": {f"z{i}": 1 for i in range(1000)}}, "status_data.zones"),
    ({"zones": {"z" * 500: 1}}, "status_data.zones"),
    ({"queues": [1, 2]}, "status_data.queues"),
    ({"shelves": {"s": True}}, "status_data.shelves"),
    ({"people": -3}, "status_data.people"),
    ({"people": "3"}, "status_data.people"),
    ({"people_now": 10**12}, "status_data.people_now"),
    ({"ts": 12}, "status_data.ts"),
])
def test_heartbeat_with_bad_live_state_is_400_naming_the_field(tenant, status_data, name):
    body = {"store_id": tenant.store.store_id, "camera_id": "cam_zone_01", "status_data": status_data}
    response = edge_client(tenant.store_key).post("/api/ingest/heartbeat", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(name + ":"), response.json()
    assert cache.get(live_key(tenant.store.store_id, "cam_zone_01")) is None


def test_heartbeat_with_non_finite_number_is_400(tenant):
    body = {"store_id": tenant.store.store_id, "camera_id": "cam_zone_01", "status_data": {"people": 0}}
    raw = json.dumps(body).replace('"people": 0', '"people": Infinity')
    response = edge_client(tenant.store_key).post("/api/ingest/heartbeat", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("status_data.people")


def test_heartbeat_with_good_live_state_is_accepted(tenant):
    status_data = {"people": 3, "zones": {"electronics": 2}, "shelves": {}, "queues": {"checkout": 1},
                   "ts": iso(timezone.now()), "frames": 10, "fps": 4.0}
    body = {"store_id": tenant.store.store_id, "camera_id": "cam_zone_01", "status_data": status_data}
    response = edge_client(tenant.store_key).post("/api/ingest/heartbeat", body, format="json")
    assert response.status_code == 200, response.content


def test_realtime_survives_bad_state_already_in_redis(settings):
    import redis

    store = make_store("store_live_bad", tz="UTC", cameras=[("cam_a", ["zones"]), ("cam_b", ["zones"]),
                                                            ("cam_c", ["zones"]), ("cam_d", ["zones"])])
    _, token = make_user("live-reader", org=store.organization)
    live_state_write(store.store_id, "cam_a", {"people": 2, "zones": {"electronics": 2}, "queues": {"q": 1}}, ttl=60)
    # Bad state written straight into the cache, as an older server (or anyone with Redis access) could have.
    cache.set(live_key(store.store_id, "cam_b"),
              {"state": {"zones": "x", "queues": [1], "people": float("inf"), "shelves": {"s": float("nan")}}}, 60)
    cache.set(live_key(store.store_id, "cam_c"), "not a dict", 60)
    index = cache.get(live_index_key(store.store_id))
    index.update({"cam_b": 2e9, "cam_c": 2e9, "cam_d": 2e9})
    cache.set(live_index_key(store.store_id), index, 60)
    client = redis.Redis.from_url(settings.REDIS_URL)
    raw_key = cache.make_key(live_key(store.store_id, "cam_d"))
    client.set(raw_key, b"{not json", ex=60)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get(f"/api/analytics/realtime?store_id={store.store_id}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["zones"] == {"electronics": {"people": 2}}
    assert body["queues"] == {"q": {"length": 1}}
    assert body["people_in_view"] == 2

    # A corrupt index is ignored too.
    cache.set(live_index_key(store.store_id), ["x"], 60)
    assert api.get(f"/api/analytics/realtime?store_id={store.store_id}").status_code == 200


# --- finding 10: sizes -------------------------------------------------------------------------------------


def png(width: int, height: int) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (80, 80, 80)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "shot.png"
    return buffer


@pytest.fixture
def cam(store):
    return CameraFactory(store=store, camera_id=f"cam_sec_{uuid.uuid4().hex[:6]}")


def test_polygon_with_100000_points_is_400_naming_polygon_json(api, cam):
    import math

    # A valid (convex) polygon: only its size is wrong.
    points = [[round(960 + 500 * math.cos(2 * math.pi * i / 100_000), 3),
               round(540 + 500 * math.sin(2 * math.pi * i / 100_000), 3)] for i in range(100_000)]
    response = api.post("/api/zones", {"camera_id": cam.pk, "name": "huge", "ztype": "general",
                                       "polygon_json": points, "img_width": 1920, "img_height": 1080}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"].startswith("polygon_json"), response.json()


@pytest.mark.parametrize("polygon", [
    [[0, 0], [1e308, 0], [0, 10]],
    [[0, 0], [10, 0], [0, 10], [-5, 5]],
])
def test_polygon_outside_the_screenshot_is_400(api, cam, polygon):
    response = api.post("/api/zones", {"camera_id": cam.pk, "name": "out", "ztype": "general",
                                       "polygon_json": polygon, "img_width": 100, "img_height": 100}, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("polygon_json")


def test_entrance_line_with_many_points_is_400(api, cam):
    response = api.post("/api/zones/line", {"camera_id": cam.pk, "line_json": [[1, 1]] * 5000,
                                            "inside_point_json": [5, 5], "img_width": 100, "img_height": 100},
                        format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("line_json")


@pytest.mark.parametrize("field", ["img_width", "img_height"])
def test_huge_img_size_on_zone_is_400(api, cam, field):
    body = {"camera_id": cam.pk, "name": "z", "ztype": "general", "polygon_json": [[1, 1], [50, 1], [50, 50]],
            "img_width": 1920, "img_height": 1080}
    body[field] = 2**40
    response = api.post("/api/zones", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_huge_img_size_on_entrance_line_is_400(api, cam):
    response = api.post("/api/zones/line", {"camera_id": cam.pk, "line_json": [[1, 1], [50, 50]],
                                            "inside_point_json": [40, 5], "img_width": 2**40, "img_height": 100},
                        format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("img_width")


def test_screenshot_with_huge_declared_size_is_400(api, cam):
    response = api.post("/api/zones/screenshot", {"camera_id": cam.pk, "file": png(64, 48),
                                                  "img_width": 2**40, "img_height": 48}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"].startswith("img_width")


def test_screenshot_whose_declared_size_differs_from_the_image_is_400(api, cam):
    response = api.post("/api/zones/screenshot", {"camera_id": cam.pk, "file": png(64, 48),
                                                  "img_width": 1920, "img_height": 1080}, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("img_width")
    assert not cam.screenshots.exists()
    ok = api.post("/api/zones/screenshot", {"camera_id": cam.pk, "file": png(64, 48),
                                            "img_width": 64, "img_height": 48}, format="multipart")
    assert ok.status_code == 201, ok.content


def test_screenshot_decompression_bomb_is_400(api, cam):
    # 10000 x 10000 is 100 Mpx (400 MB decoded as RGBA) in a file of a few kB; within img_width/img_height
    # bounds and the declared size matches, but no camera screenshot is that big.
    buffer = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "bomb.png"
    response = api.post("/api/zones/screenshot", {"camera_id": cam.pk, "file": buffer,
                                                  "img_width": 10000, "img_height": 10000}, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(("file", "img_width"))


def test_20_mb_json_body_to_zones_is_a_json_413(api, cam):
    body = json.dumps({"camera_id": cam.pk, "name": "x" * (20 * 1024 * 1024), "ztype": "general",
                       "polygon_json": [[1, 1], [2, 1], [2, 2]]})
    response = api.post("/api/zones", body, content_type="application/json")
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert "larger than" in response.json()["error"]


def test_oversized_form_body_to_api_is_a_json_413(api, cam, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/api/zones", {"camera_id": cam.pk, "name": "x" * 20_000, "ztype": "general",
                                       "polygon_json": "[[1,1],[2,1],[2,2]]"}, format="multipart")
    assert response.status_code == 413, response.content[:300]
    assert "larger than 10000 bytes" in response.json()["error"]


def test_oversized_body_to_ingest_is_a_json_413(tenant, settings):
    body = json.dumps({"store_id": tenant.store.store_id, "camera_id": "cam_entrance_01",
                       "events": [door(iso(timezone.now()), "x" * 50)] * 60_000})
    response = edge_client(tenant.store_key).post("/api/ingest/events", body, content_type="application/json")
    assert response.status_code == 413
    assert "error" in response.json()


def test_promotion_name_and_description_are_bounded(member, client):
    store, _, auth = member
    body = {"store_id": store.store_id, "name": "ok", "event_type": "sale", "start_date": "2025-01-01",
            "end_date": "2025-01-05", "description": "d" * 100_000}
    response = client.post("/api/events", json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["error"].startswith("description")
    body.update(description="fine", control_store_ids=[f"s{i}" for i in range(5000)])
    response = client.post("/api/events", json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json()["error"].startswith("control_store_ids")


@pytest.mark.parametrize("path", ["/api/zones", "/api/analytics/comprehensive"])
def test_deeply_nested_json_is_a_json_400(api, path):
    response = api.post(path, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("body")


def test_deeply_nested_json_to_ingest_is_a_json_400(tenant):
    response = edge_client(tenant.store_key).post("/api/ingest/events", "[" * 100_000,
                                                  content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("body")


def test_long_store_and_camera_ids_are_bounded(tenant):
    body = {"store_id": tenant.store.store_id, "camera_id": "c" * 100_000, "status_data": {}}
    response = edge_client(tenant.store_key).post("/api/ingest/heartbeat", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("camera_id")
    assert len(response.content) < 1000
