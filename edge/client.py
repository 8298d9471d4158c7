"""HTTP client of the edge collector: the ingestion API with retries (exponential backoff, full jitter)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from vision.events import iso

USER_AGENT = "wink-edge/1.0"


class Backoff:
    """Exponential backoff with full jitter (AWS architecture blog): sleep U(0, min(cap, base·2^n))."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None):
        self.base, self.cap = float(base), float(cap)
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        return self._rng.uniform(0.1 * ceiling, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class ApiResult:
    status: int  # 0 = no HTTP answer (connection refused, timeout, DNS)
    body: dict[str, Any] | None
    error: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class IngestClient:
    def __init__(self, api_base: str, timeout: float = 10.0):
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _post(self, path: str, api_key: str, body: dict[str, Any]) -> ApiResult:
        try:
            response = self.session.post(
                f"{self.api_base}{path}", json=body, timeout=self.timeout,
                headers={"Authorization": f"Bearer {api_key}"},
            )
        except requests.RequestException as error:
            return ApiResult(0, None, f"{type(error).__name__}: {str(error)[:200]}")
        try:
            data = response.json()
        except ValueError:
            data = None
        retry_after = None
        if response.headers.get("Retry-After", "").replace(".", "", 1).isdigit():
            retry_after = float(response.headers["Retry-After"])
        error = "" if response.ok else str((data or {}).get("error") or response.reason or response.status_code)
        return ApiResult(response.status_code, data if isinstance(data, dict) else None, error, retry_after)

    def send_events(self, *, api_key: str, org_id: str, store_id: str, camera_id: str,
                    events: list[dict[str, Any]], dry_run: bool = False) -> ApiResult:
        body = {"org_id": org_id, "store_id": store_id, "camera_id": camera_id, "device_ts": iso(datetime.now(UTC)),
                "events": events}
        if dry_run:
            body["dry_run"] = True
        return self._post("/api/ingest/events", api_key, body)

    def heartbeat(self, *, api_key: str, org_id: str, store_id: str, camera_id: str,
                  status_data: dict[str, Any]) -> ApiResult:
        body = {"org_id": org_id, "store_id": store_id, "camera_id": camera_id, "device_ts": iso(datetime.now(UTC)),
                "status_data": status_data}
        return self._post("/api/ingest/heartbeat", api_key, body)

    def close(self) -> None:
        self.session.close()
