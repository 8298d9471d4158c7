"""CameraRunner: one camera, from its stream to events in PostgreSQL, for as long as it holds the lease.

The loop reads the newest sampled frame (RtspSource drops what it cannot keep up with), sends every
``detection_interval``-th one through the process's shared inference engine, feeds EventPipeline, and
around that does the housekeeping on its own clock:

- lease renewed every ttl/4; processing stops as soon as the lease is no longer known to be ours;
- the camera row is polled every CAMERA_CONFIG_POLL_SECONDS: deleted or disabled -> stop, a new
  config_version -> rebuild the pipeline (and reopen the stream when its URL or rate changed);
- events are written in batches (every CAMERA_EVENT_FLUSH_SECONDS) through events_record_batch;
- live state every second, metrics every 2 s, status online/offline/error on change plus heartbeat.

A runner that stops because the camera changed hands (lease lost, worker shutdown) drops its open
stays instead of closing them early, so the next runner does not count the same visit twice.

The frame loop itself is vision.driver.PipelineDriver (the one the edge collector and the offline
commands use): the housekeeping above is its per-iteration tick, and _RunnerSink its outputs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from audits.recorder import AuditRecorder
from cameras.heatmaps import camera_heatmap_add
from cameras.models import Camera
from vision.config import ConfigError, load_camera_config
from vision.driver import FrameSink, FrameStep, PipelineDriver
from vision.heatmap import HeatmapGrid
from vision.pipeline import EventPipeline
from vision.sources import DetectionCadence, FramePacket, RtspSource, SourceError, is_stream_uri, open_source
from vision.urls import is_camera_stream_url
from workers import leases, metrics, selectors, services

log = logging.getLogger(__name__)

# Set when the Celery worker begins a warm shutdown: every runner in the process hands its camera back.
SHUTDOWN = threading.Event()

LIVE_STATE_EVERY_S = 1.0
LIVE_STATE_TTL_S = 10.0
METRICS_EVERY_S = 2.0
HEATMAP_FLUSH_EVERY_S = 60.0  # one small upsert a minute per camera for the camera page's heatmap
MAX_BUFFERED_EVENTS = 20_000
FLUSH_AT_EVENTS = 200


def request_shutdown() -> None:
    SHUTDOWN.set()


class ExitReason:
    HELD = "held"  # another runner holds the lease
    DELETED = "deleted"
    DISABLED = "disabled"
    NO_STREAM = "no_stream"  # the stream URL was cleared
    LEASE_LOST = "lease_lost"
    SHUTDOWN = "shutdown"
    STOPPED = "stopped"  # stop_event or max_seconds (run_camera command, tests)
    CRASHED = "crashed"


class _FileLoop:
    """A video file read in real time, looping: lets `run_camera` and demos treat a file like a camera."""

    def __init__(self, path: str, sample_fps: float):
        self.path = path
        self.sample_fps = sample_fps
        self._iter = None
        self._t0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        self._offset = 0.0
        self._index = 0
        self._last = None
        self.frame_size = None
        self._stats = {"status": "connected", "frames_dropped": 0, "reconnects": 0, "last_error": None}

    def stats(self) -> dict:
        age = None if self._last is None else max(0.0, time.monotonic() - self._last)
        return dict(self._stats, last_frame_age=age)

    def read(self, timeout: float | None = None) -> FramePacket | None:
        if self._iter is None:
            self._source = open_source(self.path, self.sample_fps)
            self.frame_size = self._source.frame_size
            self._iter = iter(self._source)
        try:
            packet = next(self._iter)
        except StopIteration:
            self._source.close()
            self._offset += self._last_t + 1.0 / self.sample_fps
            self._iter = None
            return None
        self._last_t = packet.t
        t = self._offset + packet.t
        wait = self._t0 + t - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        packet = FramePacket(self._index, t, packet.image, self._wall0 + timedelta(seconds=t))
        self._index += 1
        return packet

    _last_t = 0.0

    def close(self) -> None:
        if self._iter is not None:
            self._source.close()


class StreamRefused(Exception):
    """The camera URL is not one the runner may open (a file path with CAMERA_ALLOW_FILE_SOURCES off)."""


def _open_stream(url: str, sample_fps: float):
    if is_camera_stream_url(url):
        source = RtspSource(url, sample_fps=sample_fps, backoff_max_s=settings.CAMERA_RECONNECT_MAX_BACKOFF_SECONDS)
        return source.start()
    if not settings.CAMERA_ALLOW_FILE_SOURCES or is_stream_uri(url) or "://" in url:
        # Rows stored before URL validation (or imported) may name files or FFmpeg meta-protocols: never open them.
        raise StreamRefused("stream URL refused: only rtsp, rtsps, http and https camera URLs are opened")
    return _FileLoop(url, sample_fps)


def _run_prefix(packet: FramePacket) -> str:
    # Track ids restart with every pipeline: the prefix keeps person keys unique across runs of a day.
    return f"r{int(packet.wall_time.timestamp()):x}-"


class _RunnerSink(FrameSink):
    """What the frame loop gives the runner: events to write, a heatmap, frame counters and timings."""

    def __init__(self, runner: CameraRunner):
        self.runner = runner

    def on_start(self, pipeline: EventPipeline, packet: FramePacket | None) -> None:
        h, w = packet.image.shape[:2]
        self.runner._flush_heatmap()
        self.runner.heatmap = HeatmapGrid.for_frame(w, h)

    def on_detect_error(self, step: FrameStep, error: Exception) -> None:
        # model missing, engine failure: report, keep the lease, skip the frame
        self.runner._set_status(Camera.Status.ERROR, f"detector: {error}")
        self.runner.stop_event.wait(2.0)

    def accept(self, step: FrameStep) -> bool:
        # the camera may belong to someone else by now: this frame is not ours to count
        return self.runner.lease.valid

    def on_events(self, events: list[dict]) -> None:
        self.runner.pending.extend(events)

    def on_frame(self, pipeline: EventPipeline | None, step: FrameStep) -> None:
        if not step.detected:
            return
        runner = self.runner
        if runner.heatmap is not None:
            runner.heatmap.add_tracks(pipeline.tracks, runner.config.anchor)
        runner.frames_processed += 1
        runner._recent.append((time.monotonic(), step.detect_s * 1000))
        runner._last_lag = max(0.0, (datetime.now(UTC) - step.packet.wall_time).total_seconds())
        if runner.annotate_every_s and time.monotonic() >= runner._next_annotate:
            runner._next_annotate = time.monotonic() + runner.annotate_every_s
            runner._publish_annotated_frame(pipeline, step)
        runner.audit.on_frame(pipeline, step)  # evidence of an audit window, only during one (audits/)


class CameraRunner:
    def __init__(self, camera_pk: int, *, engine=None, stop_event: threading.Event | None = None,
                 max_seconds: float | None = None, client: redis.Redis | leases.LocalLeases | None = None,
                 worker_name: str = "", annotate_every_s: float = 0.0):
        self.camera_pk = int(camera_pk)
        self._engine = engine
        self.stop_event = stop_event or threading.Event()
        self.max_seconds = max_seconds
        # Redis; in the embedded mode (no REDIS_URL) the in-process leases.LOCAL
        self.client = client or leases.lease_client()
        # > 0: publish an annotated frame (workers/frames.py) this often, for the camera page (the demo's camera)
        self.annotate_every_s = float(annotate_every_s)
        self._next_annotate = 0.0
        self.worker_name = worker_name or f"{os.uname().nodename}:{os.getpid()}"
        self.lease: leases.Lease | None = None
        self.camera: Camera | None = None
        self.source = None
        # the frame loop (vision.driver); its sink is the runner's own outputs, its tick the housekeeping
        self.driver = PipelineDriver(None, _RunnerSink(self), detector=self._detect, person_key_prefix=_run_prefix)
        self.audit = AuditRecorder(self.camera_pk)  # count audits: keeps evidence during a window
        self.heatmap: HeatmapGrid | None = None
        self.config = None
        self.cadence: DetectionCadence | None = None
        self.runtime: selectors.CameraRuntime | None = None
        self.status: str | None = None
        self.config_error: str | None = None
        self.pending: list[dict] = []
        self.events_written = 0
        self.frames_processed = 0
        self._recent: list[tuple[float, float]] = []  # (monotonic end, detection ms) of recent frames
        self._last_lag: float | None = None
        self._last_frame_at = time.monotonic()
        self._stream_times: list[float] | None = None  # stream times of the first packets (_fit_cadence)
        self._stream_fps: float | None = None  # the opened stream's own frame rate, once measured

    # -- entry point ------------------------------------------------------------------------------

    def run(self) -> str:
        self.lease = leases.lease_acquire(self.camera_pk, client=self.client)
        if self.lease is None:
            return ExitReason.HELD
        leases.dispatch_clear(self.camera_pk, self.client)
        leases.lease_journal_add(self.camera_pk, "start", self.lease.token, self.client, worker=self.worker_name)
        reason = ExitReason.CRASHED  # another runner takes over: leave the open visits to it
        try:
            reason = self._run()
            return reason
        except Exception as exc:
            self._set_status(Camera.Status.ERROR, f"runner crashed: {exc!r}")
            raise
        finally:
            self._stop(reason)

    def _run(self) -> str:
        self.camera = selectors.camera_for_runner(self.camera_pk)
        if self.camera is None:
            return ExitReason.DELETED
        if not self.camera.enabled:
            return ExitReason.DISABLED
        if not self.camera.rtsp_url:
            return ExitReason.NO_STREAM
        self.runtime = selectors.camera_runtime(self.camera_pk)
        log.info("camera %s: runner started (%s)", self.camera.camera_id, self.lease.token, extra=self._log)
        self._build(reopen=True)
        started = now = time.monotonic()
        renew_every = self.lease.ttl_s / 4
        next_renew = now + renew_every
        next_poll = now + settings.CAMERA_CONFIG_POLL_SECONDS
        next_flush = now + settings.CAMERA_EVENT_FLUSH_SECONDS
        next_live = now
        next_metrics = now
        next_heartbeat = now + settings.HEARTBEAT_INTERVAL_SECONDS
        next_heatmap = now + HEATMAP_FLUSH_EVERY_S

        def housekeeping() -> str | None:
            """Before every read of the stream: a reason to stop, or None to go on."""
            nonlocal next_renew, next_poll, next_flush, next_live, next_metrics, next_heartbeat, next_heatmap
            now = time.monotonic()
            if SHUTDOWN.is_set():
                return ExitReason.SHUTDOWN
            if self.stop_event.is_set() or (self.max_seconds and now - started >= self.max_seconds):
                return ExitReason.STOPPED
            if now >= next_renew:
                self.lease.renew()
                next_renew = now + renew_every
            if not self.lease.valid:
                log.warning("camera %s: lease lost; stopping", self.camera.camera_id, extra=self._log)
                return ExitReason.LEASE_LOST
            if now >= next_poll:
                next_poll = now + settings.CAMERA_CONFIG_POLL_SECONDS
                reason = self._poll_config()
                if reason:
                    return reason
            if now >= next_flush or len(self.pending) >= FLUSH_AT_EVENTS:
                self._flush()
                next_flush = now + settings.CAMERA_EVENT_FLUSH_SECONDS
            if now >= next_live:
                self._write_live_state()
                next_live = now + LIVE_STATE_EVERY_S
            if now >= next_metrics:
                self._update_status()
                self._write_metrics()
                next_metrics = now + METRICS_EVERY_S
            if now >= next_heatmap:
                self._flush_heatmap()
                next_heatmap = now + HEATMAP_FLUSH_EVERY_S
            if now >= next_heartbeat:
                if self.status == Camera.Status.ONLINE:
                    self._db(services.camera_heartbeat, self.camera_pk)
                next_heartbeat = now + settings.HEARTBEAT_INTERVAL_SECONDS
            return None

        # the open visits are closed (or left to the next runner) by _stop, depending on the reason
        return self.driver.run(self._frames(), tick=housekeeping, finish=False)

    # -- frames -----------------------------------------------------------------------------------

    def _frames(self):
        """The stream as the driver reads it, forever: a packet, or None while there is none."""
        while True:
            yield self._read()

    def _read(self) -> FramePacket | None:
        if self.source is None or self.config_error:
            self.stop_event.wait(0.2)
            return None
        try:
            packet = self.source.read(timeout=0.2)
        except SourceError as exc:
            self._set_status(Camera.Status.ERROR, str(exc))
            self.source = None
            return None
        if packet is not None:
            self._last_frame_at = time.monotonic()
            self._fit_cadence(packet)
        return packet

    def _fit_cadence(self, packet: FramePacket) -> None:
        """Once per opened stream, after 2 s of it: a stream slower than the sampling rate (a substream at
        5 fps) keeps the analysed rate by detecting more of its frames (DetectionCadence.fitted_to)."""
        seen = self._stream_times
        if seen is None:
            return
        seen.append(packet.t)
        if seen[-1] - seen[0] < 2.0 or len(seen) < 3:
            return
        self._stream_times = None
        self._stream_fps = (len(seen) - 1) / (seen[-1] - seen[0])
        fitted = self.cadence.fitted_to(self._stream_fps)
        if fitted != self.cadence:
            log.info("camera %s: the stream sends %.1f frames/s, fewer than %.1f: detecting every %d frame(s) "
                     "to keep %.1f detections/s", self.camera.camera_id, fitted.frame_rate, self.cadence.frame_rate,
                     fitted.detection_interval, fitted.detection_fps, extra=self._log)
            self.cadence = fitted
            self.driver.cadence = fitted

    def _detect(self, image):
        self._frame_size = (image.shape[1], image.shape[0])
        return self.engine.detect_camera(image, self.driver.config)  # the camera's detection plan (vision.tiling)

    @property
    def _log(self) -> dict:
        """`extra=` of the runner's log lines: camera and store as fields of a JSON log line (common/logging.py)."""
        if self.camera is None:
            return {"camera": str(self.camera_pk)}
        return {"camera": self.camera.camera_id, "store": self.camera.store.store_id}

    @property
    def pipeline(self) -> EventPipeline | None:
        """The current pipeline (None until the next analysed frame after a (re)build)."""
        return self.driver.pipeline

    @property
    def engine(self):
        if self._engine is None:
            from workers.inference import shared_engine

            self._engine = shared_engine()
        return self._engine

    # -- configuration ------------------------------------------------------------------------------

    def _build(self, reopen: bool) -> None:
        """(Re)load the pipeline config from the database; reopen the stream when asked."""
        from vision.uniform import UniformStage, store_uniform_model
        from zones.selectors import camera_pipeline_config

        camera = self.camera
        self.cadence = DetectionCadence(camera.effective_frame_rate, camera.effective_detection_interval)
        try:
            self.config = load_camera_config(camera_pipeline_config(camera))
            self.config_error = None
            # Staff by uniform (vision/uniform.py): a store's switch; its cameras share one learned model.
            self.driver.uniform = (UniformStage(store_uniform_model(camera.store.store_id))
                                   if camera.store.staff_uniform_model else None)
        except ConfigError as exc:
            self.config_error = f"config: {exc}"
            self._set_status(Camera.Status.ERROR, self.config_error)
        if reopen:
            if self.source is not None:
                self.source.close()
            self.source = None
            if not self.config_error:
                try:
                    # the detect stream (substream) when set: the pipeline takes its frame size from the
                    # frames, so zones drawn on the main stream's screenshot scale to it (vision/config.py)
                    self.source = _open_stream(camera.analysed_url, camera.effective_frame_rate)
                except StreamRefused as exc:
                    self.config_error = str(exc)
                    self._set_status(Camera.Status.ERROR, self.config_error)
        if reopen:  # measure the stream's own frame rate again (_fit_cadence)
            self._stream_times, self._stream_fps = [], None
        elif self._stream_fps:
            self.cadence = self.cadence.fitted_to(self._stream_fps)
        # the pipeline is rebuilt on the next analysed frame, with its frame size
        self.driver.reset(config=self.config, cadence=self.cadence)

    def _poll_config(self) -> str | None:
        try:
            runtime = selectors.camera_runtime(self.camera_pk)
        except DatabaseError as exc:
            log.warning("camera %s: database unavailable: %s", self.camera.camera_id, exc, extra=self._log)
            close_old_connections()
            connection.close()
            return None
        if runtime is None:
            return ExitReason.DELETED
        if not runtime.enabled:
            return ExitReason.DISABLED
        if not runtime.rtsp_url:
            return ExitReason.NO_STREAM
        if self.source is None and not self.config_error:
            self._build(reopen=True)  # the stream gave up earlier: try again
        if runtime != self.runtime:
            old, self.runtime = self.runtime, runtime
            stream_changed = ((old.rtsp_url, old.detect_url, old.frame_rate)
                              != (runtime.rtsp_url, runtime.detect_url, runtime.frame_rate))
            log.info("camera %s: configuration changed (version %s -> %s); reloading",
                     self.camera.camera_id, old.config_version, runtime.config_version, extra=self._log)
            self._flush()
            # Changed zones redefine every stay: close the open ones under the old geometry first.
            if self.pipeline is not None and self.lease.valid:
                self.driver.finish()  # the events go to self.pending (the sink)
                self._flush()
            self.camera = selectors.camera_for_runner(self.camera_pk) or self.camera
            self._build(reopen=stream_changed or self.source is None)
        return None

    # -- outputs ------------------------------------------------------------------------------------

    def _db(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DatabaseError as exc:
            log.warning("camera %s: database write failed: %s", self.camera_pk, exc, extra=self._log)
            connection.close()  # a broken connection is replaced on next use
            return None

    def _flush_heatmap(self) -> None:
        if self.heatmap is not None and self.heatmap.total:
            if self._db(camera_heatmap_add, self.camera, self.heatmap) is not None:
                self.heatmap.reset()

    def _flush(self) -> None:
        if not self.pending or self.camera is None:
            return
        batch = self.pending[:1000]
        result = self._db(services.camera_events_write, self.camera, batch)
        if result is None:
            if len(self.pending) > MAX_BUFFERED_EVENTS:
                dropped = len(self.pending) - MAX_BUFFERED_EVENTS
                del self.pending[:dropped]
                log.error("camera %s: dropped %d buffered events (database down)", self.camera.camera_id, dropped,
                          extra=self._log)
            return
        del self.pending[: len(batch)]
        self.events_written += result.accepted
        if result.rejected:
            log.warning("camera %s: %d events rejected: %s", self.camera.camera_id, len(result.rejected),
                        result.rejected[:3], extra=self._log)

    def _write_live_state(self) -> None:
        if self.pipeline is None or self.camera is None:
            return
        state = dict(self.pipeline.live_state())
        state["status"] = self.status or Camera.Status.UNKNOWN
        try:
            services.camera_live_state_write(self.camera, state, LIVE_STATE_TTL_S)
        except redis.RedisError as exc:
            log.warning("camera %s: live state not written: %s", self.camera.camera_id, exc)

    def _publish_annotated_frame(self, pipeline: EventPipeline, step: FrameStep) -> None:
        from workers.frames import annotated_frame_encode, annotated_frame_write

        try:
            annotated_frame_write(self.camera_pk, annotated_frame_encode(step.packet.image, pipeline, step.detections))
        except Exception as exc:  # a view for people, never a reason to stop counting
            log.warning("camera %s: annotated frame not written: %s", self.camera_pk, exc)

    def _set_status(self, status: str, error: str | None = None) -> None:
        if status == self.status and (error is None or status != Camera.Status.ERROR):
            return
        if status != self.status:
            log.info("camera %s: %s%s", self.camera.camera_id if self.camera else self.camera_pk, status,
                     f" ({error})" if error else "", extra=self._log)
        self.status = status
        self._db(services.camera_status_set, self.camera_pk, status, error=error)

    def _update_status(self) -> None:
        if self.config_error:
            return
        stats = self.source.stats() if self.source is not None else {}
        age = stats.get("last_frame_age")
        delivering = stats.get("status") == "connected" and age is not None and age < 5.0
        if delivering:
            if self.status != Camera.Status.ONLINE:
                self._set_status(Camera.Status.ONLINE)
        elif time.monotonic() - self._last_frame_at > settings.CAMERA_OFFLINE_AFTER_SECONDS:
            if self.status != Camera.Status.OFFLINE:
                self._set_status(Camera.Status.OFFLINE, stats.get("last_error") or "no frames from the stream")

    def _write_metrics(self) -> None:
        now = time.monotonic()
        self._recent = [(t, ms) for t, ms in self._recent if now - t <= 10.0]
        window = min(10.0, max(1.0, now - (self._recent[0][0] if self._recent else now)))
        stats = self.source.stats() if self.source is not None else {}
        values = {
            "store": self.camera.store.store_id,
            "camera": self.camera.camera_id,
            "worker": self.worker_name,
            "status": self.status or "",
            "online": 1 if self.status == Camera.Status.ONLINE else 0,
            "processed_fps": round(len(self._recent) / window, 3) if self._recent else 0,
            "detection_ms": round(sum(ms for _, ms in self._recent) / len(self._recent), 2) if self._recent else "",
            "lag_seconds": "" if self._last_lag is None else round(self._last_lag, 3),
            "frame_age_seconds": "" if stats.get("last_frame_age") is None else round(stats["last_frame_age"], 3),
            "inference_queue_depth": self._engine.depth if self._engine is not None else 0,
            **(metrics.detector_fields(self._engine, self.driver.config, getattr(self, "_frame_size", None))),
            "frames_processed_total": self.frames_processed,
            "frames_dropped_total": stats.get("frames_dropped", 0),
            "reconnects_total": stats.get("reconnects", 0),
            "events_total": self.events_written,
        }
        try:
            metrics.camera_metrics_write(self.client, self.camera_pk, values)
        except redis.RedisError as exc:
            log.warning("camera %s: metrics not written: %s", self.camera.camera_id, exc)

    # -- shutdown -----------------------------------------------------------------------------------

    def _stop(self, reason: str) -> None:
        try:
            if reason in (ExitReason.DISABLED, ExitReason.NO_STREAM, ExitReason.STOPPED) and self.pipeline is not None:
                # the camera stops here and nobody takes over: close the visits in progress now
                self.driver.finish()  # the events go to self.pending (the sink)
            if reason != ExitReason.DELETED:
                self._flush()
                self._flush_heatmap()
            if self.source is not None:
                self.source.close()
                self.source = None
            if reason in (ExitReason.DISABLED, ExitReason.NO_STREAM):
                why = "disabled" if reason == ExitReason.DISABLED else "no stream URL"
                self._set_status(Camera.Status.OFFLINE, why)
            try:
                metrics.camera_metrics_delete(self.client, self.camera_pk)
            except redis.RedisError:
                pass
        finally:
            if self.lease is not None:
                leases.lease_journal_add(self.camera_pk, "stop", self.lease.token, self.client, reason=reason)
                self.lease.release()
            log.info("camera %s: runner stopped (%s)", self.camera.camera_id if self.camera else self.camera_pk,
                     reason, extra=self._log)
            connection.close()
