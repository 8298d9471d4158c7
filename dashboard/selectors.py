"""Reads for the live dashboard: camera status and today's numbers, computed from stored events so
edge and central events give the same figures (the same event is stored once, whatever its source)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Max, Value
from django.db.models.functions import Concat

from cameras.localtime import local_date, local_day_bounds
from cameras.models import Camera, Store
from cameras.status import camera_status
from events.live import live_state_read, people_in_state
from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent
from vision.events import iso
from zones.models import Zone


def dashboard_cameras(store: Store, now: datetime, live: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    live = live_state_read(store.store_id) if live is None else live
    cameras = []
    for camera in Camera.objects.filter(store=store).order_by("camera_id"):
        state = (live.get(camera.camera_id) or {}).get("state") or {}
        cameras.append({
            "camera_id": camera.camera_id,
            "name": camera.name,
            "capabilities": list(camera.capabilities or []),
            "status": camera_status(camera, now),
            "last_heartbeat": iso(camera.last_heartbeat, "s") if camera.last_heartbeat else None,
            "enabled": camera.enabled,
            "people_now": people_in_state(state),
        })
    return cameras


def _round(value: float | None) -> float:
    return round(float(value), 2) if value is not None else 0.0


def _live_counts(live: dict[str, Any], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in live.values():
        region_counts = (entry.get("state") or {}).get(key) or {}
        if isinstance(region_counts, dict):
            for rid, value in region_counts.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    counts[str(rid)] = counts.get(str(rid), 0) + int(value)
    return counts


def live_metrics(store: Store, now: datetime) -> dict[str, Any]:
    """The guide's live shape for the store-local day containing `now`."""
    today = local_date(store, now)
    start, end = local_day_bounds(store, today)
    window = {"store": store, "ts__gte": start, "ts__lt": end}
    live = live_state_read(store.store_id)

    footfall = dict(
        EntranceEvent.objects.filter(**window).values_list("direction").annotate(n=Count("id")).order_by()
    )
    # A person is a track of one camera: count (camera, person_key) pairs.
    person = Concat("camera_key", Value("|"), "person_key")
    zone_people, queue_people = _live_counts(live, "zones"), _live_counts(live, "queues")

    configured = Zone.objects.filter(camera__store=store).values_list("zone_id", "ztype")
    zones: dict[str, dict[str, Any]] = {}
    shelves: dict[str, dict[str, Any]] = {}
    queues: dict[str, dict[str, Any]] = {}
    for zone_id, ztype in configured:
        if ztype == Zone.ZoneType.SHELF:
            shelves.setdefault(zone_id, {"interactions": 0, "avg_dwell": 0.0})
        elif ztype == Zone.ZoneType.QUEUE:
            queues.setdefault(zone_id, {"served": 0, "avg_wait": 0.0, "max_wait": 0.0})
        else:
            zones.setdefault(zone_id, {"entries": 0, "unique_visitors": 0, "avg_dwell": 0.0})

    for row in (ZoneEvent.objects.filter(**window).values("zone_id")
                .annotate(n=Count("id"), people=Count(person, distinct=True), dwell=Avg("dwell_seconds")).order_by()):
        zones[row["zone_id"]] = {
            "entries": row["n"], "unique_visitors": row["people"], "avg_dwell": _round(row["dwell"])}
    for row in (ShelfEvent.objects.filter(**window).values("shelf_id")
                .annotate(n=Count("id"), dwell=Avg("dwell_seconds")).order_by()):
        shelves[row["shelf_id"]] = {"interactions": row["n"], "avg_dwell": _round(row["dwell"])}
    for row in (QueueEvent.objects.filter(**window).values("queue_id")
                .annotate(n=Count("id"), wait=Avg("wait_seconds"), longest=Max("wait_seconds")).order_by()):
        queues[row["queue_id"]] = {
            "served": row["n"], "avg_wait": _round(row["wait"]), "max_wait": _round(row["longest"])}

    for zone_id, numbers in zones.items():
        numbers["people_now"] = zone_people.get(zone_id)
    for queue_id, numbers in queues.items():
        numbers["length_now"] = queue_people.get(queue_id)

    cameras = dashboard_cameras(store, now, live)
    people = [c["people_now"] for c in cameras if c["people_now"] is not None and c["status"] == Camera.Status.ONLINE]
    return {
        "store_id": store.store_id,
        "footfall": footfall.get("in", 0),
        "footfall_out": footfall.get("out", 0),
        "people_now": sum(people) if people else None,
        "zones": dict(sorted(zones.items())),
        "shelves": dict(sorted(shelves.items())),
        "queues": dict(sorted(queues.items())),
        "cameras": cameras,
        "date": today.isoformat(),
        "timezone": store.timezone,
        "timestamp": iso(now, "s"),
    }
