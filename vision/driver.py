"""The frame loop, once: source → detector → EventPipeline (tracker → zones → events) → sink.

Every home of the pipeline drives it through :class:`PipelineDriver` with its own source and sink:

- ``workers/runner.CameraRunner`` (central mode): a polled stream, leases and database writes in its sink
  and in the per-iteration ``tick``;
- ``edge/collector.EdgeCameraLoop`` (edge mode): events into the durable buffer;
- ``vision/analyze.analyze`` (``manage.py analyze_video``): detections.txt, tracks.txt, events, video;
- ``vision/replay.replay`` (``manage.py replay``) and ``workers/demo``: detections instead of frames.

    driver = PipelineDriver(config, sink, detector=detector, cadence=DetectionCadence(12, 3))
    reason = driver.run(source)          # until the source ends or a stop is requested
    driver.summary()

One sampled frame (:meth:`PipelineDriver.process`): when the cadence says so, the pipeline is created if
there is none (frame size from the image, start time and person-key prefix from the first detected
frame), the detector runs, the sink may still refuse the frame (``accept``), the pipeline is updated and
the sink hears of the events (``on_events``) and of the frame (``on_frame``, every sampled frame,
detected or not). A detections source (:meth:`PipelineDriver.run_detections`: ``(frame, t, detections)``
rows such as vision.mot.iter_frames gives) skips the detector.

Times given to the pipeline are seconds since its start time. ``time_origin="first_frame"`` (default):
the start time is ``start_time`` or the first detected frame's wall time, and that frame is t = 0.
``time_origin="stream"``: the start time is ``start_time`` or the wall time at which the stream's t = 0
was, and the stream's own t is used.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import CameraConfig
from .pipeline import EventPipeline
from .sources import DetectionCadence, FramePacket
from .types import Detection

Detect = Callable[[Any], list[Detection]]


class StopReason:
    ENDED = "ended"  # the source has no more frames
    STOPPED = "stopped"  # the stop event was set, or request_stop()
    MAX_FRAMES = "max_frames"
    MAX_SECONDS = "max_seconds"


@dataclass
class FrameStep:
    """What happened to one sampled frame (or one row of a detections source)."""

    index: int  # 0-based index among sampled frames
    t: float  # pipeline time (seconds since the pipeline's start time)
    packet: FramePacket | None  # None for a detections source
    detection_index: int | None = None  # 0-based among detected frames (MOT frame number - 1); None: not detected
    detections: list[Detection] | None = None  # None when the frame was not detected
    detect_s: float = 0.0
    events: list[dict] = field(default_factory=list)

    @property
    def detected(self) -> bool:
        return self.detections is not None

    @property
    def frame_no(self) -> int | None:
        """MOTChallenge frame number (from 1) of a detected frame."""
        return None if self.detection_index is None else self.detection_index + 1


class FrameSink:
    """What a driver's user hears. Every hook is optional: subclass and override what you need."""

    def on_start(self, pipeline: EventPipeline, packet: FramePacket | None) -> None:
        """A new pipeline was created (before its first frame is detected)."""

    def accept(self, step: FrameStep) -> bool:
        """Called after detection: False drops the frame (e.g. the camera's lease was lost meanwhile)."""
        return True

    def on_detect_error(self, step: FrameStep, error: Exception) -> None:
        """The detector raised: re-raise (default), or return to skip the frame and go on."""
        raise error

    def on_events(self, events: list[dict]) -> None:
        """Events out of the pipeline (never an empty list); from an update or from finish()."""

    def on_frame(self, pipeline: EventPipeline | None, step: FrameStep) -> None:
        """After every sampled frame, detected or not (annotation, heatmap, live state, counters)."""

    def on_finish(self, pipeline: EventPipeline) -> None:
        """The pipeline closed its open stays (their events went to on_events first)."""


class CollectSink(FrameSink):
    """Keeps every event in ``events``."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def on_events(self, events: list[dict]) -> None:
        self.events.extend(events)


def as_detect(detector: Any, config_of: Callable[[], CameraConfig | None] | None = None) -> Detect | None:
    """A function image -> detections from a Detector (``detect(images)`` batched) or a callable.

    With ``config_of`` (the camera config now), the camera's detection plan (vision.tiling) is used: a
    detector's (or the shared engine's) ``detect_camera(image, config)``, or a callable's ``config=`` keyword."""
    if detector is None:
        return None
    camera = getattr(detector, "detect_camera", None)
    if camera is not None and config_of is not None:
        return lambda image: camera(image, config_of())
    batched = getattr(detector, "detect", None)
    if batched is not None:
        return lambda image: batched([image])[0]
    if callable(detector):
        if config_of is not None and _takes_config(detector):
            return lambda image: detector(image, config=config_of())
        return detector
    raise TypeError(f"not a detector: {detector!r} (needs detect(images) or to be callable with an image)")


def _takes_config(fn: Callable) -> bool:
    try:
        return "config" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class PipelineDriver:
    """Runs frames (or detections) through one EventPipeline at a time, and tells a sink about it.

    ``config`` may change between pipelines (:meth:`reset`); ``tracker`` is used by the first pipeline only.
    ``person_key_prefix`` is a string or a function of the first detected packet. ``cadence`` None: every
    sampled frame is detected."""

    def __init__(
        self,
        config: CameraConfig | None,
        sink: FrameSink | None = None,
        *,
        detector: Any = None,
        cadence: DetectionCadence | None = None,
        start_time: datetime | None = None,
        frame_size: tuple[int, int] | None = None,
        tracker=None,
        person_key_prefix: str | Callable[[FramePacket], str] = "",
        time_origin: str = "first_frame",
    ):
        if time_origin not in ("first_frame", "stream"):
            raise ValueError(f"time_origin must be 'first_frame' or 'stream', got {time_origin!r}")
        self.config = config
        self.sink = sink or FrameSink()
        self.detect = as_detect(detector, lambda: self.config)
        self.cadence = cadence
        self.start_time = start_time
        self.frame_size = frame_size
        self.person_key_prefix = person_key_prefix
        self.time_origin = time_origin
        self._tracker = tracker
        self.uniform = None  # optional vision.uniform.UniformStage: staff told by their uniform (needs pixels)
        self._t0 = 0.0
        self._stop = threading.Event()
        self.pipeline: EventPipeline | None = None
        self.finished = False
        # counters over the driver's life
        self.frames = 0
        self.detected_frames = 0
        self.detections = 0
        self.events = 0
        self.detect_s = 0.0

    # -- pipeline life ------------------------------------------------------------------------------

    def start(self, packet: FramePacket | None = None) -> EventPipeline:
        """Create the pipeline: frame size from the packet's image (else ``frame_size``), times per
        ``time_origin``. Called by process() on the first detected frame; call it for detections."""
        if self.config is None:
            raise RuntimeError("PipelineDriver has no camera config")
        frame_size = self.frame_size
        start, t0 = self.start_time, 0.0
        if packet is not None:
            h, w = packet.image.shape[:2]
            frame_size = (w, h)
            if self.time_origin == "stream":
                start = start or packet.wall_time - timedelta(seconds=packet.t)
            else:
                start = start or packet.wall_time
                t0 = packet.t
        if start is None:
            start = datetime.now(UTC)
        prefix = self.person_key_prefix
        if callable(prefix):
            prefix = prefix(packet)
        self.pipeline = EventPipeline(self.config, start, frame_size=frame_size, tracker=self._tracker,
                                      person_key_prefix=prefix)
        self._tracker = None
        self._t0 = t0
        self.finished = False
        self.sink.on_start(self.pipeline, packet)
        return self.pipeline

    def reset(self, config: CameraConfig | None = None, cadence: DetectionCadence | None = None) -> None:
        """Drop the pipeline without closing its stays (a new one starts on the next detected frame);
        optionally with a new camera config and cadence."""
        if config is not None:
            self.config = config
        if cadence is not None:
            self.cadence = cadence
        self.pipeline = None
        self.finished = False

    def finish(self) -> list[dict]:
        """Close the open stays: their events go to the sink. Once per pipeline."""
        if self.pipeline is None or self.finished:
            return []
        self.finished = True
        events = self.pipeline.finish()
        self._emit(events)
        self.sink.on_finish(self.pipeline)
        return events

    def summary(self) -> dict:
        return self.pipeline.summary() if self.pipeline is not None else {}

    def request_stop(self) -> None:
        """Stop run()/run_detections() before the next frame (thread-safe)."""
        self._stop.set()

    # -- one frame ---------------------------------------------------------------------------------

    def process(self, packet: FramePacket) -> list[dict]:
        """One sampled frame; returns the events it produced."""
        self.frames += 1
        det_index = packet.index if self.cadence is None else self.cadence.detection_index(packet.index)
        step = FrameStep(packet.index, packet.t - self._t0 if self.pipeline is not None else packet.t, packet,
                         det_index)
        if det_index is not None:
            if self.detect is None:
                raise RuntimeError("PipelineDriver has no detector for frames")
            if self.pipeline is None:
                self.start(packet)
                step.t = packet.t - self._t0
            started = time.perf_counter()
            try:
                detections = self.detect(packet.image)
            except Exception as exc:
                self.sink.on_detect_error(step, exc)  # raises unless the sink chooses to go on
                return []
            step.detect_s = time.perf_counter() - started
            self.detect_s += step.detect_s
            self.detected_frames += 1
            self.detections += len(detections)
            step.detections = detections
            if not self.sink.accept(step):
                return []
            step.events = self.pipeline.update(step.t, detections)
            if self.uniform is not None:
                step.events += self.uniform.observe(self.pipeline, packet.image, step.t)
            self._emit(step.events)
        self.sink.on_frame(self.pipeline, step)
        return step.events

    def feed(self, index: int, t: float, detections: list[Detection]) -> list[dict]:
        """One row of a detections source (``index`` 0-based, ``t`` seconds of pipeline time)."""
        if self.pipeline is None:
            self.start()
        self.frames += 1
        self.detected_frames += 1
        self.detections += len(detections)
        step = FrameStep(index, t, None, index, list(detections))
        if not self.sink.accept(step):
            return []
        step.events = self.pipeline.update(t, detections)
        self._emit(step.events)
        self.sink.on_frame(self.pipeline, step)
        return step.events

    def _emit(self, events: list[dict]) -> None:
        if events:
            self.events += len(events)
            self.sink.on_events(events)

    # -- loops -------------------------------------------------------------------------------------

    def run(
        self,
        source: Iterable[FramePacket | None],
        *,
        stop: threading.Event | None = None,
        tick: Callable[[], str | None] | None = None,
        max_frames: int | None = None,
        max_seconds: float | None = None,
        finish: bool = True,
        close_source: bool = False,
    ) -> str:
        """Process the source's frames until it ends, ``stop`` (or request_stop()) is set, ``tick`` returns a
        reason, or ``max_frames`` sampled frames / ``max_seconds`` of pipeline time were processed. Returns
        the reason (StopReason or tick's). A ``None`` from the source means "no frame yet" (a polled
        stream). ``tick`` runs before each read (housekeeping); a stop set while a read blocked drops that
        frame. With ``finish`` the pipeline closes its open stays at the end (not when an exception ends
        the loop); ``close_source`` closes the source whatever happens."""
        iterator: Iterator[FramePacket | None] = iter(source)
        try:
            while True:
                if tick is not None:
                    reason = tick()
                    if reason:
                        break
                if self._stopped(stop):
                    reason = StopReason.STOPPED
                    break
                try:
                    packet = next(iterator)
                except StopIteration:
                    reason = StopReason.ENDED
                    break
                if self._stopped(stop):
                    reason = StopReason.STOPPED
                    break
                if packet is None:
                    continue
                self.process(packet)
                if max_frames and self.frames >= max_frames:
                    reason = StopReason.MAX_FRAMES
                    break
                if max_seconds is not None and self.pipeline is not None and packet.t - self._t0 >= max_seconds:
                    reason = StopReason.MAX_SECONDS
                    break
            if finish:
                self.finish()
            return reason
        finally:
            if close_source and hasattr(source, "close"):
                source.close()

    def run_detections(
        self,
        rows: Iterable[tuple[int, float, list[Detection]]],
        *,
        stop: threading.Event | None = None,
        finish: bool = True,
    ) -> str:
        """Process ``(frame number from 1, t, detections)`` rows (vision.mot.iter_frames); the pipeline is
        created first (``frame_size``, ``start_time``), so an empty source still has a summary."""
        if self.pipeline is None:
            self.start()
        reason = StopReason.ENDED
        for number, t, detections in rows:
            if self._stopped(stop):
                reason = StopReason.STOPPED
                break
            self.feed(number - 1, t, detections)
        if finish:
            self.finish()
        return reason

    def _stopped(self, stop: threading.Event | None) -> bool:
        return self._stop.is_set() or (stop is not None and stop.is_set())
