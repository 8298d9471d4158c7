"""Prometheus metrics for WINK: HTTP, ingestion, Celery, camera and business numbers, and the /metrics view.

The top of the project (it reads every app); what apps and Celery processes count lives in common/instruments.py,
which imports no app. Where each number lives (a process only ever sees its own memory):
- HTTP requests (the middleware below) and ingestion outcomes (common.instruments) are prometheus_client
  Counters/Histograms updated in the web processes.
  Under gunicorn (several worker processes) set PROMETHEUS_MULTIPROC_DIR to an empty, writable directory:
  every process then writes its samples to files there and /metrics adds them up (the compose file does this,
  and deploy/gunicorn.conf.py marks dead workers). Without it, a single process serves its own numbers.
- Celery task failures, worker heartbeats and beat activity happen in other containers, so celery signals keep
  them in Redis (a hash / keys under `wink:ops:`, common.instruments) and /metrics reads them at scrape time.
- Queue depth (Redis LLEN), per-camera metrics (workers.metrics.CameraMetricsCollector) and people now per store
  are read at scrape time by Collectors, so they are right whichever process answers the scrape.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily

from common.instruments import (
    BEAT_SEEN_KEY,
    TASK_FAILURES_KEY,
    WORKER_QUEUES_KEY,
    WORKER_SEEN_KEY,
    ingest_events_count,  # noqa: F401 - apps count through common.instruments; still readable here
    redis_client,
    redis_safely,
)

logger = logging.getLogger(__name__)

# --- Metrics updated in the web processes ---------------------------------------------------------------

http_requests_total = Counter(
    "wink_http_requests", "HTTP requests answered, by URL name, method and status code", ["view", "method", "status"]
)
http_request_duration_seconds = Histogram(
    "wink_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL name",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


# --- Cross-process numbers kept in Redis (written by common.instruments) ------------------------------------

CELERY_QUEUES = ("default", "cameras")
WORKER_FRESH_SECONDS = 60
WORKER_FORGET_SECONDS = 24 * 3600
# Kombu's Redis transport keeps priority levels in sibling lists named queue + "\x06\x16" + priority.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class CeleryCollector:
    """Queue depth (LLEN at scrape time), task failures, live workers and beat activity, all from Redis."""

    def describe(self):
        return []  # read at scrape time only (no Redis call when the collector is registered)

    def collect(self):
        client = redis_client()
        if client is None:
            return
        try:
            pipe = client.pipeline()
            for queue in CELERY_QUEUES:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            pipe.hgetall(TASK_FAILURES_KEY)
            pipe.hgetall(WORKER_SEEN_KEY)
            pipe.get(BEAT_SEEN_KEY)
            pipe.hgetall(WORKER_QUEUES_KEY)
            results = pipe.execute()
        except Exception as error:
            logger.warning("metrics: cannot read Celery numbers from Redis: %s", error)
            up = GaugeMetricFamily("wink_redis_up", "1 when /metrics could read Redis")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("wink_redis_up", "1 when /metrics could read Redis")
        up.add_metric([], 1)
        yield up

        depth = GaugeMetricFamily("wink_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        per_queue = len(_PRIORITY_SUFFIXES)
        for index, queue in enumerate(CELERY_QUEUES):
            depth.add_metric([queue], sum(results[index * per_queue:(index + 1) * per_queue]))
        yield depth
        failures_raw, seen_raw, beat_raw, queues_raw = results[len(CELERY_QUEUES) * per_queue:]

        failures = CounterMetricFamily(
            "wink_celery_task_failures", "Celery tasks that raised, by task", labels=["task"]
        )
        for task, count in sorted(failures_raw.items()):
            failures.add_metric([task.decode()], int(count))
        yield failures

        now = time.time()
        last_seen = GaugeMetricFamily(
            "wink_celery_worker_last_seen_timestamp_seconds", "Unix time of a worker's last heartbeat",
            labels=["worker"],
        )
        online: dict[str, int] = dict.fromkeys(CELERY_QUEUES, 0)
        forgotten = [hostname for hostname, seen in seen_raw.items() if now - float(seen) > WORKER_FORGET_SECONDS]
        if forgotten:  # replaced containers get new hostnames: drop them after a day
            redis_safely(lambda r: (r.hdel(WORKER_SEEN_KEY, *forgotten), r.hdel(WORKER_QUEUES_KEY, *forgotten)))
        for hostname, seen in sorted(seen_raw.items()):
            if hostname in forgotten:
                continue
            name, seen_at = hostname.decode(), float(seen)
            last_seen.add_metric([name], seen_at)
            # Workers are named <queue>@<host> in docker-compose.yml; others count under their own prefix.
            kind = name.split("@", 1)[0]
            if now - seen_at <= WORKER_FRESH_SECONDS:
                online[kind] = online.get(kind, 0) + 1
        yield last_seen
        workers = GaugeMetricFamily(
            "wink_celery_workers_online", "Workers with a heartbeat in the last minute, by name prefix", labels=["kind"]
        )
        for kind, count in sorted(online.items()):
            workers.add_metric([kind], count)
        yield workers
        yield _queue_consumers(queues_raw, seen_raw, now)

        beat = GaugeMetricFamily("wink_beat_last_publish_timestamp_seconds", "Unix time celery beat last sent a task")
        beat.add_metric([], float(beat_raw) if beat_raw else 0.0)
        yield beat


def _queue_consumers(queues_raw: dict, seen_raw: dict, now: float) -> GaugeMetricFamily:
    """wink_queue_consumers{queue}: live workers (heartbeat in the last minute) that consume each queue, as each
    worker recorded at worker_ready (common.instruments). 0 means the queue's tasks are never run."""
    consumers = GaugeMetricFamily(
        "wink_queue_consumers", "Live Celery workers consuming a queue (0: its tasks never run)", labels=["queue"]
    )
    counts: dict[str, int] = dict.fromkeys(CELERY_QUEUES, 0)
    for hostname, queues in queues_raw.items():
        seen = seen_raw.get(hostname)
        if seen is None or now - float(seen) > WORKER_FRESH_SECONDS:
            continue
        for queue in filter(None, queues.decode().split(",")):
            counts[queue] = counts.get(queue, 0) + 1
    for queue, count in sorted(counts.items()):
        consumers.add_metric([queue], count)
    return consumers


class BusinessCollector:
    """Numbers from the database and the live state cache: people now per store, camera heartbeat age, recent
    spike alerts. Cheap indexed queries, run at scrape time in whichever process answers."""

    def describe(self):
        return []

    def collect(self):
        people = GaugeMetricFamily("wink_people_now", "People in view now across a store's cameras", labels=["store"])
        try:
            for store_id, count in sorted(people_now_by_store().items()):
                people.add_metric([store_id], count)
        except Exception as error:
            logger.warning("metrics: cannot read the live state: %s", error)
        yield people
        try:
            yield from _database_families()
        except Exception as error:
            logger.warning("metrics: cannot read the database: %s", error)


SPIKE_WINDOW_SECONDS = 3600


def _database_families():
    from datetime import timedelta

    from django.utils import timezone

    from analytics.models import SpikeAlert
    from cameras.models import Camera

    now = timezone.now()
    age = GaugeMetricFamily(
        "wink_camera_heartbeat_age_seconds", "Seconds since an enabled camera's last heartbeat",
        labels=["store", "camera"],
    )
    rows = Camera.objects.filter(enabled=True, last_heartbeat__isnull=False).values_list(
        "store__store_id", "camera_id", "last_heartbeat"
    )
    for store_id, camera_id, heartbeat in rows:
        age.add_metric([store_id, camera_id], max(0.0, (now - heartbeat).total_seconds()))
    yield age
    spikes = GaugeMetricFamily(
        "wink_spike_alerts_recent", "Spike alerts created in the last hour", labels=["store", "kind", "direction"]
    )
    recent = (
        SpikeAlert.objects.filter(created_at__gte=now - timedelta(seconds=SPIKE_WINDOW_SECONDS))
        .values_list("store__store_id", "kind", "direction")
    )
    counts: dict[tuple[str, str, str], int] = {}
    for key in recent:
        counts[key] = counts.get(key, 0) + 1
    for key, count in sorted(counts.items()):
        spikes.add_metric(list(key), count)
    yield spikes


def people_now_by_store() -> dict[str, int]:
    """{store slug: people in view now}, summed over the fresh live states of the store's cameras.

    Reads through `live_state_read`, which drops corrupt entries, so one bad edge device cannot break /metrics.
    """
    from cameras.models import Store
    from events.live import live_state_read, people_in_state

    totals: dict[str, int] = {}
    for store_id in Store.objects.values_list("store_id", flat=True):
        for entry in live_state_read(store_id).values():
            people = people_in_state(entry["state"])
            if people is not None:
                totals[store_id] = totals.get(store_id, 0) + people
    return totals


_collectors_registered = False


def _camera_collector():
    try:
        from workers.metrics import CameraMetricsCollector
    except ImportError:  # the camera workers module is optional (edge-only deployments, older trees)
        return None
    return CameraMetricsCollector()


def _scrape_collectors() -> list:
    collectors = [CeleryCollector(), BusinessCollector()]
    camera = _camera_collector()
    if camera is not None:
        collectors.append(camera)
    return collectors


def _single_process_registry() -> CollectorRegistry:
    global _collectors_registered
    if not _collectors_registered:
        for collector in _scrape_collectors():
            REGISTRY.register(collector)
        _collectors_registered = True
    return REGISTRY


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: merged per-process files in multiprocess mode, else the default registry."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _scrape_collectors():
            registry.register(collector)
        return registry
    return _single_process_registry()


# --- /metrics and /healthz -------------------------------------------------------------------------------


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition.

    Prometheus scrapes the web container directly (http://web:8000/metrics). A request that came through the
    public reverse proxy (it carries X-Forwarded-For) is refused unless it presents METRICS_TOKEN as a bearer
    token, so the numbers are not published on the site's domain.
    """
    token = getattr(settings, "METRICS_TOKEN", "") or os.environ.get("METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token:
        presented = header[7:] if header.startswith("Bearer ") else ""
        if not hmac.compare_digest(presented.encode(), token.encode()):
            return HttpResponse("metrics: bearer token required\n", status=401, content_type="text/plain")
    elif request.headers.get("X-Forwarded-For"):
        return HttpResponse("metrics: not available through the proxy\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)


def healthz_view(request: HttpRequest) -> HttpResponse:
    """Liveness plus the database: 200 'ok' when a trivial query works, 503 otherwise."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        message = f"database unavailable: {error.__class__.__name__}\n"
        return HttpResponse(message, status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class PrometheusMiddleware:
    """Counts requests by URL name/method/status and times them. Put it first in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_label(request)
        if view != "metrics":  # scrapes would otherwise dominate the numbers
            method = request.method if request.method in _METHODS else "other"
            http_requests_total.labels(view=view, method=method, status=str(response.status_code)).inc()
            http_request_duration_seconds.labels(view=view).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _view_label(request: HttpRequest) -> str:
    # A bounded label set: the URL pattern's name (or route), never the raw path.
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match.route or "<unnamed>"
