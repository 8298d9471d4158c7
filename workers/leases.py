"""Camera leases in Redis: at most one runner processes a camera at any moment.

A lease is a key ``wink:camera-lease:<pk>`` holding a random owner token, set with ``SET NX PX``. The
running task renews it well before it expires; renew and release are Lua compare-and-extend /
compare-and-delete scripts, so a runner can never extend or delete a lease that another runner took.

Safety does not rest on Redis alone: `Lease.valid` is a local deadline counted from the moment the
last successful renew was *sent* (so it ends no later than the key can expire). A runner checks it
before each frame and stops processing when it passes; only then can another runner acquire the key.

Without Redis (the embedded mode, no REDIS_URL) `lease_client()` gives `LOCAL`, an in-process `LocalLeases`
with the same lease interface, for the one live camera `make demo` runs beside the web server.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

import redis
from django.conf import settings

LEASE_PREFIX = "wink:camera-lease:"
DISPATCH_PREFIX = "wink:camera-dispatch:"

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
-- vacant (expired, or Redis restarted empty): take it back; held by another: lost
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 2
end
return 0
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_connection(url: str | None = None) -> redis.Redis:
    """A process-wide client (thread-safe pool) for leases, live state and metrics."""
    url = url or settings.REDIS_URL
    if not url:
        raise RuntimeError("REDIS_URL is not set: camera workers need Redis for leases")
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=15, decode_responses=True
            )
            _clients[url] = client
        return client


def lease_key(camera_pk: int) -> str:
    return f"{LEASE_PREFIX}{camera_pk}"


def new_owner_token() -> str:
    """host:pid:random, so an operator can see in Redis which process holds a camera."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Lease:
    """A held lease. ``renew()`` returns False once it is lost; ``release()`` gives it back."""

    def __init__(self, client: redis.Redis, camera_pk: int, token: str, ttl_s: float, valid_until: float):
        self.client = client
        self.camera_pk = camera_pk
        self.token = token
        self.ttl_s = ttl_s
        self.valid_until = valid_until  # monotonic
        self.lost = False
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def key(self) -> str:
        return lease_key(self.camera_pk)

    @property
    def valid(self) -> bool:
        return not self.lost and time.monotonic() < self.valid_until

    def renew(self) -> bool:
        """Extend the lease. False when another owner holds it (lost for good); a Redis error leaves the
        local deadline unchanged, so the caller keeps going until `valid` turns False."""
        if self.lost:
            return False
        sent = time.monotonic()
        try:
            result = self._renew(keys=[self.key], args=[self.token, int(self.ttl_s * 1000)])
        except redis.RedisError:
            return self.valid
        if int(result) == 0:
            self.lost = True
            return False
        self.valid_until = sent + self.ttl_s
        return True

    def release(self) -> bool:
        try:
            released = bool(self._release(keys=[self.key], args=[self.token]))
        except redis.RedisError:
            released = False  # it expires by itself
        self.lost = True
        return released


class LocalLeases:
    """The embedded mode's stand-in for Redis (no REDIS_URL: `make demo`): leases, the ownership journal and
    camera metrics kept in this process. Only runners in this process see them, which is all the embedded
    mode has (the demo's one live camera runs in a thread beside runserver). Pass it as a runner's ``client``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: dict[int, tuple[str, float]] = {}  # pk -> (token, monotonic expiry)
        self.journal: dict[int, list[dict]] = {}
        self.metrics: dict[int, dict] = {}

    def take(self, camera_pk: int, token: str, ttl_s: float, *, renew: bool = False) -> bool:
        """Set the lease to ``token`` if vacant (or, with ``renew``, already ``token``'s)."""
        now = time.monotonic()
        with self._lock:
            holder = self._held.get(camera_pk)
            if holder and holder[1] > now and not (renew and holder[0] == token):
                return False
            self._held[camera_pk] = (token, now + ttl_s)
            return True

    def give_back(self, camera_pk: int, token: str) -> bool:
        with self._lock:
            holder = self._held.get(camera_pk)
            if holder and holder[0] == token:
                del self._held[camera_pk]
                return True
            return False

    def holder(self, camera_pk: int) -> str | None:
        with self._lock:
            holder = self._held.get(camera_pk)
            return holder[0] if holder and holder[1] > time.monotonic() else None

    def journal_add(self, camera_pk: int, entry: dict) -> None:
        with self._lock:
            entries = self.journal.setdefault(camera_pk, [])
            entries.append(entry)
            del entries[:-JOURNAL_LENGTH]


LOCAL = LocalLeases()


class LocalLease(Lease):
    """A lease held in `LocalLeases`: the same interface as `Lease` (token, ttl_s, valid, renew, release)."""

    def __init__(self, store: LocalLeases, camera_pk: int, token: str, ttl_s: float, valid_until: float):
        self.client = store
        self.camera_pk = camera_pk
        self.token = token
        self.ttl_s = ttl_s
        self.valid_until = valid_until
        self.lost = False

    def renew(self) -> bool:
        if self.lost:
            return False
        sent = time.monotonic()
        if not self.client.take(self.camera_pk, self.token, self.ttl_s, renew=True):
            self.lost = True
            return False
        self.valid_until = sent + self.ttl_s
        return True

    def release(self) -> bool:
        released = self.client.give_back(self.camera_pk, self.token)
        self.lost = True
        return released


def lease_client() -> redis.Redis | LocalLeases:
    """Where this process keeps leases: Redis (REDIS_URL), else the in-process `LOCAL` (embedded mode)."""
    return redis_connection() if settings.REDIS_URL else LOCAL


def lease_acquire(camera_pk: int, *, ttl_s: float | None = None, client: redis.Redis | LocalLeases | None = None,
                  token: str | None = None) -> Lease | None:
    """Take the camera's lease, or None when a live runner holds it."""
    client = client or redis_connection()
    ttl_s = float(ttl_s or settings.CAMERA_LEASE_TTL_SECONDS)
    token = token or new_owner_token()
    sent = time.monotonic()
    if isinstance(client, LocalLeases):
        if not client.take(camera_pk, token, ttl_s):
            return None
        return LocalLease(client, camera_pk, token, ttl_s, sent + ttl_s)
    if not client.set(lease_key(camera_pk), token, nx=True, px=int(ttl_s * 1000)):
        return None
    return Lease(client, camera_pk, token, ttl_s, sent + ttl_s)


def lease_holder(camera_pk: int, client: redis.Redis | LocalLeases | None = None) -> str | None:
    client = client or redis_connection()
    if isinstance(client, LocalLeases):
        return client.holder(camera_pk)
    return client.get(lease_key(camera_pk))


def leases_held(camera_pks: list[int], client: redis.Redis | None = None) -> dict[int, str]:
    """{pk: owner token} for the cameras whose lease is live."""
    if not camera_pks:
        return {}
    client = client or redis_connection()
    values = client.mget([lease_key(pk) for pk in camera_pks])
    return {pk: value for pk, value in zip(camera_pks, values, strict=True) if value}


def dispatch_mark(camera_pk: int, ttl_s: float, client: redis.Redis | None = None) -> bool:
    """Remember that a task was sent for this camera; False when one was sent within ``ttl_s``.
    Stops the supervisor from queueing a task per tick while the first one waits for a free slot."""
    client = client or redis_connection()
    return bool(client.set(f"{DISPATCH_PREFIX}{camera_pk}", "1", nx=True, px=int(ttl_s * 1000)))


def dispatch_clear(camera_pk: int, client: redis.Redis | LocalLeases | None = None) -> None:
    client = client or redis_connection()
    if isinstance(client, LocalLeases):
        return  # no supervisor dispatches in the embedded mode
    try:
        client.delete(f"{DISPATCH_PREFIX}{camera_pk}")
    except redis.RedisError:
        pass


JOURNAL_PREFIX = "wink:camera-runs:"
JOURNAL_LENGTH = 100


def lease_journal_add(camera_pk: int, event: str, token: str, client: redis.Redis | LocalLeases | None = None,
                      **extra) -> None:
    """Append to the camera's ownership journal (who ran it when), newest last, bounded."""
    client = client or redis_connection()
    if isinstance(client, LocalLeases):
        client.journal_add(camera_pk, {"t": time.time(), "event": event, "token": token, **extra})
        return
    entry = json.dumps({"t": time.time(), "event": event, "token": token, **extra})
    key = f"{JOURNAL_PREFIX}{camera_pk}"
    try:
        pipe = client.pipeline(transaction=False)
        pipe.rpush(key, entry)
        pipe.ltrim(key, -JOURNAL_LENGTH, -1)
        pipe.execute()
    except redis.RedisError:
        pass  # diagnostics only


def lease_journal(camera_pk: int, client: redis.Redis | LocalLeases | None = None) -> list[dict]:
    client = client or redis_connection()
    if isinstance(client, LocalLeases):
        return list(client.journal.get(camera_pk, []))
    return [json.loads(item) for item in client.lrange(f"{JOURNAL_PREFIX}{camera_pk}", 0, -1)]
