"""The event schema (vision.events.EVENT_FIELDS), the one ISO 'Z' formatter and the zone type lists (pure core)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from vision.config import REGION_TYPES, ZONE_TYPES
from vision.events import EVENT_FIELDS, EVENT_TYPES, entrance_event, iso, stay_event
from vision.staff import staff_event

START = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)


def built_events() -> list[dict]:
    """One event of every shape the builders make."""
    return [
        entrance_event("cam", START, 1.25, "in", "t1"),
        entrance_event("cam", START, 2.0, "out", "t1"),
        entrance_event("cam", START, 3.0, "in", "t2", source="entry_zone", zone_id="doorway"),
        *(stay_event("cam", START, "zone", "electronics", "t1", 1.0, 5.5, zone_type=t) for t in ZONE_TYPES),
        stay_event("cam", START, "zone", "electronics", "t1", 1.0, 5.5),
        stay_event("cam", START, "shelf", "shelf_promo", "t1", 2.0, 17.5),
        stay_event("cam", START, "queue", "checkout", "t8", 0.0, 120.0),
        staff_event("cam", START, 4.0, "t9", "counter", 1.0),  # the mark
        staff_event("cam", START, 1.0, "t9", "counter", 1.0, 60.0),  # the close
    ]


def conforms(event: dict) -> list[str]:
    """Problems of `event` against EVENT_FIELDS (empty when it conforms)."""
    fields = EVENT_FIELDS.get(event.get("type"))
    if fields is None:
        return [f"type {event.get('type')!r}"]
    problems = [f"unknown field {name}" for name in event if name not in fields]
    problems += [f"missing {name}" for name, spec in fields.items() if spec.required and name not in event]
    for name, value in event.items():
        spec = fields.get(name)
        if spec is None:
            continue
        valid = {
            "choice": lambda v, s=spec: v in s.choices,
            "seconds": lambda v: isinstance(v, (int, float)) and v >= 0,
            "timestamp": lambda v: isinstance(v, str) and v.endswith("Z"),
            "uuid": lambda v: isinstance(v, str) and str(uuid.UUID(v)) == v,
            "id": lambda v: isinstance(v, str) and 0 < len(v) <= 100,
        }[spec.kind]
        if not valid(value):
            problems.append(f"{name}={value!r}")
    return problems


def test_every_built_event_matches_the_schema():
    events = built_events()
    assert {e["type"] for e in events} == set(EVENT_TYPES) == set(EVENT_FIELDS)
    for event in events:
        assert conforms(event) == [], event


def test_schema_lists_the_guide_fields():
    for fields in EVENT_FIELDS.values():
        assert {"event_id", "type", "ts", "person_key"} <= set(fields)
        assert fields["type"].choices == EVENT_TYPES and fields["ts"].required
    assert EVENT_FIELDS["entrance"]["direction"].required
    for etype in ("zone", "shelf", "queue"):
        assert EVENT_FIELDS[etype][f"{etype}_id"].required
        assert {"enter_ts", "exit_ts"} <= set(EVENT_FIELDS[etype])
    assert EVENT_FIELDS["zone"]["zone_type"].choices == ZONE_TYPES


def test_zone_types_are_region_types_with_general_first():
    assert set(ZONE_TYPES) <= set(REGION_TYPES) and ZONE_TYPES[0] == "general"
    assert {"shelf", "queue"} <= set(REGION_TYPES) - set(ZONE_TYPES)


@pytest.mark.parametrize(("value", "precision", "text"), [
    (datetime(2025, 10, 1, 10, 0, tzinfo=UTC), "ms", "2025-10-01T10:00:00Z"),
    (datetime(2025, 10, 1, 10, 0, 0, 123456, tzinfo=UTC), "ms", "2025-10-01T10:00:00.123Z"),
    (datetime(2025, 10, 1, 10, 0, 0, 999, tzinfo=UTC), "ms", "2025-10-01T10:00:00.000Z"),
    (datetime(2025, 10, 1, 10, 0, 0, 123456, tzinfo=UTC), "us", "2025-10-01T10:00:00.123456Z"),
    (datetime(2025, 10, 1, 10, 0, 0, 123456, tzinfo=UTC), "s", "2025-10-01T10:00:00Z"),
    (datetime(2025, 10, 1, 10, 0), "ms", "2025-10-01T10:00:00Z"),  # naive = UTC
    (datetime(2025, 10, 1, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))), "s", "2025-10-01T10:00:00Z"),
])
def test_iso_formats_utc_with_z(value, precision, text):
    assert iso(value, precision) == text


def test_iso_us_is_what_isoformat_writes():
    for micro in (0, 1, 123456):
        value = datetime(2025, 10, 1, 10, 0, 0, micro, tzinfo=UTC)
        assert iso(value, "us") == value.isoformat().replace("+00:00", "Z")
    with pytest.raises(ValueError, match="precision"):
        iso(START, "minutes")
