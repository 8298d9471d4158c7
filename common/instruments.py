"""Instruments every process may update: counters, the ops Redis client and the Celery signal handlers.

A small helper below every app (it imports no app): apps count here, and wink/metrics.py (the top: collectors,
/metrics, /healthz, the request middleware) reads and exposes what is counted.

- Ingestion outcomes are a prometheus_client Counter, updated in the web processes (under gunicorn, with
  PROMETHEUS_MULTIPROC_DIR set, every process writes its samples there and /metrics adds them up).
- Celery task failures, worker heartbeats and beat activity happen in other containers, so Celery signal
  handlers keep them in Redis (a hash / keys under `wink:ops:`), read by /metrics at scrape time. The handlers
  are connected when this module is imported: wink/celery.py imports it, so every Celery process (worker, beat)
  has them.
"""

from __future__ import annotations

import logging
import time

from celery import signals as celery_signals
from django.conf import settings
from prometheus_client import Counter

logger = logging.getLogger(__name__)

# --- Counters updated in the web processes ---------------------------------------------------------------

# The ingestion API counts every event it is handed: accepted (new), duplicate (event_id already stored) or
# rejected (invalid). Usage: `ingest_events_count("accepted", n)`.
INGEST_OUTCOMES = ("accepted", "duplicate", "rejected")
ingest_events_total = Counter("wink_ingest_events", "Events received by the ingestion API, by outcome", ["outcome"])


def ingest_events_count(outcome: str, n: int = 1) -> None:
    """Count `n` ingested events with one of INGEST_OUTCOMES (no-op for n <= 0)."""
    if outcome not in INGEST_OUTCOMES:
        raise ValueError(f"outcome must be one of {INGEST_OUTCOMES}, not {outcome!r}")
    if n > 0:
        ingest_events_total.labels(outcome=outcome).inc(n)


# --- Cross-process numbers kept in Redis -----------------------------------------------------------------

REDIS_PREFIX = "wink:ops:"
TASK_FAILURES_KEY = REDIS_PREFIX + "task_failures"  # hash: task name -> failures
WORKER_SEEN_KEY = REDIS_PREFIX + "workers_seen"  # hash: worker hostname -> unix time of its last heartbeat
BEAT_SEEN_KEY = REDIS_PREFIX + "beat_last_publish"  # unix time beat last sent a task (deploy/healthcheck.py)
WORKER_QUEUES_KEY = REDIS_PREFIX + "worker_queues"  # hash: worker hostname -> the queues it consumes, comma-separated
WORKER_FRESH_SECONDS = 60  # a worker whose last heartbeat is older is not counted as serving anything

_redis_client = None


def redis_client():
    """The Redis client for ops numbers, or None in embedded mode (no REDIS_URL)."""
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _redis_client


def redis_safely(action):
    """`action(client)`, or None without Redis or when Redis fails: metrics must never break a task or a scrape."""
    client = redis_client()
    if client is None:
        return None
    try:
        return action(client)
    except Exception as error:
        logger.warning("metrics: Redis unavailable: %s", error)
        return None


@celery_signals.task_failure.connect(weak=False)
def _count_task_failure(sender=None, **_kwargs):
    name = getattr(sender, "name", None) or "unknown"
    redis_safely(lambda r: r.hincrby(TASK_FAILURES_KEY, name, 1))


@celery_signals.heartbeat_sent.connect(weak=False)
def _record_worker_heartbeat(sender=None, **_kwargs):
    hostname = getattr(getattr(sender, "eventer", None), "hostname", None)
    if hostname:
        redis_safely(lambda r: r.hset(WORKER_SEEN_KEY, hostname, f"{time.time():.3f}"))
        if _my_queues is not None:  # kept with the heartbeat: survives a Redis restart
            redis_safely(lambda r: r.hset(WORKER_QUEUES_KEY, hostname, _my_queues))


# What each queue's tasks are, for the warning of a worker that leaves the queue to others.
QUEUE_TASKS = {"cameras": "camera", "default": "aggregation, spike, insight, alert and camera-supervisor"}
_my_queues: str | None = None


@celery_signals.worker_ready.connect(weak=False)
def _record_worker_queues(sender=None, **_kwargs):
    """Record the queues this worker consumes (wink_queue_consumers on /metrics) and warn about the declared queues
    it leaves unserved when no live worker serves them either: a `-Q cameras` worker alone never gets a camera,
    as the supervisor that starts cameras runs on `default`."""
    global _my_queues
    app, hostname = getattr(sender, "app", None), getattr(sender, "hostname", None)
    if app is None or not hostname:
        return
    consumed = set(app.amqp.queues.consume_from)
    _my_queues = ",".join(sorted(consumed))
    redis_safely(lambda r: r.hset(WORKER_QUEUES_KEY, hostname, _my_queues))
    declared = [queue.name for queue in (app.conf.task_queues or ())]
    if {"cameras", "default"} <= consumed:
        logger.info("worker %s serves every queue (%s): each running camera holds one pool slot, so keep its "
                    "concurrency above the number of cameras", hostname, _my_queues)
    for queue in declared:
        if queue in consumed:
            continue
        others = _live_consumers(queue, exclude=hostname)
        if others:
            logger.info("worker %s does not consume queue %s; served by %s", hostname, queue, ", ".join(others))
        else:
            logger.warning("this worker does not consume queue %s; start a worker with -Q %s (or without -Q) or "
                           "none of the %s tasks will run", queue, queue, QUEUE_TASKS.get(queue, queue))


def _live_consumers(queue: str, exclude: str) -> list[str]:
    """Hostnames of other workers with a fresh heartbeat that consume `queue` (empty without Redis)."""
    def read(client):
        pipe = client.pipeline()
        pipe.hgetall(WORKER_QUEUES_KEY)
        pipe.hgetall(WORKER_SEEN_KEY)
        return pipe.execute()

    result = redis_safely(read)
    if not result:
        return []
    queues_raw, seen_raw = result
    now = time.time()
    live = []
    for hostname, queues in queues_raw.items():
        name, seen = hostname.decode(), seen_raw.get(hostname)
        fresh = seen is not None and now - float(seen) <= WORKER_FRESH_SECONDS
        if name != exclude and fresh and queue in queues.decode().split(","):
            live.append(name)
    return sorted(live)


_in_beat = False


@celery_signals.beat_init.connect(weak=False)
def _mark_beat_process(sender=None, **_kwargs):
    global _in_beat
    _in_beat = True
    redis_safely(lambda r: r.set(BEAT_SEEN_KEY, f"{time.time():.3f}"))


@celery_signals.before_task_publish.connect(weak=False)
def _record_beat_publish(sender=None, **_kwargs):
    # Only the beat process records: a publish from web or a worker says nothing about beat being alive.
    if _in_beat:
        redis_safely(lambda r: r.set(BEAT_SEEN_KEY, f"{time.time():.3f}"))
