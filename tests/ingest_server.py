"""Test support for the ingestion API: a real server process (gunicorn) on the test database.

Tests that talk to it must commit their data (pytest-django `transactional_db`), since the server is
another process with its own connections. Not imported by the product.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """URL of the database this test process uses (pytest-django's test database)."""
    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        raise RuntimeError("the ingestion server tests need PostgreSQL (DATABASE_URL=postgresql://…)")
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class ServerProcess:
    """`gunicorn wink.wsgi` on 127.0.0.1:<port>; stop() and start() again on the same port."""

    def __init__(self, port: int | None = None, env: dict[str, str] | None = None, workers: int = 1,
                 threads: int = 4):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DEBUG": "true",
            "SECURE_SSL_REDIRECT": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.workers, self.threads = workers, threads
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        command = [
            sys.executable, "-m", "gunicorn", "wink.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
            "--log-level", "warning", "--graceful-timeout", "5", "--keep-alive", "30",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.base}/api/ingest/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None


def ingest_cache_clear() -> None:
    """Forget live state and throttle counters (only ours: the Redis db may be shared with other tests)."""
    import redis

    if not settings.REDIS_URL:
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("*wink:live:*", "*wink:throttle:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@dataclass
class Tenant:
    organization: object
    store: object
    cameras: dict
    store_key: str  # store-wide edge key
    camera_keys: dict  # camera slug -> key bound to that camera


def tenant_create(slug: str | None = None, timezone: str = "UTC",
                  cameras: tuple[str, ...] = ("cam_entrance_01", "cam_zone_01", "cam_checkout_01")) -> Tenant:
    """An organisation with one store, cameras, and edge keys (committed when used with transactional_db)."""
    from cameras.models import Camera, Organization, Store
    from events.keys import edge_key_create

    slug = slug or f"t{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(name=f"Org {slug}", slug=f"org-{slug}")
    store = Store.objects.create(organization=organization, store_id=f"store_{slug}", name=f"Store {slug}",
                                 timezone=timezone)
    made = {}
    keys = {}
    for camera_id in cameras:
        made[camera_id] = Camera.objects.create(store=store, camera_id=camera_id, name=camera_id,
                                                capabilities=["entrance", "zones"])
        keys[camera_id] = edge_key_create(organization=organization, store=store, camera=made[camera_id]).api_key
    store_key = edge_key_create(organization=organization, store=store, camera=None).api_key
    return Tenant(organization, store, made, store_key, keys)
