"""Per-camera worker metrics: written to Redis by the runners, read by a Prometheus collector.

Runners live in Celery worker processes that Prometheus does not scrape, so each runner writes a small
hash per camera (``wink:camera-metrics:<pk>``, expiring when the runner stops updating it) and the web
process turns those hashes into metric families at scrape time (`CameraMetricsCollector`).
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from workers.leases import LocalLeases

log = logging.getLogger(__name__)

METRICS_PREFIX = "wink:camera-metrics:"
METRICS_INDEX = "wink:camera-metrics:index"
METRICS_TTL_S = 30

# field in the hash -> (metric name, help, kind)
GAUGES = {
    "processed_fps": ("wink_camera_processed_fps", "Frames analysed per second (detector + pipeline)"),
    "frame_age_seconds": ("wink_camera_frame_age_seconds", "Seconds since the newest frame was read from the stream"),
    "lag_seconds": ("wink_camera_lag_seconds", "Age of the latest analysed frame when its analysis finished"),
    "detection_ms": ("wink_camera_detection_ms", "Mean detector time per analysed frame, queueing included (ms)"),
    "inference_queue_depth": (
        "wink_camera_inference_queue_depth", "Frames waiting for the worker's shared inference engine",
    ),
    "online": ("wink_camera_online", "1 while the camera delivers frames, else 0"),
}
COUNTERS = {
    "frames_processed_total": ("wink_camera_frames_processed", "Frames analysed since the runner started"),
    "frames_dropped_total": ("wink_camera_frames_dropped", "Sampled frames replaced by a newer one before analysis"),
    "reconnects_total": ("wink_camera_reconnects", "Stream reconnects since the runner started"),
    "events_total": ("wink_camera_events", "Events written since the runner started"),
}


# fields of the hash behind the info gauge wink_detector_info (labels; the value is always 1)
DETECTOR_FIELDS = {"detector_backend": "backend", "detector_precision": "precision", "detector_cpu": "cpu",
                   "detector_input": "input"}


def detector_fields(engine, config=None, frame_size: tuple[int, int] | None = None) -> dict:
    """The detector's backend, precision, CPU feature and this camera's input/tiles, for the camera's hash
    (nothing before the engine exists). Never raises: a metric must not stop a camera."""
    if engine is None:
        return {}
    from workers.inference import detector_info

    info = detector_info(engine.detector)
    text = info["summary"]
    try:
        text = engine.describe(config, frame_size)
    except Exception:  # a plan that does not fit is reported by the runner's status, not here
        pass
    prefix = info["summary"]
    return {"detector": text, "detector_backend": info["backend"], "detector_precision": info["precision"],
            "detector_cpu": info["cpu"], "detector_input": text[len(prefix):].strip() if text.startswith(prefix)
            else ""}


def camera_metrics_write(client, camera_pk: int, values: dict, ttl_s: int = METRICS_TTL_S) -> None:
    """``client``: Redis, or the embedded mode's in-process `leases.LocalLeases` (kept there, not scraped)."""
    key = f"{METRICS_PREFIX}{camera_pk}"
    mapping = {k: ("" if v is None else v) for k, v in values.items()}
    mapping["updated_at"] = time.time()
    if isinstance(client, LocalLeases):
        client.metrics[camera_pk] = mapping
        return
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, ttl_s)
    pipe.sadd(METRICS_INDEX, key)
    pipe.execute()


def camera_metrics_delete(client, camera_pk: int) -> None:
    if isinstance(client, LocalLeases):
        client.metrics.pop(camera_pk, None)
        return
    key = f"{METRICS_PREFIX}{camera_pk}"
    pipe = client.pipeline(transaction=False)
    pipe.delete(key)
    pipe.srem(METRICS_INDEX, key)
    pipe.execute()


def camera_metrics_read_all(client: redis.Redis) -> list[dict]:
    """Every live camera hash; keys that expired are dropped from the index on the way."""
    keys = sorted(client.smembers(METRICS_INDEX))
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    rows, stale = [], []
    for key, row in zip(keys, pipe.execute(), strict=True):
        if row:
            rows.append(row)
        else:
            stale.append(key)
    if stale:
        client.srem(METRICS_INDEX, *stale)
    return rows


def camera_detector_read(camera_pk: int, redis_url: str | None = None) -> str | None:
    """What the camera's runner reports its detector as (``backend precision (cpu feature) input/tiles``);
    None while no runner reports (or Redis is unreachable: the page still renders)."""
    url = redis_url if redis_url is not None else settings.REDIS_URL
    if not url:
        return None
    from workers.leases import redis_connection

    try:
        return redis_connection(url).hget(f"{METRICS_PREFIX}{camera_pk}", "detector") or None
    except redis.RedisError as exc:
        log.warning("camera %s: detector info unavailable: %s", camera_pk, exc)
        return None


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class CameraMetricsCollector:
    """prometheus_client custom collector: ``REGISTRY.register(CameraMetricsCollector())``."""

    def __init__(self, redis_url: str | None = None):
        self.redis_url = redis_url

    def describe(self):
        return []  # metrics are read at scrape time; nothing to check at registration

    def collect(self):
        url = self.redis_url or settings.REDIS_URL
        if not url:
            return
        from workers.leases import redis_connection

        up = GaugeMetricFamily("wink_camera_metrics_up", "1 when camera worker metrics could be read from Redis")
        try:
            rows = camera_metrics_read_all(redis_connection(url))
        except redis.RedisError as exc:
            log.warning("camera metrics unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        labels = ["store", "camera"]
        gauges = {f: GaugeMetricFamily(name, doc, labels=labels) for f, (name, doc) in GAUGES.items()}
        counters = {f: CounterMetricFamily(name, doc, labels=labels) for f, (name, doc) in COUNTERS.items()}
        for row in rows:
            lv = [row.get("store", ""), row.get("camera", "")]
            for field, family in gauges.items():
                value = _number(row.get(field))
                if value is not None:
                    family.add_metric(lv, value)
            for field, family in counters.items():
                value = _number(row.get(field))
                if value is not None:
                    family.add_metric(lv, value)
        yield from gauges.values()
        yield from counters.values()
        info = GaugeMetricFamily(
            "wink_detector_info", "The detector a camera runs on: backend, precision, CPU feature, input/tiles (1)",
            labels=[*labels, *DETECTOR_FIELDS.values()],
        )
        for row in rows:
            if row.get("detector_backend"):
                info.add_metric([row.get("store", ""), row.get("camera", ""),
                                 *(row.get(f, "") for f in DETECTOR_FIELDS)], 1)
        yield info
        running = GaugeMetricFamily("wink_cameras_running", "Cameras with a runner reporting metrics")
        running.add_metric([], len(rows))
        yield running
