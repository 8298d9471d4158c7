"""Live state of cameras (people in view now, per-zone counts, queue lengths) in Django's cache.

Writers: central camera workers (every few seconds) and edge heartbeats (`status_data`).
Readers: the live dashboard. Redis in production (REDIS_URL), a file cache in the embedded demo.

Cache keys (`<store>` and `<camera>` are the public slugs, e.g. store_demo_001 / cam_zone_01):
- `wink:live:v1:<store>:<camera>` → {"state": <dict as written>, "written_at": ISO UTC}, expires after `ttl` s.
- `wink:live:v1:<store>:index` → {camera slug: expiry epoch seconds}: which camera keys to read.

State dict (all keys optional; what `EventPipeline.live_state()` returns fits):
`{"people": 3, "zones": {"electronics": 2}, "shelves": {...}, "queues": {"checkout": 4}, "ts": "…"}`.
`people_now` is accepted as a synonym of `people`.

Schema (`live_state_validate`, strict, for heartbeats: 400 naming the field; `live_state_clean`, lenient,
for every write and every read: bad parts are dropped, so state already in the cache can never break a
reader): `people`/`people_now` a count; `zones`/`shelves`/`queues` objects of at most MAX_REGIONS
{region id (1..MAX_REGION_ID_LENGTH chars): count}; `ts` a string of at most 64 characters. A count is a
finite number 0..MAX_COUNT (no bool) and is stored as an int.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from vision.events import iso

KEY_PREFIX = "wink:live:v1"
INDEX_TTL = 24 * 3600
MAX_STATE_BYTES = 16 * 1024
MAX_REGIONS = 200  # zones (or shelves, or queues) per camera; the zone editor draws a handful
MAX_REGION_ID_LENGTH = 100  # Zone.zone_id is a 100-character slug
MAX_COUNT = 10_000  # people in one camera's view (or one zone)
MAX_CAMERAS = 1000  # index entries per store read
COUNT_KEYS = ("people", "people_now")
REGION_KEYS = ("zones", "shelves", "queues")

logger = logging.getLogger(__name__)


class LiveStateError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LiveStateError(field, "expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise LiveStateError(field, "expected a finite number")
    if value < 0 or value > MAX_COUNT:
        raise LiveStateError(field, f"must be between 0 and {MAX_COUNT}")
    return int(value)


def _regions(value: Any, field: str, strict: bool) -> dict[str, int]:
    if not isinstance(value, dict):
        raise LiveStateError(field, "expected an object of {id: count}")
    if len(value) > MAX_REGIONS:
        if strict:
            raise LiveStateError(field, f"at most {MAX_REGIONS} entries")
        value = dict(list(value.items())[:MAX_REGIONS])
    clean: dict[str, int] = {}
    for key, count in value.items():
        try:
            if not isinstance(key, str) or not 0 < len(key) <= MAX_REGION_ID_LENGTH:
                raise LiveStateError(field, f"ids must be 1 to {MAX_REGION_ID_LENGTH} characters")
            clean[key] = _count(count, field)
        except LiveStateError as error:
            if strict:
                label = key[:40] if isinstance(key, str) else key
                raise LiveStateError(field, f"{label!r}: {error.message}") from None
    return clean


def _state_check(state: Any, strict: bool) -> dict[str, Any]:
    if not isinstance(state, dict):
        if strict:
            raise LiveStateError("state", "expected a JSON object")
        return {}
    clean: dict[str, Any] = {}
    for key in (*COUNT_KEYS, *REGION_KEYS, "ts"):
        if key not in state or state[key] is None:
            continue
        try:
            value = state[key]
            if key in COUNT_KEYS:
                clean[key] = _count(value, key)
            elif key in REGION_KEYS:
                clean[key] = _regions(value, key, strict)
            elif not isinstance(value, str) or len(value) > 64:
                raise LiveStateError(key, "expected a timestamp string of at most 64 characters")
            else:
                clean[key] = value
        except LiveStateError:
            if strict:
                raise
    return clean


def live_state_validate(state: Any) -> dict[str, Any]:
    """The live keys of `state`, checked against the schema above; raises LiveStateError naming the key."""
    return _state_check(state, strict=True)


def live_state_clean(state: Any) -> dict[str, Any]:
    """The valid parts of `state` (anything else dropped); never raises."""
    try:
        return _state_check(state, strict=False)
    except Exception:  # pragma: no cover - belt and braces for readers
        return {}


def live_key(store_id: str, camera_id: str) -> str:
    return f"{KEY_PREFIX}:{store_id}:{camera_id}"


def live_index_key(store_id: str) -> str:
    return f"{KEY_PREFIX}:{store_id}:index"


def live_state_write(store_id: str, camera_id: str, state: dict[str, Any], ttl: float) -> None:
    """Store the camera's live state for `ttl` seconds (stale state disappears by itself)."""
    ttl = max(1, int(ttl))
    cache.set(live_key(store_id, camera_id),
              {"state": live_state_clean(state), "written_at": iso(timezone.now(), "us")}, ttl)
    index_key = live_index_key(store_id)
    now = time.time()
    index = cache.get(index_key) or {}
    # Racing writers may drop each other's index entry for one cycle; the next write restores it.
    if index.get(camera_id, 0) < now + ttl / 2:
        index = {cam: expiry for cam, expiry in index.items() if expiry > now}
        index[camera_id] = now + ttl
        cache.set(index_key, index, INDEX_TTL)


def live_state_read(store_id: str) -> dict[str, dict[str, Any]]:
    """{camera slug: {"state": …, "written_at": …}} for the cameras with fresh state.

    Whatever is in the cache (an old server's writes, a corrupt value, bytes that do not unpickle), the
    result holds only schema-clean states: a bad entry is dropped, a bad part of a state is dropped.
    """
    index = cache.get(live_index_key(store_id)) or {}
    if not isinstance(index, dict) or not index:
        return {}
    cameras = [camera for camera in list(index)[:MAX_CAMERAS] if isinstance(camera, str) and camera]
    keys = [live_key(store_id, camera) for camera in cameras]
    try:
        found = cache.get_many(keys)
    except Exception:  # one value that does not decode must not hide the others
        found = {}
        for key in keys:
            try:
                found[key] = cache.get(key)
            except Exception:
                logger.warning("dropping an unreadable live state entry %s", key)
    prefix = f"{KEY_PREFIX}:{store_id}:"
    states: dict[str, dict[str, Any]] = {}
    for key, value in found.items():
        if not isinstance(value, dict):
            continue
        written_at = value.get("written_at")
        states[key[len(prefix):]] = {
            "state": live_state_clean(value.get("state")),
            "written_at": written_at if isinstance(written_at, str) else None,
        }
    return states


def people_in_state(state: dict[str, Any]) -> int | None:
    if not isinstance(state, dict):
        return None
    value = state.get("people_now", state.get("people"))
    try:
        return _count(max(0, value), "people") if not isinstance(value, bool) else None
    except (LiveStateError, TypeError):
        return None
