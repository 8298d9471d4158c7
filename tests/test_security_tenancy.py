"""Tenant isolation: a signed-in member of one organisation never reaches another organisation's data.

- Finding 1: a member of org B stored a camera whose slug was org A's numeric camera id and then read, changed
  and deleted A's zones through /api/zones/<id>. Regression tests for exactly that, and the API refusing a purely
  numeric camera slug.
- A generated walk over every route of the URL conf (django.urls introspection, so new routes are covered without
  editing this file): each route is called as org B's member with org A's identifiers in the path, the query and
  the body, and must answer 400/403/404/405 without A's data; A's rows must be unchanged afterwards, and A's own
  member must reach the same ids (so the walk is not vacuous). A route the walk cannot fill fails the test until
  it is walked or named in SKIPPED_ROUTES with its reason.
- Finding 9: camera screenshots are served only by the signed-in, tenant-checked /cameras/<pk>/screenshot, never
  at a public /media/ URL.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.db import models
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from PIL import Image
from rest_framework.test import APIClient

from alerts.models import AlertChannel
from analytics.models import Insight, Promotion
from cameras.models import Camera, CameraHeatmap, CameraScreenshot, EdgeKey, Organization
from events.keys import edge_key_create
from events.models import EntranceEvent
from tests.factories import CameraFactory, EntranceLineFactory, StoreFactory, UserFactory, ZoneFactory
from workers.frames import annotated_frame_write
from zones.models import Zone

ROOT = Path(__file__).resolve().parent.parent
SLUG = "alphaslug"  # in org A's slugs: an error may echo back a slug the caller itself sent
NAME = "alphaname"  # in org A's names and texts: no answer to org B may contain it (compared case-insensitively)

# Org A's primary keys, far from any sequence value and distinct per table, so that a number in the walk names
# exactly one of A's rows and never one of B's (B's rows take ordinary sequence values).
A_PK = {"store": 9_100_001, "camera": 9_100_002, "zone": 9_100_003, "line": 9_100_004, "shot": 9_100_005,
        "channel": 9_100_006, "promotion": 9_100_007, "insight": 9_100_008, "heatmap": 9_100_009}
A_PK["pos_transaction"] = 9_100_031  # point of sale (pos app)
A_PK["audit"] = 9_100_032  # audits/ (count audits)

# Routes the user walk does not call, each with its reason. Keys: the route's name, or "namespace:" for a whole
# namespace. A key that matches no route fails the walk (stale), so this list stays honest.
SKIPPED_ROUTES = {
    "admin:": "Django admin: staff-only (is_staff), its own permission system; a member is sent to the admin login",
    "schema": "OpenAPI schema: describes the API, holds no tenant rows",
    "swagger-ui": "Swagger UI page: static documentation, holds no tenant rows",
    "healthz": "liveness probe: 'ok' and a database ping, no tenant data",
    "metrics": "Prometheus scrape for operators: refused through the proxy without METRICS_TOKEN, not user-scoped",
    "ingest-health": "public ingestion health (database/cache), no tenant data",
    "analytics-health": "public analytics health (database, last aggregation), no tenant data",
    "login": "sign-in form, no tenant data",
    "logout": "sign-out, no tenant data",
    "ingest-events": "edge-key authentication only (users get 401); cross-tenant keys: test_edge_key_of_org_b_*",
    "ingest-heartbeat": "edge-key authentication only (users get 401); cross-tenant keys: test_edge_key_of_org_b_*",
    "ingest-audits": "edge-key authentication only (users get 401); cross-tenant keys: audits/tests (edge_key)",
    "ingest-audit-evidence": "edge-key authentication only (users get 401); cross-tenant: events/tests (audit)",
}

WRITE_METHODS = ("post", "put", "patch")


def png_bytes(width: int = 64, height: int = 36, colour=(40, 90, 140)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    a_org: Organization
    a_user: object
    a_store: object
    a_camera: Camera
    a_zone: Zone
    a_shot: CameraScreenshot
    a_key: EdgeKey
    a_png: bytes
    b_org: Organization
    b_user: object
    b_store: object
    b_camera: Camera
    staff: object


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    a_org = Organization.objects.create(name=f"{NAME} retail", slug=f"{SLUG}-org")
    a_user = UserFactory(username="alpha-member")
    a_org.members.add(a_user)
    a_store = StoreFactory(id=A_PK["store"], organization=a_org, store_id=f"{SLUG}_store", name=f"{NAME} store")
    # A stream that fails at once, so A's own "take a picture" call in the proof step answers 400 quickly.
    a_camera = CameraFactory(id=A_PK["camera"], store=a_store, camera_id=f"{SLUG}_cam", name=f"{NAME} camera",
                             rtsp_url=f"file:///nonexistent/{SLUG}.mp4")
    a_zone = ZoneFactory(id=A_PK["zone"], camera=a_camera, zone_id=f"{SLUG}_zone", name=f"{NAME} zone")
    EntranceLineFactory(id=A_PK["line"], camera=a_camera)
    a_png = png_bytes()
    a_shot = CameraScreenshot(id=A_PK["shot"], camera=a_camera, width=64, height=36)
    a_shot.image.save("shot.png", ContentFile(a_png), save=True)
    CameraHeatmap.objects.create(id=A_PK["heatmap"], camera=a_camera, date=dt.date(2025, 1, 2), cols=2, rows=1,
                                 counts=[3, 4], total=7)
    AlertChannel.objects.create(id=A_PK["channel"], store=a_store, kind="email", target=f"{NAME}@example.com")
    Promotion.objects.create(id=A_PK["promotion"], store=a_store, name=f"{NAME} sale", start_date=dt.date(2025, 1, 1),
                             end_date=dt.date(2025, 1, 7), description=f"{NAME} description")
    Insight.objects.create(id=A_PK["insight"], store=a_store, period_start=dt.date(2025, 1, 1),
                           period_end=dt.date(2025, 1, 7), title=f"{NAME} insight", summary=f"{NAME} summary",
                           source="rules")
    a_key = edge_key_create(organization=a_org, store=a_store, camera=None).edge_key
    _world_audits(a_camera)
    # A live annotated frame of A's camera, as a running demo camera would publish (only A may read it).
    annotated_frame_write(a_camera.pk, png_bytes(), ttl_s=900)  # outlives the walk (> 30 s on a busy CPU)
    _world_pos_rows(a_store)

    b_org = Organization.objects.create(name="Bravo retail", slug="bravo-org")
    b_user = UserFactory(username="bravo-member")
    b_org.members.add(b_user)
    b_store = StoreFactory(organization=b_org, store_id="bravo_store", name="Bravo store")
    # Stored before numeric slugs were refused: the ORM skips the new validation, as an old row would.
    b_camera = Camera.objects.create(store=b_store, camera_id=str(a_camera.pk), name="Bravo camera")
    ZoneFactory(camera=b_camera, zone_id="bravo_zone", name="Bravo zone")
    staff = UserFactory(username="operator", is_staff=True)
    return World(a_org=a_org, a_user=a_user, a_store=a_store, a_camera=a_camera, a_zone=a_zone, a_shot=a_shot,
                 a_key=a_key, a_png=a_png, b_org=b_org, b_user=b_user, b_store=b_store, b_camera=b_camera,
                 staff=staff)


def _world_audits(a_camera) -> None:
    """Org A's count audit (audits/): a past entrance window, with one evidence frame for the frame routes."""
    from audits.evidence import EvidenceWriter
    from audits.models import Audit

    start = dt.datetime(2025, 1, 2, 10, 0, tzinfo=dt.UTC)
    Audit.objects.create(id=A_PK["audit"], camera=a_camera, kind="entrance", start=start,
                         end=start + dt.timedelta(minutes=10), upload_requested=True)
    EvidenceWriter(A_PK["audit"]).write(png_bytes(), {"seq": 0, "ts": "2025-01-02T10:00:01Z", "t": 0,
                                                      "file": "frames/000000.jpg", "zones": {}})


def _world_pos_rows(a_store) -> None:
    """Org A's point-of-sale rows: a transaction, an hourly total and the remembered CSV options."""
    from pos.models import PosHourlyTotal, PosStoreSettings, PosTransaction

    PosStoreSettings.objects.create(store=a_store, currency="EUR",
                                    csv_mapping={"mapping": {"transaction_id": f"{NAME}_id"}})
    PosTransaction.objects.create(id=A_PK["pos_transaction"], store=a_store, transaction_id=f"{SLUG}_tx",
                                  ts=dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC), amount="12.500", currency="EUR")
    PosHourlyTotal.objects.create(store=a_store, hour_start=dt.datetime(2025, 1, 2, 11, tzinfo=dt.UTC),
                                  transactions=3, revenue="40.000", currency="EUR")


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------- finding 1


def test_foreign_camera_slug_equal_to_my_camera_id_reaches_none_of_my_zones(world):
    a_zone = world.a_zone
    before = Zone.objects.filter(pk=a_zone.pk).values().get()
    b = client_for(world.b_user)
    path = f"/api/zones/{a_zone.pk}"

    assert b.get(path).status_code in (403, 404)
    assert b.patch(path, {"name": "pwned", "polygon_json": [[0, 0], [9, 0], [9, 9]]}, format="json").status_code \
        in (403, 404)
    assert b.delete(path).status_code in (403, 404)
    assert Zone.objects.filter(pk=a_zone.pk).values().get() == before

    listing = b.get("/api/zones", {"camera_id": str(world.a_camera.pk)})
    assert listing.status_code in (400, 403, 404)
    assert NAME not in body_text(listing).lower()
    created = b.post("/api/zones", {
        "camera_id": str(world.a_camera.pk), "name": "planted", "ztype": "general",
        "polygon_json": [[10, 10], [200, 10], [200, 200]], "img_width": 1920, "img_height": 1080,
    }, format="json")
    assert created.status_code in (400, 403, 404)
    assert "camera_id" in body_text(created)
    assert not Zone.objects.filter(name="planted").exists()
    assert Zone.objects.filter(camera=world.a_camera).count() == 1
    assert b.get(f"/api/cameras/{world.a_camera.pk}/config").status_code in (403, 404)

    # The ids are real: A's own member reaches the same zone.
    a = client_for(world.a_user)
    assert a.get(path).status_code == 200
    assert a.get("/api/zones", {"camera_id": str(world.a_camera.pk)}).json()[0]["id"] == a_zone.pk


def test_api_refuses_a_purely_numeric_camera_slug(world):
    world.b_org.admins.add(world.b_user)  # the role that may manage cameras: refused for the slug, not the role
    b = client_for(world.b_user)
    response = b.post("/api/cameras", {"name": "Door", "camera_id": "123", "store_id": world.b_store.store_id},
                      format="json")
    assert response.status_code == 400
    assert "camera_id" in response.json()["errors"]
    assert not Camera.objects.filter(camera_id="123").exists()

    mine = b.post("/api/cameras", {"name": "Door", "store_id": world.b_store.store_id}, format="json")
    assert mine.status_code == 201, mine.content
    renamed = b.patch(f"/api/cameras/{mine.json()['id']}", {"camera_id": str(world.a_camera.pk)}, format="json")
    assert renamed.status_code == 400
    assert "camera_id" in renamed.json()["errors"]


# ------------------------------------------------------------------------------------ generated walk


@dataclass(frozen=True)
class Route:
    key: str  # the name (namespaced), or the pattern for an unnamed route
    pattern: str
    params: tuple[str, ...]


def _pattern_params(pattern) -> list[str]:
    regex = pattern.regex
    return list(regex.groupindex)


def url_routes() -> list[Route]:
    """Every URLPattern reachable from the root URL conf, through include()d resolvers (router, re_path, path)."""
    routes = []

    def walk(patterns, prefix: str, namespace: str | None, params: tuple[str, ...]):
        for entry in patterns:
            here = prefix + str(entry.pattern)
            names = (*params, *_pattern_params(entry.pattern))
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace])) or None
                walk(entry.url_patterns, here, inner, names)
            elif isinstance(entry, URLPattern):
                key = entry.name or here
                routes.append(Route(key=f"{namespace}:{key}" if namespace else key, pattern=here, params=names))

    walk(get_resolver().url_patterns, "", None, ())
    return routes


def skip_reason(route: Route) -> str | None:
    namespace = route.key.split(":", 1)[0] + ":" if ":" in route.key else None
    return SKIPPED_ROUTES.get(route.key) or (SKIPPED_ROUTES.get(namespace) if namespace else None)


def a_identifiers(world: World) -> list[str]:
    """Everything that names one of A's rows in a URL: numeric ids, slugs, UUIDs."""
    numeric = [str(pk) for pk in A_PK.values()]
    slugs = [world.a_store.store_id, world.a_camera.camera_id, world.a_zone.zone_id, world.a_org.slug]
    uuids = [str(world.a_key.pk), str(world.a_org.pk)]
    return numeric + slugs + uuids


def fill(route: Route, world: World) -> list[str]:
    """The route's URL with each combination of A's identifiers its parameters accept (none for a fixed route)."""
    if not route.params:
        try:
            return [reverse(route.key)]
        except NoReverseMatch:
            return []
    urls = []
    for values in itertools.product(a_identifiers(world), repeat=len(route.params)):
        try:
            urls.append(reverse(route.key, kwargs=dict(zip(route.params, values, strict=True))))
        except NoReverseMatch:
            continue
    return sorted(set(urls))


def query_variants(world: World, full: bool) -> list[dict]:
    a_cam, a_store = world.a_camera, world.a_store.store_id
    combined = {"store_id": a_store, "camera_id": str(a_cam.pk), "store__store_id": a_store}
    if not full:
        return [{}, combined]
    return [
        {}, combined,
        {"store_id": a_store}, {"store__store_id": a_store}, {"store": a_store},
        {"camera_id": str(a_cam.pk)}, {"camera_id": a_cam.camera_id}, {"camera": str(a_cam.pk)},
        {"store_id": a_store, "control_store_ids": a_store, "start_date": "2025-01-01", "end_date": "2025-01-07"},
    ]


def body_variants(world: World, full: bool) -> list[tuple[str, dict]]:
    """Otherwise valid bodies that point at A's store, camera and zone (so a missing tenant check would succeed)."""
    a_cam, a_store = world.a_camera, world.a_store.store_id
    base = {
        "store_id": a_store, "store": a_store, "camera": a_cam.pk, "zone": world.a_zone.pk,
        "org_id": str(world.a_org.pk),
        "name": "Bravo probe", "zone_id": "bravo_probe", "ztype": "general",
        "polygon_json": [[10, 10], [200, 10], [200, 200], [10, 200]], "img_width": 1920, "img_height": 1080,
        "line_json": [[10, 10], [10, 200]], "inside_point_json": [100, 100],
        "kind": "email", "target": "bravo@example.com", "enabled": True,
        "event_type": "promotion", "start_date": "2025-01-01", "end_date": "2025-01-07", "days": 7,
        "control_store_ids": [a_store], "rtsp_url": "rtsp://attacker.example/stream",
    }
    variants = [("json", {**base, "camera_id": str(a_cam.pk)})]
    if full:
        variants.append(("json", {**base, "camera_id": a_cam.camera_id}))
        variants.append(("multipart", {"camera_id": str(a_cam.pk), "store_id": a_store, "img_width": "64",
                                       "img_height": "36", "name": "Bravo probe"}))
    return variants


def send(client: APIClient, method: str, url: str, *, query=None, body=None, fmt="json"):
    if method in ("get", "delete"):
        return getattr(client, method)(url, query or {})
    if fmt == "multipart":
        upload = io.BytesIO(png_bytes(colour=(200, 0, 0)))
        upload.name = "probe.png"
        return getattr(client, method)(url, {**body, "file": upload}, format="multipart")
    return getattr(client, method)(url, body, format="json")


def snapshot_org(org: Organization) -> dict[str, list]:
    """Every row of every model (auto-created M2M tables included) that belongs to `org`, field by field."""
    snap = {}
    for model in apps.get_models(include_auto_created=True):
        path = org_path(model)
        if path is None:
            continue
        rows = model._default_manager.filter(**{path: org.pk}).order_by("pk").values()
        snap[model._meta.label] = [dict(row) for row in rows]
    return snap


def org_path(model, depth: int = 4) -> str | None:
    """The shortest forward foreign-key path from `model` to Organization ("pk" for Organization itself)."""
    if model is Organization:
        return "pk"
    queue = deque([(model, "")])
    seen = {model}
    while queue:
        current, prefix = queue.popleft()
        if prefix.count("__") >= depth:
            continue
        for field in current._meta.get_fields():
            if not isinstance(field, models.ForeignKey):
                continue
            target = field.related_model
            lookup = f"{prefix}{field.name}"
            if target is Organization:
                return lookup
            if target not in seen:
                seen.add(target)
                queue.append((target, f"{lookup}__"))
    return None


def refused(response, route: Route, has_path_ids: bool) -> str | None:
    """None if B's answer is acceptable, else why not."""
    code = response.status_code
    text = body_text(response).lower()
    if code >= 500:
        return f"server error {code}"
    if NAME in text or NAME in response.get("Location", "").lower():
        return f"{code} answer carries org A's data"
    if code in (403, 404, 405, 415):
        return None  # 415: a body type the route does not take (the screenshot upload is multipart only)
    if code == 400:
        return None  # a validation error naming the id B sent (no A data, checked above)
    if has_path_ids:
        return f"{code} for org A's id in the path (expected 400/403/404/405)"
    # A fixed route (a list, a create) may answer B about B's own stores, but never with A's slugs in it.
    if SLUG in text or SLUG in response.get("Location", "").lower():
        return f"{code} answer names org A's objects"
    return None


def test_routes_are_all_walked_or_skipped_for_a_reason(world):
    routes = url_routes()
    keys = {route.key for route in routes}
    namespaces = {key.split(":", 1)[0] + ":" for key in keys if ":" in key}
    stale = [key for key in SKIPPED_ROUTES if key not in keys and key not in namespaces]
    assert not stale, f"SKIPPED_ROUTES names routes that no longer exist: {stale}"
    unfillable = [route.pattern for route in routes if not skip_reason(route) and not fill(route, world)]
    assert not unfillable, (
        f"routes the tenancy walk cannot call: {unfillable}. Name them (a URL name), give their parameters a "
        "converter that org A's ids match, or add them to SKIPPED_ROUTES with the reason they hold no tenant data."
    )
    walked = [route for route in routes if not skip_reason(route)]
    assert any(route.params for route in walked) and len(walked) >= 20


def test_org_b_member_reaches_nothing_of_org_a_on_any_route(world):
    routes = [route for route in url_routes() if not skip_reason(route)]
    before = snapshot_org(world.a_org)
    assert before["zones.Zone"] and before["cameras.EdgeKey"] and before["alerts.AlertChannel"]
    b = client_for(world.b_user)
    failures = []
    calls = 0
    for route in routes:
        has_path_ids = bool(route.params)
        for url in fill(route, world):
            for query in query_variants(world, full=not has_path_ids):
                response = send(b, "get", url, query=query)
                calls += 1
                if why := refused(response, route, has_path_ids):
                    failures.append(f"GET {url}?{query} → {why}")
            for method in WRITE_METHODS:
                for fmt, body in body_variants(world, full=not has_path_ids):
                    if fmt == "multipart" and method != "post":
                        continue
                    response = send(b, method, url, body=body, fmt=fmt)
                    calls += 1
                    if why := refused(response, route, has_path_ids):
                        failures.append(f"{method.upper()} {url} {fmt} {json.dumps(body)[:80]}… → {why}")
            response = send(b, "delete", url, query={"camera_id": str(world.a_camera.pk)})
            calls += 1
            if why := refused(response, route, has_path_ids):
                failures.append(f"DELETE {url} → {why}")
    assert not failures, "cross-tenant answers:\n" + "\n".join(failures)
    assert calls > 200

    after = snapshot_org(world.a_org)
    changed = [label for label in before if before[label] != after.get(label)]
    assert not changed, f"org B's calls changed org A's rows in: {changed}"
    assert not mail.outbox, "org B's calls sent mail through org A's alert channel"
    assert Camera.objects.get(pk=world.b_camera.pk).camera_id == str(world.a_camera.pk)

    # Not vacuous: A's own member (or staff, for staff-only routes) reaches the ids the walk used.
    a, staff = client_for(world.a_user), client_for(world.staff)
    unproven = []
    for route in (route for route in routes if route.params):
        if not any(_reaches(a, staff, url, world) for url in fill(route, world)):
            unproven.append(route.pattern)
    assert not unproven, f"no id of org A was found on these routes even by A's member: {unproven}"


def _reaches(a: APIClient, staff: APIClient, url: str, world: World) -> bool:
    body = body_variants(world, full=False)[0][1] | {"camera_id": world.a_camera.camera_id}
    for method in ("get", "post", "delete"):
        response = send(a, method, url, body=body)
        if response.status_code == 403:
            response = send(staff, method, url, body=body)
        if response.status_code < 500 and response.status_code not in (401, 403, 404, 405):
            return True
    return False


# ----------------------------------------------------------------------------- edge keys (skipped above)


def test_edge_key_of_org_b_cannot_write_or_read_org_a(world):
    b_key = edge_key_create(organization=world.b_org, store=world.b_store, camera=None).api_key
    device = APIClient()
    device.credentials(HTTP_AUTHORIZATION=f"Bearer {b_key}")
    heartbeat = {"store_id": world.a_store.store_id, "camera_id": world.a_camera.camera_id}
    assert device.post("/api/ingest/heartbeat", heartbeat, format="json").status_code == 403
    own_store_foreign_org = {"store_id": world.b_store.store_id, "camera_id": world.b_camera.camera_id,
                             "org_id": str(world.a_org.pk)}
    assert device.post("/api/ingest/heartbeat", own_store_foreign_org, format="json").status_code == 403
    event = {"event_id": "7d1f8f0e-2a51-4c55-9d6c-0c9a3b1e5f10", "camera_id": world.a_camera.camera_id,
             "store_id": world.a_store.store_id, "timestamp": "2025-01-02T10:00:00Z", "event_type": "entrance",
             "person_id": "p1", "direction": "in"}
    batch = {**heartbeat, "events": [event]}
    assert device.post("/api/ingest/events", batch, format="json").status_code == 403
    for route in ("/api/dashboard/live", "/api/dashboard/cameras"):
        answer = device.get(route, {"store_id": world.a_store.store_id})
        assert answer.status_code == 403 and NAME not in body_text(answer).lower()
    camera = Camera.objects.get(pk=world.a_camera.pk)
    assert camera.last_heartbeat is None
    assert not EntranceEvent.objects.filter(store=world.a_store).exists()


# ----------------------------------------------------------------------------------------- finding 9


def test_no_public_media_route_serves_screenshots(world):
    name = world.a_shot.image.name
    assert (Path(world.a_shot.image.path)).read_bytes() == world.a_png
    with pytest.raises(Resolver404):
        resolve(f"/media/{name}")
    for user in (None, world.b_user, world.a_user):
        assert client_for(user).get(f"/media/{name}").status_code == 404


def test_screenshot_view_is_signed_in_and_tenant_checked(world):
    path = reverse("camera-screenshot", args=[world.a_camera.pk])
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(world.b_user).get(path).status_code == 404
    assert client_for(world.b_user).get(path, {"v": world.a_shot.pk}).status_code == 404

    a = client_for(world.a_user)
    mine = a.get(path)
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == world.a_png
    assert "private" in mine["Cache-Control"]
    exact = a.get(path, {"v": world.a_shot.pk})
    assert exact.status_code == 200 and b"".join(exact.streaming_content) == world.a_png

    # `v` names a screenshot of this camera only: another camera's screenshot is not reachable through it.
    b_shot = CameraScreenshot(camera=world.b_camera, width=8, height=8)
    b_shot.image.save("b.png", ContentFile(png_bytes(8, 8)), save=True)
    assert client_for(world.b_user).get(reverse("camera-screenshot", args=[world.b_camera.pk]),
                                         {"v": b_shot.pk}).status_code == 200
    assert a.get(path, {"v": b_shot.pk}).status_code == 404


def test_uploads_and_pages_link_the_tenant_checked_view_not_media(world):
    a = client_for(world.a_user)
    upload = io.BytesIO(png_bytes(32, 18, (1, 2, 3)))
    upload.name = "floor.png"
    response = a.post("/api/zones/screenshot", {"camera_id": world.a_camera.camera_id, "file": upload,
                                                 "img_width": "32", "img_height": "18"}, format="multipart")
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.startswith(f"/cameras/{world.a_camera.pk}/screenshot?v=") and "/media/" not in url
    served = a.get(url)
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (32, 18)
    assert client_for(world.b_user).get(url).status_code == 404

    for page in (f"/cameras/{world.a_camera.pk}/", f"/cameras/{world.a_camera.pk}/zones/"):
        html = a.get(page)
        assert html.status_code == 200
        assert "/media/" not in html.content.decode() and url in html.content.decode()


def test_deployment_does_not_publish_media_root():
    """nginx-proxy proxies every path to the web container; nothing serves MEDIA_ROOT directly."""
    for conf in (ROOT / "deploy" / "nginx").rglob("*"):
        if conf.is_file():
            text = conf.read_text()
            assert "/media" not in text and "/data/media" not in text, conf
    for compose in ROOT.glob("docker-compose*.yml"):
        services = (yaml.safe_load(compose.read_text()) or {}).get("services", {})
        for name, service in services.items():
            if "nginx" in str(service.get("image", "")) or "nginx" in name:
                mounts = [str(volume) for volume in service.get("volumes", [])]
                assert not any("media" in mount for mount in mounts), (compose.name, name, mounts)
