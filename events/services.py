"""THE write path for events: the ingestion API and the central camera workers both call
`events_record_batch`.

Guarantees:
- Each event is validated on its own (GUIDE §3); a bad event is rejected with a reason naming the
  field, the rest of the batch is stored.
- Idempotent on `event_id`: `INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING event_id`, so a
  retried batch (also several retries running at once) is stored once and reported as duplicates.
  An event without `event_id` gets uuid5 of its canonical form (store, camera, type, normalised
  fields), so a retried id-less event is a duplicate as well.
- An id already stored for another store or camera is rejected ("event_id conflict"), never
  reported as a duplicate of someone else's event.
- Every timestamp (ts, enter_ts, exit_ts, given or derived) must lie between 2000-01-01T00:00:00Z and
  INGEST_MAX_FUTURE_SECONDS ahead of server time (`events.timebounds`), else the event is rejected
  naming the field; parsing never raises out of the batch. Late ones are
  accepted and their store-local hours are marked stale for re-aggregation
  (`hours_mark_stale`, below) in the same transaction, as its last statement: the marks
  become visible exactly when the events do (the drain can never miss them), a crash cannot keep one
  without the other, and a request saves a second commit. A failing mark is logged and rolled back
  to its savepoint; the events still commit (the hourly full aggregation repairs the hour).
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cameras.localtime import local_hour_start
from cameras.models import Camera, Store
from cameras.status import camera_online_window
from events import timebounds
from events.models import EntranceEvent, EventSource, QueueEvent, ShelfEvent, StaffEvent, StaleHour, ZoneEvent
from events.staff import staff_mark_hours
from vision.config import ZONE_TYPES
from vision.events import DIRECTIONS, EVENT_TYPES, iso

logger = logging.getLogger(__name__)

# Namespace of ids computed by the server for events sent without one.
INGEST_NAMESPACE = uuid.UUID("8c7d1a52-3f0e-5b6a-9d4c-2e1f0a9b7c31")
MAX_DURATION_SECONDS = 24 * 3600.0
MAX_ID_LENGTH = 100
MODELS = {"entrance": EntranceEvent, "zone": ZoneEvent, "shelf": ShelfEvent, "queue": QueueEvent, "staff": StaffEvent}
INSERT_CHUNK = 500


def max_future_seconds() -> float:
    return timebounds.max_future_seconds()


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {index, event_id, field, reason, code}
    touched_hours: list[datetime] = field(default_factory=list)  # UTC starts of store-local hours
    event_ids: list[str | None] = field(default_factory=list)  # per input index (None: no usable id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "rejected_events": self.rejected,
            "event_ids": self.event_ids,
        }


class EventRejected(Exception):
    def __init__(self, field_name: str | None, reason: str, code: str = "invalid"):
        super().__init__(reason)
        self.field = field_name
        self.reason = f"{field_name}: {reason}" if field_name else reason
        self.code = code


# --------------------------------------------------------------------------------- validation


def parse_timestamp(value: Any, name: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 → aware UTC datetime (no offset: UTC), bounded by `events.timebounds`: from
    2000-01-01T00:00:00Z to now + INGEST_MAX_FUTURE_SECONDS. Raises only EventRejected (never
    OverflowError: an offset pushing the instant past year 1 or 9999 is a rejection naming the field)."""
    try:
        return timebounds.check_instant(timebounds.parse_instant(value, name), name, now)
    except timebounds.TimeBoundError as error:
        raise EventRejected(name, error.message, code=error.code) from None


def _number(event: dict, name: str, required: bool) -> float | None:
    value = event.get(name)
    if value is None:
        if required:
            raise EventRejected(name, "required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EventRejected(name, "expected a number")
    if value < 0:
        raise EventRejected(name, "must not be negative")
    if value > MAX_DURATION_SECONDS:
        raise EventRejected(name, f"must be at most {MAX_DURATION_SECONDS:.0f} seconds")
    return float(value)


def _slug(event: dict, name: str, required: bool = True) -> str:
    value = event.get(name)
    if value is None or value == "":
        if required:
            raise EventRejected(name, "required")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise EventRejected(name, "expected a string")
    value = str(value)
    if len(value) > MAX_ID_LENGTH:
        raise EventRejected(name, f"at most {MAX_ID_LENGTH} characters")
    return value


def _optional_ts(event: dict, name: str, now: datetime) -> datetime | None:
    return None if event.get(name) is None else parse_timestamp(event[name], name, now=now)


def _stay_bounds(event: dict, ts: datetime, duration: float | None, duration_name: str, now: datetime):
    """enter/exit/duration of a stay; a missing one is derived from the others."""
    enter = _optional_ts(event, "enter_ts", now)
    exit_ = _optional_ts(event, "exit_ts", now)
    if enter is not None and exit_ is not None:
        if exit_ < enter:
            raise EventRejected("exit_ts", "is before enter_ts")
        if duration is None:
            duration = (exit_ - enter).total_seconds()
    elif duration is None:
        raise EventRejected(duration_name, "required (or both enter_ts and exit_ts)")
    elif enter is not None:
        exit_ = enter + timedelta(seconds=duration)
    elif exit_ is not None:
        enter = exit_ - timedelta(seconds=duration)
    else:
        enter, exit_ = ts, ts + timedelta(seconds=duration)
    if duration > MAX_DURATION_SECONDS:
        raise EventRejected(duration_name, f"must be at most {MAX_DURATION_SECONDS:.0f} seconds")
    return enter, exit_, duration


def event_normalize(event: Any, *, now: datetime) -> tuple[str, dict[str, Any]]:
    """Validate one GUIDE §3 event; returns (type, model fields without store/camera/source)."""
    if not isinstance(event, dict):
        raise EventRejected(None, "event must be a JSON object")
    etype = event.get("type")
    if etype not in EVENT_TYPES:
        raise EventRejected("type", f"must be one of {', '.join(EVENT_TYPES)}")
    ts = parse_timestamp(event.get("ts"), "ts", now=now)
    row: dict[str, Any] = {"ts": ts, "person_key": _slug(event, "person_key", required=False)}
    if etype == "entrance":
        direction = event.get("direction")
        if direction not in DIRECTIONS:
            raise EventRejected("direction", f"must be one of {', '.join(DIRECTIONS)}")
        row["direction"] = direction
    elif etype == "zone":
        row["zone_id"] = _slug(event, "zone_id")
        zone_type = event.get("zone_type") or ZONE_TYPES[0]
        if zone_type not in ZONE_TYPES:
            raise EventRejected("zone_type", f"must be one of {', '.join(ZONE_TYPES)}")
        row["zone_type"] = zone_type
        row["enter_ts"], row["exit_ts"], row["dwell_seconds"] = _stay_bounds(
            event, ts, _number(event, "dwell_seconds", False), "dwell_seconds", now)
    elif etype == "shelf":
        row["shelf_id"] = _slug(event, "shelf_id")
        dwell = _number(event, "dwell_seconds", False)
        if dwell is None and (event.get("enter_ts") is None or event.get("exit_ts") is None):
            raise EventRejected("dwell_seconds", "required")
        row["enter_ts"], row["exit_ts"], row["dwell_seconds"] = _stay_bounds(event, ts, dwell, "dwell_seconds", now)
    elif etype == "staff":
        # A mark has no exit_ts; the close has exit_ts and dwell_seconds (vision/staff.py).
        row["zone_id"] = _slug(event, "zone_id")
        row["enter_ts"], row["exit_ts"] = _optional_ts(event, "enter_ts", now), _optional_ts(event, "exit_ts", now)
        if row["enter_ts"] is not None and row["exit_ts"] is not None and row["exit_ts"] < row["enter_ts"]:
            raise EventRejected("exit_ts", "is before enter_ts")
        row["dwell_seconds"] = _number(event, "dwell_seconds", False)
    else:
        row["queue_id"] = _slug(event, "queue_id")
        row["enter_ts"], row["exit_ts"], row["wait_seconds"] = _stay_bounds(
            event, ts, _number(event, "wait_seconds", False), "wait_seconds", now)
    # Derived enter/exit times (ts ± a duration of at most a day) are bounded like the given ones.
    for name in ("ts", "enter_ts", "exit_ts"):
        value = row.get(name)
        if value is not None:
            try:
                timebounds.check_instant(value, name, now)
            except timebounds.TimeBoundError as error:
                raise EventRejected(name, error.message, code=error.code) from None
    return etype, row


def event_id_for(raw: dict, etype: str, row: dict, *, store: Store, camera_key: str) -> uuid.UUID:
    """The given event_id, or a deterministic uuid5 of the canonical event."""
    given = raw.get("event_id")
    if given is not None:
        if not isinstance(given, str):
            raise EventRejected("event_id", "expected a UUID string")
        try:
            return uuid.UUID(given)
        except ValueError:
            raise EventRejected("event_id", f"not a UUID: {given[:40]!r}") from None
    # "us": the canonical form keeps microseconds, so ids of id-less events stay what they were.
    canonical = {k: (iso(v, "us") if isinstance(v, datetime) else v) for k, v in row.items()}
    canonical.update(store=store.store_id, camera=camera_key, type=etype)
    return uuid.uuid5(INGEST_NAMESPACE, json.dumps(canonical, sort_keys=True, separators=(",", ":")))


# ------------------------------------------------------------------------------------ writing


def _insert_returning(model, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING event_id: the ids this call stored."""
    if not rows:
        return set()
    if connection.vendor == "postgresql":
        return _insert_returning_postgresql(model, rows)
    return _insert_returning_values(model, rows)


def _insert_returning_postgresql(model, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """One statement per table whatever the batch size: each column is one array parameter
    (`unnest`), bound server-side in binary; a multi-row VALUES list with thousands of
    placeholders spends more time in client-side query parsing than in PostgreSQL."""
    import psycopg

    fields = [model._meta.get_field(name) for name in rows[0]]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%b::{f.db_type(connection) if not f.is_relation else f.target_field.rel_db_type(connection)}[]"
                       for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    event_id_column = connection.ops.quote_name(model._meta.get_field("event_id").column)
    sql = (f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
           f"ON CONFLICT ({event_id_column}) DO NOTHING RETURNING {event_id_column}")
    params = [[row[f.name] for row in rows] for f in fields]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # plain cursor: server-side binding
        cursor.execute(sql, params)
        return {value for (value,) in cursor.fetchall()}


def _insert_returning_values(model, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Multi-row VALUES … ON CONFLICT DO NOTHING RETURNING (SQLite ≥ 3.35, the embedded demo)."""
    fields = [model._meta.get_field(name) for name in rows[0]]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    event_id_column = connection.ops.quote_name(model._meta.get_field("event_id").column)
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            params: list[Any] = []
            for row in chunk:
                params.extend(f.get_db_prep_save(row[f.name], connection) for f in fields)
            placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "
                f"ON CONFLICT ({event_id_column}) DO NOTHING RETURNING {event_id_column}"
            )
            cursor.execute(sql, params)
            for (value,) in cursor.fetchall():
                inserted.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    return inserted


def _owned_elsewhere(model, ids: list[uuid.UUID], *, store: Store, camera_key: str) -> set[uuid.UUID]:
    """Of the conflicting ids, those stored for another store or camera (not a retry of ours)."""
    clash = set()
    for start in range(0, len(ids), INSERT_CHUNK):
        for event_id, store_pk, key in model.objects.filter(event_id__in=ids[start:start + INSERT_CHUNK]).values_list(
            "event_id", "store_id", "camera_key"
        ):
            if store_pk != store.pk or key != camera_key:
                clash.add(event_id)
    return clash


def events_record_batch(*, store: Store, camera: Camera | None, events: list, source: str,
                        camera_key: str | None = None, dry_run: bool = False) -> BatchResult:
    """Validate and store a batch of GUIDE §3 events of one camera; see the module docstring.

    `camera` may be None only for imports of a deleted camera's events (then pass `camera_key`).
    `dry_run` validates only: `accepted` counts the events that are valid, nothing is written.
    """
    if source not in EventSource.values:
        raise ValueError(f"source must be one of {EventSource.values}")
    if camera is not None and camera.store_id != store.pk:
        raise ValueError("camera does not belong to store")
    camera_key = camera.camera_id if camera is not None else (camera_key or "")
    now = timezone.now()
    result = BatchResult(event_ids=[None] * len(events))
    # Per type: event_id -> (input index, row); later copies of an id in the same batch are duplicates.
    pending: dict[str, dict[uuid.UUID, tuple[int, dict[str, Any]]]] = {t: {} for t in EVENT_TYPES}
    in_batch_duplicates = 0
    for index, raw in enumerate(events):
        try:
            etype, row = event_normalize(raw, now=now)
            event_id = event_id_for(raw, etype, row, store=store, camera_key=camera_key)
        except EventRejected as error:
            given = raw.get("event_id") if isinstance(raw, dict) else None
            result.rejected.append({
                "index": index, "event_id": given if isinstance(given, str) else None,
                "field": error.field, "reason": error.reason, "code": error.code,
            })
            continue
        result.event_ids[index] = str(event_id)
        if event_id in pending[etype]:
            in_batch_duplicates += 1
            continue
        # Foreign keys as raw ids: rows are written by field name, not through the ORM.
        row.update(event_id=event_id, store=store.pk, camera=camera.pk if camera else None, camera_key=camera_key,
                   source=source, received_at=now)
        pending[etype][event_id] = (index, row)

    if dry_run:
        result.accepted = sum(len(by_id) for by_id in pending.values())
        result.duplicates = in_batch_duplicates
        return result

    touched: set[datetime] = set()
    memo: dict[datetime, datetime] = {}
    with transaction.atomic():
        for etype, by_id in pending.items():
            if not by_id:
                continue
            model = MODELS[etype]
            # Sorted by id: concurrent batches sharing ids take the unique-index locks in one order (no deadlock).
            inserted = _insert_returning(model, [by_id[event_id][1] for event_id in sorted(by_id)])
            conflicts = [event_id for event_id in by_id if event_id not in inserted]
            clashes = _owned_elsewhere(model, conflicts, store=store, camera_key=camera_key) if conflicts else set()
            for event_id in clashes:
                index = by_id[event_id][0]
                result.rejected.append({
                    "index": index, "event_id": str(event_id), "field": "event_id",
                    "reason": "event_id: already used by an event of another camera", "code": "event_id_conflict",
                })
                result.event_ids[index] = None
            result.accepted += len(inserted)
            result.duplicates += len(conflicts) - len(clashes)
            for event_id in inserted:
                row = by_id[event_id][1]
                for name in ("ts", "exit_ts"):
                    if row.get(name) is not None:
                        touched.add(local_hour_start(store, row[name], memo))
            if etype == "staff" and inserted:
                # Hours that counted the marked tracks as customers (stored before the mark) are stale now.
                touched |= staff_mark_hours(store, camera_key, [by_id[i][1] for i in inserted], memo)
        result.duplicates += in_batch_duplicates
        result.touched_hours = sorted(touched)
        if touched:
            _mark_stale(store, result.touched_hours)
    result.rejected.sort(key=lambda item: item["index"])
    return result


def hours_mark_stale(store: Store, hour_starts: Iterable[datetime]) -> None:
    """Mark the store-local hours containing `hour_starts` for re-aggregation.

    Any instant inside an hour may be passed (an event `ts` works); it is floored to the store-local
    hour. Cheap and idempotent: it only upserts rows in `StaleHour`, which `analytics.services.stale_hours_drain()`
    (beat, every few minutes, and the hourly job) turns into recomputed hourly and daily metrics.
    Safe inside the caller's transaction: the marks become visible when it commits.
    """
    memo: dict[datetime, datetime] = {}
    starts = {local_hour_start(store, instant, memo) for instant in hour_starts}
    if not starts:
        return
    with transaction.atomic():
        StaleHour.objects.bulk_create(
            [StaleHour(store=store, hour_start=start) for start in sorted(starts)],
            update_conflicts=True,
            unique_fields=["store", "hour_start"],
            update_fields=["marked_at"],
        )


def _mark_stale(store: Store, hours: list[datetime]) -> None:
    try:
        with transaction.atomic():  # a savepoint: a failed mark must not cost the events
            hours_mark_stale(store, hours)
    except Exception:
        logger.exception("could not mark %d hour(s) of store %s stale", len(hours), store.store_id)


# ---------------------------------------------------------------------------------- heartbeat

LIVE_KEYS = ("people", "people_now", "zones", "shelves", "queues", "ts")


def camera_heartbeat_record(*, camera: Camera, status_data: dict[str, Any] | None) -> Camera:
    """An edge heartbeat: the camera is online (or failing, if the device says so); live keys of
    `status_data` go to the live state while the camera counts as online (`cameras.status`)."""
    from events.live import live_state_write

    status_data = status_data or {}
    failing = status_data.get("status") == "error"
    error = str(status_data.get("error") or "")[:1000] if failing else ""
    now = timezone.now()
    status = Camera.Status.ERROR if failing else Camera.Status.ONLINE
    # update() leaves updated_at/config_version alone: a heartbeat is not a configuration change.
    Camera.objects.filter(pk=camera.pk).update(status=status, last_heartbeat=now, last_error=error)
    camera.status, camera.last_heartbeat, camera.last_error = status, now, error
    live = {key: status_data[key] for key in LIVE_KEYS if key in status_data}
    if live:
        # The live state lasts exactly as long as the camera counts as online (cameras.status).
        live_state_write(camera.store.store_id, camera.camera_id, live, ttl=camera_online_window().total_seconds())
    return camera
