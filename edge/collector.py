"""The edge collector: one process for all cameras of a store.

Per camera: a vision thread (source → detector → EventPipeline → durable buffer), a sender thread
(buffer → POST /api/ingest/events in batches every `batch_interval_seconds`, at once while a backlog
of full batches is waiting) and heartbeats (POST /api/ingest/heartbeat with the live state).
Events leave the buffer only when the API confirmed them; everything else is retried with
exponential backoff and jitter, so an outage of the API or the network loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from edge.audit import EdgeAuditRecorder
from edge.buffer import EventBuffer
from edge.client import ApiResult, Backoff, IngestClient
from edge.config import EdgeCamera, EdgeConfig
from vision.driver import FrameSink, FrameStep, PipelineDriver
from vision.pipeline import EventPipeline
from vision.sources import open_source
from vision.urls import mask_stream_url

log = logging.getLogger("wink.edge")
RULE = "=" * 70
DEFER_FUTURE_SECONDS = 60.0  # events the server found in the future are retried after this long
STREAM_GRACE_SECONDS = 30.0  # a stream still connecting after this long is reported as an error


def mask_password(url: str) -> str:
    """rtsp://admin:pass@host/x → rtsp://admin:***@host/x (logs never show camera passwords; vision.urls)."""
    return mask_stream_url(url, keep_username=True)


def banner(config: EdgeConfig) -> str:
    """The start-up banner of the deployment guide (passwords in stream URLs masked)."""
    lines = [
        "🏪 WINK STORE HELPER - EDGE RUNTIME",
        RULE,
        f"Store ID: {config.store_id}",
        f"Cameras: {len(config.cameras)}",
        f"API Endpoint: {config.api_base}",
        RULE,
        "",
        "📹 CAMERA CONFIGURATION:",
    ]
    for number, camera in enumerate(config.cameras, start=1):
        vision = camera.vision
        lines += [
            f"{number}. Camera ID: {camera.camera_id}",
            f"   RTSP: {mask_password(camera.rtsp)}",
            *([f"   Detect stream: {mask_password(camera.detect_url)}"] if camera.detect_url else []),
            f"   Capabilities: {', '.join(camera.capabilities)}",
        ]
        if vision.entrance_line:
            lines.append("   🚪 Entrance tracking: Enabled")
        if vision.zones:
            lines.append(f"   📍 Zones: {', '.join(vision.zones)}")
        if vision.shelves:
            lines.append(f"   🛒 Shelves: {', '.join(vision.shelves)}")
        if vision.queues:
            lines.append(f"   🧾 Queues: {', '.join(vision.queues)}")
        lines.append("")
    for warning in config.warnings:
        lines.append(f"⚠️  {warning}")
    lines.append("🚀 STARTING DETECTION...")
    return "\n".join(lines)


class CameraSender:
    """Drains one camera's buffer into the API."""

    def __init__(self, camera: EdgeCamera, config: EdgeConfig, client: IngestClient, buffer: EventBuffer):
        self.camera, self.config, self.client, self.buffer = camera, config, client, buffer
        self.batch_size = config.batch_size
        self.backoff = Backoff(base=1.0, cap=config.max_retry_delay_seconds)
        self.deferred: dict[str, float] = {}  # event_id -> monotonic time to retry
        self.sent_ok = 0
        self.last_error = ""
        self.last_status = None

    def send_once(self) -> float:
        """Send one batch if there is one; returns how long to wait before the next attempt."""
        now = time.monotonic()
        self.deferred = {k: v for k, v in self.deferred.items() if v > now}
        batch = self.buffer.peek(self.batch_size, skip=frozenset(self.deferred))
        if not batch:
            return self.config.batch_interval_seconds
        result = self.client.send_events(
            api_key=self.camera.api_key, org_id=self.config.org_id, store_id=self.config.store_id,
            camera_id=self.camera.camera_id, events=batch,
        )
        self.last_status = result.status
        if result.ok and result.body is not None:
            self.backoff.reset()
            self.last_error = ""
            done = self._confirmed(batch, result)
            self.buffer.ack(done)
            self.sent_ok += len(done)
            backlog = len(batch) >= self.batch_size and self.buffer.pending_count() > len(self.deferred)
            return 0.0 if backlog else self.config.batch_interval_seconds
        return self._failed(result, len(batch))

    def _confirmed(self, batch: list[dict[str, Any]], result: ApiResult) -> list[str]:
        rejected = {item["index"]: item for item in result.body.get("rejected_events", [])}
        done = []
        for index, event in enumerate(batch):
            item = rejected.get(index)
            if item is None:
                done.append(event["event_id"])  # accepted or duplicate: stored on the server
            elif item.get("code") == "future_timestamp":
                self.deferred[event["event_id"]] = time.monotonic() + DEFER_FUTURE_SECONDS
                log.warning("%s: event %s rejected for now: %s",
                            self.camera.camera_id, event["event_id"], item["reason"])
            else:
                # Permanently invalid: keeping it would block the buffer forever.
                log.error("%s: event %s rejected by the API, dropped: %s",
                          self.camera.camera_id, event["event_id"], item.get("reason"))
                done.append(event["event_id"])
        return done

    def _failed(self, result: ApiResult, size: int) -> float:
        message = f"{self.camera.camera_id}: events not sent ({result.status or 'no answer'}: {result.error})"
        if message != self.last_error:
            log.warning("%s; %d event(s) kept in the buffer", message, self.buffer.pending_count())
        self.last_error = message
        if result.status == 413 and self.batch_size > 1:
            self.batch_size = max(1, min(size, self.batch_size) // 2)
            return 0.0
        if result.status == 429 and result.retry_after:
            return result.retry_after
        return self.backoff.next_delay()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                delay = self.send_once()
            except Exception:  # a bug must not stop delivery: log and retry later
                log.exception("%s: sender error", self.camera.camera_id)
                delay = self.backoff.next_delay()
            if delay > 0:
                stop.wait(delay)


class EdgeCameraLoop(FrameSink):
    """Vision for one camera: frames → detections → events, appended durably to the buffer.

    The frame loop is vision.driver's; this is its sink: events into the buffer, live state after
    every frame. Every sampled frame (at the camera's fps) is detected; the stream's own clock dates
    the events."""

    def __init__(self, camera: EdgeCamera, buffer: EventBuffer, detect: Callable, source_factory: Callable):
        self.camera, self.buffer, self.detect = camera, buffer, detect
        self.source_factory = source_factory
        self.live: dict[str, Any] = {}
        self.frames = 0
        self.events = 0
        self.produced_ids: list[str] = []
        self.finished = threading.Event()
        self.error = ""
        self.source = None
        self.audit: EdgeAuditRecorder | None = None  # count-audit evidence (edge/audit.py), set by the collector

    def run(self, stop: threading.Event) -> None:
        try:
            self.source = self.source_factory(self.camera)
            driver = PipelineDriver(self.camera.vision, self, detector=self.detect, time_origin="stream")
            driver.run(self.source, stop=stop)  # closes the open stays at the end of the stream or on stop
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
            log.exception("%s: camera stopped", self.camera.camera_id)
        finally:
            if self.source is not None and hasattr(self.source, "close"):
                self.source.close()
            self.finished.set()

    # -- FrameSink hooks ---------------------------------------------------------------------------

    def on_events(self, events: list[dict[str, Any]]) -> None:
        self.buffer.append(events)  # fsync'ed before the next frame is processed
        self.events += len(events)
        self.produced_ids.extend(e["event_id"] for e in events)

    def on_frame(self, pipeline: EventPipeline | None, step: FrameStep) -> None:
        self.frames += 1
        self.live = pipeline.live_state()
        if self.audit is not None:
            self.audit.on_frame(pipeline, step)  # keeps frames only during an audit window

    def on_finish(self, pipeline: EventPipeline) -> None:
        self.live = pipeline.live_state()


def default_source_factory(camera: EdgeCamera):
    return open_source(camera.analysed_url, sample_fps=camera.fps)  # the detect stream when configured


class EdgeCollector:
    def __init__(self, config: EdgeConfig, *, detector=None, source_factory: Callable | None = None,
                 client: IngestClient | None = None):
        self.config = config
        self.client = client or IngestClient(config.api_base, timeout=config.request_timeout_seconds)
        self.stop_event = threading.Event()
        self._detector = detector
        self._detect_lock = threading.Lock()
        self.source_factory = source_factory or default_source_factory
        self.buffers = {
            c.camera_id: EventBuffer(config.buffer_dir / c.camera_id, max_events=config.max_buffer_events)
            for c in config.cameras
        }
        self.senders = {c.camera_id: CameraSender(c, config, self.client, self.buffers[c.camera_id])
                        for c in config.cameras}
        self.runners: dict[str, EdgeCameraLoop] = {}
        # count audits: evidence next to the event buffers (never inside a camera's buffer directory)
        audit_dir = config.buffer_dir.with_name(config.buffer_dir.name + "-audits")
        self.audits = {c.camera_id: EdgeAuditRecorder(c.camera_id, c.api_key, self.client, audit_dir / c.camera_id)
                       for c in config.cameras}
        self.threads: list[threading.Thread] = []
        self.started_at = time.monotonic()

    def _detect(self, image, config=None):
        """One frame of a camera through its detection plan (``config``: its vision config; vision.tiling)."""
        if self._detector is None:
            with self._detect_lock:
                if self._detector is None:
                    from vision.detectors import DetectorConfig, detector_create

                    # the environment (DETECTOR_* names), then config.yaml's `detector:` options
                    config = DetectorConfig.from_env().replace(**self.config.detector)
                    self._detector = detector_create(config)
        with self._detect_lock:  # one model for all cameras; inference is the bottleneck anyway
            if hasattr(self._detector, "detect_camera"):
                return self._detector.detect_camera(image, config)
            return self._detector.detect_one(image)

    def start(self) -> None:
        self.started_at = time.monotonic()
        for camera in self.config.cameras:
            runner = EdgeCameraLoop(camera, self.buffers[camera.camera_id], self._detect, self.source_factory)
            self.runners[camera.camera_id] = runner
            self._spawn(f"vision-{camera.camera_id}", runner.run)
            self._spawn(f"send-{camera.camera_id}", self.senders[camera.camera_id].run)
            runner.audit = self.audits[camera.camera_id]
            self._spawn(f"audit-{camera.camera_id}", self.audits[camera.camera_id].run)
        self._spawn("heartbeat", self._heartbeat_loop)

    def _spawn(self, name: str, target: Callable) -> None:
        thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def status_data(self, camera: EdgeCamera) -> dict[str, Any]:
        runner = self.runners.get(camera.camera_id)
        sender = self.senders[camera.camera_id]
        data: dict[str, Any] = dict(runner.live) if runner else {}
        data.update(
            frames=runner.frames if runner else 0,
            events=runner.events if runner else 0,
            buffer_pending=self.buffers[camera.camera_id].pending_count(),
            buffer_dropped=self.buffers[camera.camera_id].dropped,
            fps=camera.fps,
        )
        source = getattr(runner, "source", None)
        if source is not None and hasattr(source, "stats"):
            stats = source.stats()
            status = stats.get("status")
            data["source_status"] = status
            # A live collector with a dead stream is not an online camera.
            stuck = status == "connecting" and time.monotonic() - self.started_at > STREAM_GRACE_SECONDS
            if status in ("failed", "reconnecting") or stuck:
                data.update(status="error", error=str(stats.get("last_error") or f"stream {status}"))
        if runner is not None and runner.error:
            data.update(status="error", error=runner.error)
        if sender.last_error:
            data["last_send_error"] = sender.last_error[:300]
        return data

    def send_heartbeats(self) -> dict[str, ApiResult]:
        results = {}
        for camera in self.config.cameras:
            result = self.client.heartbeat(
                api_key=camera.api_key, org_id=self.config.org_id, store_id=self.config.store_id,
                camera_id=camera.camera_id, status_data=self.status_data(camera),
            )
            if not result.ok:
                log.warning("%s: heartbeat failed (%s: %s)",
                            camera.camera_id, result.status or "no answer", result.error)
            elif result.body and abs(result.body.get("clock_skew_seconds") or 0) > 60:
                log.warning("%s: device clock is %.0f s off server time; events may be rejected",
                            camera.camera_id, result.body["clock_skew_seconds"])
            results[camera.camera_id] = result
        return results

    def _heartbeat_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.send_heartbeats()
            except Exception:
                log.exception("heartbeat error")
            stop.wait(self.config.heartbeat_interval_seconds)

    def pending(self) -> int:
        return sum(buffer.pending_count() for buffer in self.buffers.values())

    def sources_finished(self) -> bool:
        return bool(self.runners) and all(r.finished.is_set() for r in self.runners.values())

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)
        for buffer in self.buffers.values():
            buffer.close()
        self.client.close()
