"""Ingestion, edge-key and live dashboard API against a real server process (gunicorn) and PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken

from cameras.models import Camera, EdgeKey, Organization, Store
from events.models import EntranceEvent, QueueEvent, ShelfEvent, StaleHour, ZoneEvent
from events.services import events_record_batch
from tests.ingest_server import ServerProcess, ingest_cache_clear, tenant_create

pytestmark = [pytest.mark.django_db(transaction=True)]
THROTTLE = 120  # requests per minute per key on the test server


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker):
    process = ServerProcess(env={"THROTTLE_INGEST": f"{THROTTLE}/min", "INGEST_MAX_BODY_BYTES": "600000"})
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def clean_cache():
    ingest_cache_clear()


@pytest.fixture
def tenant():
    return tenant_create()


@pytest.fixture
def admin_token():
    user = get_user_model().objects.create(username=f"admin_{uuid.uuid4().hex[:6]}", is_staff=True)
    return AuthToken.objects.create(user=user)[1]


def post(server, path, key=None, body=None, data=None, headers=None):
    headers = dict(headers or {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if data is None:
        return requests.post(server.base + path, json=body, headers=headers, timeout=30)
    headers.setdefault("Content-Type", "application/json")
    return requests.post(server.base + path, data=data, headers=headers, timeout=30)


def get(server, path, key=None, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(server.base + path, params=params, headers=headers, timeout=30)


def batch(tenant, camera_id, events, **extra):
    return {"org_id": str(tenant.organization.pk), "store_id": tenant.store.store_id, "camera_id": camera_id,
            "device_ts": "2025-10-01T10:00:00Z", "events": events, **extra}


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entrance(ts="2025-10-01T10:00:00Z", person="test_track_1", direction="in", event_id=None):
    event = {"type": "entrance", "ts": ts, "direction": direction, "person_key": person}
    if event_id:
        event["event_id"] = event_id
    return event


# The four calls of the guide's "Manual Event Testing", verbatim bodies.
GUIDE_EVENTS = {
    "cam_entrance_01": {"type": "entrance", "ts": "2025-10-01T10:00:00Z", "direction": "in",
                        "person_key": "test_track_1"},
    "cam_zone_01": {"type": "zone", "ts": "2025-10-01T10:05:00Z", "zone_id": "electronics",
                    "enter_ts": "2025-10-01T10:00:00Z", "exit_ts": "2025-10-01T10:05:00Z", "dwell_seconds": 300.0,
                    "person_key": "test_track_1"},
    "cam_zone_01/shelf": {"type": "shelf", "ts": "2025-10-01T10:03:00Z", "shelf_id": "shelf_promo",
                          "dwell_seconds": 15.5, "person_key": "test_track_1"},
    "cam_checkout_01": {"type": "queue", "ts": "2025-10-01T10:10:00Z", "queue_id": "checkout",
                        "enter_ts": "2025-10-01T10:08:00Z", "exit_ts": "2025-10-01T10:10:00Z",
                        "wait_seconds": 120.0, "person_key": "test_track_8"},
}


# ------------------------------------------------------------------------------- guide calls


def test_admin_creates_edge_key_as_in_the_guide(server, tenant, admin_token):
    response = post(server, "/api/admin/edge-keys", admin_token, {
        "org_id": str(tenant.organization.pk), "store_id": tenant.store.store_id, "camera_id": "cam_entrance_01"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"id", "api_key", "store_id", "camera_id", "message"}
    assert body["api_key"].startswith("wink_edge_")
    assert body["store_id"] == tenant.store.store_id and body["camera_id"] == "cam_entrance_01"
    assert "won't be shown again" in body["message"]
    stored = EdgeKey.objects.get(pk=body["id"])
    assert body["api_key"] not in (stored.key_hash, stored.prefix)  # only the hash is kept
    # The new key works at once.
    ok = post(server, "/api/ingest/events", body["api_key"], batch(tenant, "cam_entrance_01", [entrance()]))
    assert ok.status_code == 200 and ok.json()["accepted"] == 1
    listing = get(server, "/api/admin/edge-keys", admin_token, store_id=tenant.store.store_id).json()
    assert body["api_key"] not in json.dumps(listing)


def test_guide_event_calls_are_stored_once_each(server, tenant):
    for name, event in GUIDE_EVENTS.items():
        response = post(server, "/api/ingest/events", tenant.store_key, batch(tenant, name.split("/")[0], [event]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 0, 0)
        uuid.UUID(body["event_ids"][0])
    assert EntranceEvent.objects.filter(store=tenant.store).count() == 1
    zone = ZoneEvent.objects.get(store=tenant.store)
    assert (zone.zone_id, zone.dwell_seconds, zone.camera_key) == ("electronics", 300.0, "cam_zone_01")
    assert ShelfEvent.objects.get(store=tenant.store).dwell_seconds == 15.5
    queue = QueueEvent.objects.get(store=tenant.store)
    assert (queue.wait_seconds, queue.enter_ts) == (120.0, datetime(2025, 10, 1, 10, 8, tzinfo=UTC))
    # Re-running the same curl (no event_id: the server's deterministic id) stores nothing new.
    again = post(server, "/api/ingest/events", tenant.store_key,
                 batch(tenant, "cam_zone_01", [GUIDE_EVENTS["cam_zone_01"]]))
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    assert ZoneEvent.objects.filter(store=tenant.store).count() == 1


def test_late_events_are_accepted_and_their_hours_marked_stale(server, tenant):
    late = timezone.now() - timedelta(hours=5)
    response = post(server, "/api/ingest/events", tenant.store_key,
                    batch(tenant, "cam_entrance_01", [entrance(ts=iso(late))]))
    assert response.json()["accepted"] == 1
    hour = late.replace(minute=0, second=0, microsecond=0)
    assert StaleHour.objects.filter(store=tenant.store, hour_start=hour).exists()


def test_heartbeat_and_dashboard_cameras_as_in_the_guide(server, tenant, admin_token):
    body = {"org_id": str(tenant.organization.pk), "store_id": tenant.store.store_id, "camera_id": "cam_entrance_01",
            "device_ts": "2025-10-01T10:00:00Z", "status_data": {}}
    response = post(server, "/api/ingest/heartbeat", tenant.camera_keys["cam_entrance_01"], body)
    assert response.status_code == 200, response.text
    assert response.json()["camera_status"] == "online"
    cameras = get(server, "/api/dashboard/cameras", admin_token, store_id=tenant.store.store_id)
    assert cameras.status_code == 200
    by_id = {c["camera_id"]: c for c in cameras.json()["cameras"]}
    entry = by_id["cam_entrance_01"]
    assert set(entry) >= {"camera_id", "name", "capabilities", "status", "last_heartbeat"}
    assert entry["status"] == "online" and entry["last_heartbeat"].endswith("Z")
    assert by_id["cam_zone_01"]["status"] == "offline"  # never sent a heartbeat
    # Two missed heartbeats (interval 30 s) → offline.
    Camera.objects.filter(pk=tenant.cameras["cam_entrance_01"].pk).update(
        last_heartbeat=timezone.now() - timedelta(seconds=2 * settings.HEARTBEAT_INTERVAL_SECONDS + 1))
    cameras = get(server, "/api/dashboard/cameras", admin_token, store_id=tenant.store.store_id).json()
    assert {c["camera_id"]: c["status"] for c in cameras["cameras"]}["cam_entrance_01"] == "offline"


def test_heartbeat_error_status_marks_camera(server, tenant):
    response = post(server, "/api/ingest/heartbeat", tenant.store_key, {
        "store_id": tenant.store.store_id, "camera_id": "cam_zone_01",
        "status_data": {"status": "error", "error": "RTSP connection refused"}})
    assert response.json()["camera_status"] == "error"
    camera = Camera.objects.get(pk=tenant.cameras["cam_zone_01"].pk)
    assert camera.status == "error" and "refused" in camera.last_error


def test_live_metrics_today_in_store_timezone(server, admin_token):
    tenant = tenant_create(timezone="Asia/Kolkata")
    now = timezone.now()
    local_midnight = now.astimezone(tenant.store.tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = local_midnight - timedelta(minutes=1)  # same UTC date possibly, but the store's yesterday
    today = max(local_midnight + timedelta(minutes=1), now - timedelta(minutes=1))
    events = [entrance(ts=iso(today), person="a"), entrance(ts=iso(today), person="b"),
              entrance(ts=iso(today), person="c", direction="out"), entrance(ts=iso(yesterday), person="d")]
    assert post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_entrance_01", events)).ok
    zone_events = [
        {"type": "zone", "ts": iso(today), "zone_id": "electronics", "dwell_seconds": 60.0, "person_key": "a"},
        {"type": "zone", "ts": iso(today), "zone_id": "electronics", "dwell_seconds": 30.0, "person_key": "a",
         "enter_ts": iso(today - timedelta(seconds=1))},
        {"type": "zone", "ts": iso(today), "zone_id": "electronics", "dwell_seconds": 90.0, "person_key": "b"},
        {"type": "shelf", "ts": iso(today), "shelf_id": "shelf_promo", "dwell_seconds": 10.0, "person_key": "a"},
        {"type": "shelf", "ts": iso(today), "shelf_id": "shelf_promo", "dwell_seconds": 20.0, "person_key": "b"},
    ]
    assert post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_zone_01", zone_events)).ok
    # Central workers write through the same service: the same event is not counted twice.
    central = events_record_batch(store=tenant.store, camera=tenant.cameras["cam_entrance_01"],
                                  events=[entrance(ts=iso(today), person="a")], source="central")
    assert (central.accepted, central.duplicates) == (0, 1)
    post(server, "/api/ingest/heartbeat", tenant.store_key, {
        "store_id": tenant.store.store_id, "camera_id": "cam_zone_01",
        "status_data": {"people": 4, "zones": {"electronics": 3}}})
    live = get(server, "/api/dashboard/live", admin_token, store_id=tenant.store.store_id)
    assert live.status_code == 200, live.text
    body = live.json()
    assert body["store_id"] == tenant.store.store_id
    assert body["footfall"] == 2 and body["footfall_out"] == 1
    assert body["zones"]["electronics"]["entries"] == 3
    assert body["zones"]["electronics"]["unique_visitors"] == 2
    assert body["zones"]["electronics"]["avg_dwell"] == 60.0
    assert body["zones"]["electronics"]["people_now"] == 3
    assert body["shelves"]["shelf_promo"] == {"interactions": 2, "avg_dwell": 15.0}
    assert body["people_now"] == 4
    assert body["date"] == now.astimezone(tenant.store.tzinfo).date().isoformat()
    assert isinstance(body["cameras"], list) and body["timestamp"].endswith("Z")


def test_health_and_openapi_schema(server):
    health = requests.get(server.base + "/api/ingest/health", timeout=10)
    assert health.status_code == 200 and health.json()["database"] == "ok"
    schema = requests.get(server.base + "/api/schema/?format=json", timeout=60)
    paths = schema.json()["paths"]
    for path in ("/api/admin/edge-keys/", "/api/ingest/events/", "/api/ingest/heartbeat/", "/api/ingest/health/",
                 "/api/dashboard/cameras/", "/api/dashboard/live/", "/api/admin/edge-keys/{key_id}/revoke/"):
        assert path in paths, path


# ------------------------------------------------------------------------------ idempotency


def test_retried_batch_is_stored_once(server, tenant):
    events = [entrance(person=f"p{i}", event_id=str(uuid.uuid4())) for i in range(50)]
    first = post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_entrance_01", events)).json()
    second = post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_entrance_01", events)).json()
    assert (first["accepted"], first["duplicates"]) == (50, 0)
    assert (second["accepted"], second["duplicates"]) == (0, 50)
    assert first["event_ids"] == [e["event_id"] for e in events]
    # The same id twice inside one batch counts once.
    dup = post(server, "/api/ingest/events", tenant.store_key,
               batch(tenant, "cam_entrance_01", [entrance(event_id=(i := str(uuid.uuid4()))), entrance(event_id=i)]))
    assert (dup.json()["accepted"], dup.json()["duplicates"]) == (1, 1)
    assert EntranceEvent.objects.filter(store=tenant.store).count() == 51


def test_concurrent_retries_never_count_twice(server, tenant):
    events = [entrance(person=f"c{i}", event_id=str(uuid.uuid4())) for i in range(200)]
    # Half the retries carry the events in reverse order (a re-batched buffer): no deadlock, no double count.
    bodies = [batch(tenant, "cam_entrance_01", events if i % 2 else events[::-1]) for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda body: post(server, "/api/ingest/events", tenant.store_key, body), bodies))
    assert [r.status_code for r in responses] == [200] * 8
    results = [r.json() for r in responses]
    assert sum(r["accepted"] for r in results) == 200
    assert sum(r["duplicates"] for r in results) == 7 * 200
    assert EntranceEvent.objects.filter(store=tenant.store).count() == 200


def test_event_id_of_another_store_is_rejected_not_a_duplicate(server, tenant):
    other = tenant_create()
    event_id = str(uuid.uuid4())
    post(server, "/api/ingest/events", other.store_key, batch(other, "cam_entrance_01", [entrance(event_id=event_id)]))
    response = post(server, "/api/ingest/events", tenant.store_key,
                    batch(tenant, "cam_entrance_01", [entrance(event_id=event_id)])).json()
    assert (response["accepted"], response["duplicates"], response["rejected"]) == (0, 0, 1)
    assert response["rejected_events"][0]["code"] == "event_id_conflict"


# ---------------------------------------------------------------------------------- errors


def test_missing_unknown_and_revoked_keys_get_401(server, tenant, admin_token):
    body = batch(tenant, "cam_entrance_01", [entrance()])
    assert post(server, "/api/ingest/events", None, body).status_code == 401
    assert post(server, "/api/ingest/events", "wink_edge_" + "x" * 43, body).status_code == 401
    assert post(server, "/api/ingest/events", "not-an-edge-key", body).status_code == 401
    key = tenant.camera_keys["cam_entrance_01"]
    assert post(server, "/api/ingest/events", key, body).status_code == 200
    key_id = EdgeKey.objects.get(camera=tenant.cameras["cam_entrance_01"]).pk
    revoke = post(server, f"/api/admin/edge-keys/{key_id}/revoke", admin_token)
    assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    response = post(server, "/api/ingest/events", key, body)
    assert response.status_code == 401 and "revoked" in response.json()["error"]
    assert post(server, "/api/ingest/heartbeat", key, {"store_id": tenant.store.store_id,
                                                        "camera_id": "cam_entrance_01"}).status_code == 401
    deleted = requests.delete(f"{server.base}/api/admin/edge-keys/{key_id}",
                              headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert deleted.status_code == 200  # idempotent


def test_key_for_another_org_store_or_camera_gets_403(server, tenant):
    key = tenant.camera_keys["cam_entrance_01"]
    other_org = batch(tenant, "cam_entrance_01", [entrance()], org_id=str(uuid.uuid4()))
    assert post(server, "/api/ingest/events", key, other_org).status_code == 403
    other_store = batch(tenant, "cam_entrance_01", [entrance()], store_id="store_elsewhere")
    assert post(server, "/api/ingest/events", key, other_store).status_code == 403
    other_camera = post(server, "/api/ingest/events", key, batch(tenant, "cam_zone_01", [entrance()]))
    assert other_camera.status_code == 403 and "cam_entrance_01" in other_camera.json()["error"]


def test_bad_bodies_get_400_naming_the_field(server, tenant):
    key = tenant.store_key
    malformed = post(server, "/api/ingest/events", key, data="{not json")
    assert malformed.status_code == 400 and "JSON" in malformed.json()["error"]
    cases = {
        "events": batch(tenant, "cam_entrance_01", "not a list"),
        "store_id": {k: v for k, v in batch(tenant, "cam_entrance_01", [entrance()]).items() if k != "store_id"},
        "camera_id": batch(tenant, "cam_nowhere", [entrance()]),
        "org_id": batch(tenant, "cam_entrance_01", [entrance()], org_id="not-a-uuid"),
        "device_ts": batch(tenant, "cam_entrance_01", [entrance()], device_ts="yesterday"),
    }
    for name, body in cases.items():
        response = post(server, "/api/ingest/events", key, body)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"].startswith(name), (name, response.json())
    assert post(server, "/api/ingest/events", key, data="[1, 2]").json()["error"].startswith("body")


def test_invalid_events_are_rejected_one_by_one(server, tenant):
    future = iso(timezone.now() + timedelta(minutes=10))
    events = [
        entrance(),
        {"type": "zone", "ts": "2025-10-01T10:00:00Z", "zone_id": "electronics", "dwell_seconds": -5},
        {"type": "teleport", "ts": "2025-10-01T10:00:00Z"},
        entrance(ts=future),
        {"type": "entrance", "ts": "2025-13-01T10:00:00Z", "direction": "in"},
        {"type": "entrance", "ts": "2025-10-01T10:00:00Z", "direction": "sideways"},
        {"type": "shelf", "ts": "2025-10-01T10:00:00Z", "shelf_id": "shelf_promo"},
        entrance(event_id="not-a-uuid"),
        "not an object",
    ]
    body = post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_entrance_01", events)).json()
    assert body["accepted"] == 1 and body["rejected"] == 8
    reasons = {item["index"]: item for item in body["rejected_events"]}
    assert reasons[1]["field"] == "dwell_seconds" and "negative" in reasons[1]["reason"]
    assert reasons[2]["field"] == "type"
    assert reasons[3]["code"] == "future_timestamp" and "future" in reasons[3]["reason"]
    assert reasons[4]["field"] == "ts"
    assert reasons[5]["field"] == "direction"
    assert reasons[6]["field"] == "dwell_seconds"
    assert reasons[7]["field"] == "event_id"
    assert body["event_ids"][1] is None and body["event_ids"][0]


def test_oversized_bodies_get_413(server, tenant):
    too_many = [entrance(person=f"x{i}") for i in range(1001)]
    response = post(server, "/api/ingest/events", tenant.store_key, batch(tenant, "cam_entrance_01", too_many))
    assert response.status_code == 413 and response.json()["error"].startswith("events")
    huge = json.dumps(batch(tenant, "cam_entrance_01", [entrance(person="p" * 90)] * 900 + [{"pad": "x" * 600_000}]))
    response = post(server, "/api/ingest/events", tenant.store_key, data=huge)
    assert response.status_code == 413
    assert EntranceEvent.objects.filter(store=tenant.store).count() == 0


def test_bursts_are_throttled_per_key(server, tenant):
    other = tenant_create()
    body = {"store_id": tenant.store.store_id, "camera_id": "cam_entrance_01", "status_data": {}}
    session = requests.Session()
    codes = [session.post(server.base + "/api/ingest/heartbeat", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {tenant.store_key}"}) for _ in range(THROTTLE + 5)]
    limited = [r for r in codes if r.status_code == 429]
    # the fixed window is a minute: the client is told to come back when this window ends, never later
    assert limited and 1 <= int(limited[0].headers["Retry-After"]) <= 60
    assert len(limited) <= 5  # only the requests beyond the limit
    assert all(r.status_code in (200, 429) for r in codes)
    # Another key is not affected.
    other_body = {"store_id": other.store.store_id, "camera_id": "cam_entrance_01", "status_data": {}}
    assert post(server, "/api/ingest/heartbeat", other.store_key, other_body).status_code == 200


# -------------------------------------------------------------------------- tenant isolation


def test_keys_of_store_a_can_neither_write_nor_read_store_b(server, tenant):
    other = tenant_create()
    write_b = post(server, "/api/ingest/events", tenant.store_key, batch(other, "cam_entrance_01", [entrance()]))
    assert write_b.status_code == 403
    heartbeat_b = post(server, "/api/ingest/heartbeat", tenant.store_key,
                       {"store_id": other.store.store_id, "camera_id": "cam_entrance_01"})
    assert heartbeat_b.status_code == 403
    for path in ("/api/dashboard/live", "/api/dashboard/cameras"):
        assert get(server, path, tenant.store_key, store_id=other.store.store_id).status_code == 403
        assert get(server, path, tenant.camera_keys["cam_zone_01"], store_id=tenant.store.store_id).status_code == 200
    assert EntranceEvent.objects.filter(store=other.store).count() == 0


def test_dashboard_access_for_users(server, tenant):
    other = tenant_create()
    member = get_user_model().objects.create(username=f"member_{uuid.uuid4().hex[:6]}")
    tenant.organization.members.add(member)
    token = AuthToken.objects.create(user=member)[1]
    assert get(server, "/api/dashboard/live", token, store_id=tenant.store.store_id).status_code == 200
    assert get(server, "/api/dashboard/live", token, store_id=other.store.store_id).status_code == 404
    assert get(server, "/api/dashboard/live", None, store_id=tenant.store.store_id).status_code == 401
    missing = get(server, "/api/dashboard/cameras", token)
    assert missing.status_code == 400 and missing.json()["error"].startswith("store_id")
    # Members are not admins: no edge keys for them.
    create = post(server, "/api/admin/edge-keys", token, {"org_id": str(tenant.organization.pk),
                                                          "store_id": tenant.store.store_id})
    assert create.status_code == 403


def test_admin_key_creation_validates_tenancy(server, tenant, admin_token):
    other = tenant_create()
    cases = {
        "org_id": {"org_id": str(uuid.uuid4()), "store_id": tenant.store.store_id},
        "store_id": {"org_id": str(tenant.organization.pk), "store_id": other.store.store_id},
        "camera_id": {"org_id": str(tenant.organization.pk), "store_id": tenant.store.store_id, "camera_id": "nope"},
    }
    for name, body in cases.items():
        response = post(server, "/api/admin/edge-keys", admin_token, body)
        assert response.status_code == 400 and response.json()["error"].startswith(name), response.text
    assert post(server, "/api/admin/edge-keys", None, cases["org_id"]).status_code == 401


# ------------------------------------------------------------------------------------ seeding


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    assert "Seeding" in first and "Main Entrance Camera (cam_entrance_01)" in first
    assert first.count("API Key: wink_edge_") == 3
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert "API Key: wink_edge_" not in second and "--new-keys" in second
    assert Store.objects.filter(store_id="store_demo_001").count() == 1
    assert Camera.objects.filter(store__store_id="store_demo_001").count() == 3
    assert Organization.objects.count() == 1
    call_command("seed_demo", "--new-keys")
    assert capsys.readouterr().out.count("API Key: wink_edge_") == 3
    assert EdgeKey.objects.filter(revoked_at__isnull=True).count() == 3
    assert EdgeKey.objects.filter(revoked_at__isnull=False).count() == 3
