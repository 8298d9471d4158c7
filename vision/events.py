"""Event dicts (GUIDE §3) with deterministic ids, and the summary built from them.

Conventions:
- Timestamps are ISO 8601 UTC with a trailing 'Z' (milliseconds only when not whole seconds).
- `ts` of a zone/shelf/queue event is the start of the stay (`enter_ts`); of an entrance event the
  moment of the crossing (interpolated between the two detections around it).
- `event_id` = uuid5(WINK namespace, "camera_id|type|region id or direction|person_key|start ts"),
  so replaying the same input or retrying a batch gives the same ids.
- Zone events carry `zone_id` and `zone_type` (general/entry/checkout); shelf and queue events carry
  enter_ts/exit_ts as well.
- Footfall without an entrance line: an `entrance` event with direction "in", `source: "entry_zone"`
  and `zone_id`, emitted when a person first enters an `entry` zone, at most once per person per
  rolling hour. Entrance events from the line carry `source: "line"`.

Queue summary entries carry, beside GUIDE §3's served / avg_wait / max_wait, `flow_wait`: the wait that
Little's law gives from the flow, L / λ, where L = the mean number of people in the queue over the
observed period and λ = served per second over that period; both over the same period T, so
flow_wait = (people in the queue x seconds, summed over the period) / served. The pipeline measures the
person-seconds frame by frame from who stands in the queue polygon, with no use of identities, so when
identities swap in a moving line avg_wait/max_wait drift and flow_wait does not: a large gap between
the two flags a queue whose waits are unreliable. From events alone (`summarize_events`) the
person-seconds are the stays' own durations, so there flow_wait equals avg_wait.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import ZONE_TYPES

WINK_NAMESPACE = uuid.UUID("5b1f3e0a-7c2d-5e8f-9a41-77a3c0de0001")


# --- THE event schema (GUIDE §3): the builders below emit it, the ingestion API (events.services.event_normalize)
# validates it and its OpenAPI component (events.serializers.EventSerializer) is generated from it.
@dataclass(frozen=True)
class EventField:
    kind: str  # uuid | timestamp | id (a slug-like id, at most 100 chars) | seconds (a number ≥ 0) | choice
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


EVENT_TYPES = ("entrance", "zone", "shelf", "queue", "staff")
DIRECTIONS = ("in", "out")
ENTRANCE_SOURCES = ("line", "entry_zone")
_COMMON = {
    "event_id": EventField("uuid", help="Deterministic id; computed by the server if absent"),
    "type": EventField("choice", required=True, choices=EVENT_TYPES),
    "ts": EventField("timestamp", required=True, help="ISO 8601; of a stay: its start"),
    "person_key": EventField("id", help="The track, stable while the tracker keeps the person"),
}
_STAY = {
    "enter_ts": EventField("timestamp", help="Derived from ts when absent"),
    "exit_ts": EventField("timestamp", help="Derived from the start and the duration when absent"),
}
EVENT_FIELDS: dict[str, dict[str, EventField]] = {
    "entrance": {
        **_COMMON,
        "direction": EventField("choice", required=True, choices=DIRECTIONS),
        "source": EventField("choice", choices=ENTRANCE_SOURCES, help="A line crossing or a first entry zone entry"),
        "zone_id": EventField("id", help="Of a `source: entry_zone` event: the entry zone"),
    },
    "zone": {
        **_COMMON,
        "zone_id": EventField("id", required=True),
        "zone_type": EventField("choice", choices=ZONE_TYPES, help="Default general"),
        **_STAY,
        "dwell_seconds": EventField("seconds", help="Derived from enter_ts/exit_ts when absent"),
    },
    "shelf": {
        **_COMMON,
        "shelf_id": EventField("id", required=True),
        **_STAY,
        "dwell_seconds": EventField("seconds", help="Required unless enter_ts and exit_ts are given"),
    },
    "queue": {
        **_COMMON,
        "queue_id": EventField("id", required=True),
        **_STAY,
        "wait_seconds": EventField("seconds", help="Derived from enter_ts/exit_ts when absent"),
    },
    # GUIDE §2 Staff: the track entered a staff zone; every event of this camera and person_key is staff's.
    # See vision/staff.py: the mark (no exit_ts) and the close at the track's end (exit_ts, dwell_seconds).
    "staff": {
        **_COMMON,
        "zone_id": EventField("id", required=True, help="The staff zone"),
        "enter_ts": EventField("timestamp", help="The track's first sighting"),
        "exit_ts": EventField("timestamp", help="Of the close: the track's last sighting"),
        "dwell_seconds": EventField("seconds", help="Of the close: seconds the track was present"),
    },
}


def iso(dt: datetime, precision: str = "ms") -> str:
    """THE ISO 8601 UTC 'Z' formatter (events, APIs, live state, edge). A naive datetime is taken as UTC.

    precision: "ms" (default; events): milliseconds, truncated, only when not a whole second;
    "us": microseconds only when not a whole second (what `datetime.isoformat()` writes);
    "s": whole seconds, truncated (API timestamps)."""
    dt = dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    if precision not in ("ms", "us", "s"):
        raise ValueError(f"precision must be ms, us or s, not {precision!r}")
    if not dt.microsecond or precision == "s":
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    fraction = f"{dt.microsecond // 1000:03d}" if precision == "ms" else f"{dt.microsecond:06d}"
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"


def at(start: datetime, t: float) -> datetime:
    return start + timedelta(seconds=round(t, 3))


def event_id(camera_id: str, etype: str, key: str, person_key: str, start_iso: str) -> str:
    return str(uuid.uuid5(WINK_NAMESPACE, f"{camera_id}|{etype}|{key}|{person_key}|{start_iso}"))


def entrance_event(camera_id: str, start: datetime, t: float, direction: str, person_key: str,
                   source: str = "line", zone_id: str | None = None) -> dict[str, Any]:
    ts = iso(at(start, t))
    ev = {
        "event_id": event_id(camera_id, "entrance", direction, person_key, ts),
        "type": "entrance",
        "ts": ts,
        "direction": direction,
        "person_key": person_key,
        "source": source,
    }
    if zone_id is not None:
        ev["zone_id"] = zone_id
    return ev


def stay_event(camera_id: str, start: datetime, kind: str, region_id: str, person_key: str,
               enter_t: float, exit_t: float, zone_type: str | None = None) -> dict[str, Any]:
    """kind: zone | shelf | queue."""
    enter_ts = iso(at(start, enter_t))
    exit_ts = iso(at(start, exit_t))
    duration = round(max(0.0, exit_t - enter_t), 3)
    ev: dict[str, Any] = {
        "event_id": event_id(camera_id, kind, region_id, person_key, enter_ts),
        "type": kind,
        "ts": enter_ts,
        f"{kind}_id": region_id,
        "enter_ts": enter_ts,
        "exit_ts": exit_ts,
        "person_key": person_key,
    }
    if kind == "queue":
        ev["wait_seconds"] = duration
    else:
        ev["dwell_seconds"] = duration
    if kind == "zone":
        ev["zone_type"] = zone_type or "general"
    return ev


class SummaryAccumulator:
    """Running GUIDE §3 summary; O(regions + persons) memory, not O(events)."""

    def __init__(self, zones: Iterable[str] = (), shelves: Iterable[str] = (), queues: Iterable[str] = ()):
        self.footfall = {"in": 0, "out": 0}
        self.zones: dict[str, dict[str, Any]] = {z: _zone_acc() for z in zones}
        self.shelves: dict[str, dict[str, Any]] = {s: {"n": 0, "total": 0.0} for s in shelves}
        self.queues: dict[str, dict[str, Any]] = {q: {"n": 0, "total": 0.0, "max": 0.0} for q in queues}
        self.person_keys: set[str] = set()
        # person-seconds in each queue measured frame by frame (Little's law); None: from the stays
        self.queue_occupancy: dict[str, float] | None = None

    def add_queue_occupancy(self, queue_id: str, person_seconds: float) -> None:
        """People counted in the queue at a frame x the seconds that frame stands for."""
        if self.queue_occupancy is None:
            self.queue_occupancy = {}
        self.queue_occupancy[queue_id] = self.queue_occupancy.get(queue_id, 0.0) + float(person_seconds)

    def add(self, ev: dict[str, Any]) -> None:
        etype = ev.get("type")
        pk = ev.get("person_key")
        if pk is not None:
            self.person_keys.add(pk)
        if etype == "entrance":
            d = ev.get("direction")
            if d in self.footfall:
                self.footfall[d] += 1
        elif etype == "zone":
            z = self.zones.setdefault(ev["zone_id"], _zone_acc())
            z["n"] += 1
            z["total"] += float(ev.get("dwell_seconds", 0.0))
            if pk is not None:
                z["people"].add(pk)
        elif etype == "shelf":
            s = self.shelves.setdefault(ev["shelf_id"], {"n": 0, "total": 0.0})
            s["n"] += 1
            s["total"] += float(ev.get("dwell_seconds", 0.0))
        elif etype == "queue":
            q = self.queues.setdefault(ev["queue_id"], {"n": 0, "total": 0.0, "max": 0.0})
            w = float(ev.get("wait_seconds", 0.0))
            q["n"] += 1
            q["total"] += w
            q["max"] = max(q["max"], w)

    def result(self, unique_tracks: int | None = None) -> dict[str, Any]:
        return {
            "footfall": dict(self.footfall),
            "zones": {
                k: {"entries": v["n"], "unique_visitors": len(v["people"]), "avg_dwell": _avg(v["total"], v["n"])}
                for k, v in self.zones.items()
            },
            "shelves": {
                k: {"interactions": v["n"], "avg_dwell": _avg(v["total"], v["n"])} for k, v in self.shelves.items()
            },
            "queues": {
                k: {"served": v["n"], "avg_wait": _avg(v["total"], v["n"]), "max_wait": round(v["max"], 2),
                    "flow_wait": _avg(self._person_seconds(k, v), v["n"])}
                for k, v in self.queues.items()
            },
            "unique_tracks": len(self.person_keys) if unique_tracks is None else unique_tracks,
        }

    def _person_seconds(self, queue_id: str, acc: dict[str, Any]) -> float:
        if self.queue_occupancy is None:
            return acc["total"]
        return self.queue_occupancy.get(queue_id, 0.0)


def _zone_acc() -> dict[str, Any]:
    return {"n": 0, "total": 0.0, "people": set()}


def _avg(total: float, n: int) -> float:
    return round(total / n, 2) if n else 0.0


def summarize_events(events: Iterable[dict[str, Any]], config: Any = None) -> dict[str, Any]:
    """GUIDE §3 summary from event dicts; unique_tracks = distinct person_keys in the events.

    With a CameraConfig, every configured zone/shelf/queue appears (zeros when no events).
    """
    if config is not None:
        acc = SummaryAccumulator(config.zones, config.shelves, config.queues)
    else:
        acc = SummaryAccumulator()
    for ev in events:
        acc.add(ev)
    return acc.result()
