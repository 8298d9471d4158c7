"""Live state of cameras (people in view now, per-zone counts, queue lengths) in Django's cache.

Writers: central camera workers (every few seconds) and edge heartbeats (`status_data`).
Readers: the live dashboard. Redis in production (REDIS_URL), a file cache in the embedded demo.

Cache keys (`<store>` and `<camera>` are the public slugs, e.g. store_demo_001 / cam_zone_01):
- `wink:live:v1:<store>:<camera>` → {"state": <dict as written>, "written_at": ISO UTC}, expires after `ttl` s.
- `wink:live:v1:<store>:index` → {camera slug: expiry epoch seconds}: which camera keys to read.

State dict (all keys optional; what `EventPipeline.live_state()` returns fits):
`{"people": 3, "zones": {"electronics": 2}, "shelves": {...}, "queues": {"checkout": 4}, "ts": "…"}`.
`people_now` is accepted as a synonym of `people`.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.utils import timezone

KEY_PREFIX = "wink:live:v1"
INDEX_TTL = 24 * 3600
MAX_STATE_BYTES = 16 * 1024


def live_key(store_id: str, camera_id: str) -> str:
    return f"{KEY_PREFIX}:{store_id}:{camera_id}"


def live_index_key(store_id: str) -> str:
    return f"{KEY_PREFIX}:{store_id}:index"


def live_state_write(store_id: str, camera_id: str, state: dict[str, Any], ttl: float) -> None:
    """Store the camera's live state for `ttl` seconds (stale state disappears by itself)."""
    ttl = max(1, int(ttl))
    cache.set(live_key(store_id, camera_id),
              {"state": state, "written_at": timezone.now().isoformat().replace("+00:00", "Z")}, ttl)
    index_key = live_index_key(store_id)
    now = time.time()
    index = cache.get(index_key) or {}
    # Racing writers may drop each other's index entry for one cycle; the next write restores it.
    if index.get(camera_id, 0) < now + ttl / 2:
        index = {cam: expiry for cam, expiry in index.items() if expiry > now}
        index[camera_id] = now + ttl
        cache.set(index_key, index, INDEX_TTL)


def live_state_read(store_id: str) -> dict[str, dict[str, Any]]:
    """{camera slug: {"state": …, "written_at": …}} for the cameras with fresh state."""
    index = cache.get(live_index_key(store_id)) or {}
    if not index:
        return {}
    found = cache.get_many([live_key(store_id, camera) for camera in index])
    prefix = f"{KEY_PREFIX}:{store_id}:"
    return {key[len(prefix):]: value for key, value in found.items()}


def people_in_state(state: dict[str, Any]) -> int | None:
    value = state.get("people_now", state.get("people"))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0, int(value))
