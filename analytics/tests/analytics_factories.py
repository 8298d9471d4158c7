"""Small builders for analytics tests: tenants, cameras and events with deterministic ids."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from knox.models import AuthToken

from cameras.models import Camera, Organization, Store
from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent

UTC = dt.UTC
_counter = iter(range(10**9))


def make_store(store_id: str = "store_a", tz: str = "UTC", org: Organization | None = None, cameras=()) -> Store:
    org = org or Organization.objects.create(name=f"Org {store_id}", slug=f"org-{store_id}".replace("_", "-"))
    store = Store.objects.create(organization=org, store_id=store_id, name=store_id, timezone=tz)
    for camera_id, capabilities in cameras:
        Camera.objects.create(store=store, camera_id=camera_id, name=camera_id, capabilities=list(capabilities))
    return store


def make_user(username: str, org: Organization | None = None, staff: bool = False):
    user = get_user_model().objects.create_user(username=username, password="pw-Analytics-1", is_staff=staff)
    if org is not None:
        org.members.add(user)
    _, token = AuthToken.objects.create(user=user)
    return user, token


def _base(store, camera_key, ts, person_key, event_id=None):
    camera = Camera.objects.filter(store=store, camera_id=camera_key).first()
    return {
        "event_id": event_id or uuid.uuid5(uuid.NAMESPACE_URL, f"analytics-test-{next(_counter)}"),
        "store": store,
        "camera": camera,
        "camera_key": camera_key,
        "ts": ts,
        "person_key": person_key,
    }


def entrance(store, ts, direction="in", person_key="p", camera_key="cam_door", event_id=None):
    return EntranceEvent.objects.create(direction=direction, **_base(store, camera_key, ts, person_key, event_id))


def zone(
    store,
    ts,
    zone_id="electronics",
    dwell=10.0,
    person_key="p",
    camera_key="cam_zone",
    zone_type="general",
    enter_ts=None,
    exit_ts=None,
):
    enter_ts = enter_ts or ts - dt.timedelta(seconds=dwell)
    exit_ts = exit_ts or ts
    return ZoneEvent.objects.create(
        zone_id=zone_id,
        zone_type=zone_type,
        enter_ts=enter_ts,
        exit_ts=exit_ts,
        dwell_seconds=dwell,
        **_base(store, camera_key, ts, person_key),
    )


def shelf(store, ts, shelf_id="shelf_promo", dwell=5.0, person_key="p", camera_key="cam_zone"):
    return ShelfEvent.objects.create(
        shelf_id=shelf_id,
        dwell_seconds=dwell,
        enter_ts=ts - dt.timedelta(seconds=dwell),
        exit_ts=ts,
        **_base(store, camera_key, ts, person_key),
    )


def queue(store, ts, queue_id="checkout", wait=60.0, person_key="p", camera_key="cam_queue", enter_ts=None):
    enter_ts = enter_ts or ts - dt.timedelta(seconds=wait)
    return QueueEvent.objects.create(
        queue_id=queue_id, wait_seconds=wait, enter_ts=enter_ts, exit_ts=ts, **_base(store, camera_key, ts, person_key)
    )


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)
