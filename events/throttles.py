"""Per-key request throttle for ingestion (429 with Retry-After on bursts).

A fixed-window counter in the cache (`add` + `incr`, both atomic on Redis), so concurrent requests of
one key cannot slip past the limit the way DRF's read-modify-write history can. The rate is DRF's
`DEFAULT_THROTTLE_RATES["ingest"]` (THROTTLE_INGEST, e.g. "600/min"), counted per edge key.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


class EdgeKeyRateThrottle(BaseThrottle):
    scope = "ingest"

    def __init__(self):
        rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope, "600/min")
        self.limit, self.period = parse_rate(rate)
        self._wait = 0.0

    def allow_request(self, request, view) -> bool:
        edge_key = getattr(request, "auth", None)
        ident = getattr(edge_key, "pk", None)
        if ident is None:
            return True  # not an edge-key request; authentication decides
        now = time.time()
        window = int(now // self.period)
        key = f"wink:throttle:{self.scope}:{ident}:{window}"
        cache.add(key, 0, self.period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, self.period + 1)
            count = 1
        if count <= self.limit:
            return True
        self._wait = (window + 1) * self.period - now
        return False

    def wait(self) -> float:
        return max(1.0, self._wait)
