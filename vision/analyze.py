"""Offline analysis of a video file or RTSP stream: source → detector → pipeline → files.

Writes ``detections.txt`` (MOT det.txt at the camera's detection fps), ``tracks.txt``, ``events.jsonl`` and
``summary.json`` into ``out_dir`` (GUIDE.md §3), optionally an annotated MP4.

Frames are sampled at ``config.fps * detection_interval`` (12 fps for a 4 fps camera and interval 3) and
every ``detection_interval``-th sampled frame is detected, so ``detections.txt`` replays with
``manage.py replay`` at the camera's ``fps``. The annotated video has every sampled frame, with the
latest tracks drawn between detections.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .config import CameraConfig
from .driver import FrameSink, FrameStep, PipelineDriver
from .mot import write_det_txt, write_tracks
from .pipeline import EventPipeline
from .sources import DetectionCadence, FramePacket, FrameSource, RtspSource, SourceError, VideoFileSource, open_source
from .tiling import PlanError

log = logging.getLogger(__name__)


class AnalyzeError(Exception):
    """Analysis could not complete; the message is one line naming the cause."""


@dataclass
class AnalyzeResult:
    out_dir: Path
    summary: dict
    frames: int = 0
    detected_frames: int = 0
    detections: int = 0
    events: int = 0
    elapsed_s: float = 0.0
    detect_s: float = 0.0
    frame_size: tuple[int, int] | None = None
    annotated: Path | None = None
    source_stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    detector: str = ""  # "backend precision (cpu feature) input/tiles" (Detector.describe)

    @property
    def ms_per_detection(self) -> float:
        return 1000 * self.detect_s / self.detected_frames if self.detected_frames else 0.0


class AnalyzeSink(FrameSink):
    """The analysis outputs: detections.txt, tracks.txt, events.jsonl, the annotated video, a progress bar."""

    def __init__(self, out_dir: Path, result: AnalyzeResult, writer=None, bar=None):
        self.result, self.writer, self.bar = result, writer, bar
        self.counters = {"in": 0, "out": 0}
        self.files = {
            "det": (out_dir / "detections.txt").open("w", encoding="utf-8"),
            "tracks": (out_dir / "tracks.txt").open("w", encoding="utf-8"),
            "events": (out_dir / "events.jsonl").open("w", encoding="utf-8"),
        }

    def on_start(self, pipeline: EventPipeline, packet: FramePacket | None) -> None:
        if packet is not None:
            h, w = packet.image.shape[:2]
            self.result.frame_size = (w, h)

    def on_events(self, events: list[dict]) -> None:
        for ev in events:
            self.files["events"].write(json.dumps(ev, sort_keys=True) + "\n")
            if ev.get("type") == "entrance" and ev.get("direction") in self.counters:
                self.counters[ev["direction"]] += 1
        self.result.events += len(events)

    def on_frame(self, pipeline: EventPipeline | None, step: FrameStep) -> None:
        if step.detected:
            write_det_txt(self.files["det"], step.frame_no, step.detections)
            write_tracks(self.files["tracks"], step.frame_no, pipeline.tracks)
        if self.writer is not None and pipeline is not None:
            from .annotate import draw_overlay

            draw_overlay(step.packet.image, pipeline.config, pipeline.tracks, self.counters, pipeline.live_state(),
                         step.detections if step.detected else (), t=step.t, key_of=pipeline.person_key_of)
            self.writer.write(step.packet.image)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()
        if self.writer is not None:
            self.writer.close()
        if self.bar is not None:
            self.bar.close()


def _whole_frame(detector):
    return lambda image: detector.detect([image])[0]


def _describe(detector, config, frame_size) -> str:
    """``backend precision (cpu feature) input/tiles`` of the run (the plan's, or the single letterbox)."""
    if not hasattr(detector, "describe"):
        return getattr(detector, "name", type(detector).__name__)
    plan = detector.plan_for(frame_size, config) if config is not None and frame_size else None
    return detector.describe(plan)


def detector_default():
    """The detector the environment describes (vision.detector_config: DETECTOR_BACKEND, ...)."""
    from .detectors import DetectorConfig, detector_create

    return detector_create(DetectorConfig.from_env())


def analyze(
    source: str | Path | FrameSource,
    config: CameraConfig,
    out_dir: str | Path,
    detector=None,
    *,
    start_time: datetime | None = None,
    annotate_path: str | Path | None = None,
    detection_interval: int = 3,
    max_seconds: float | None = None,
    max_frames: int | None = None,
    progress: bool = False,
    rtsp_retries: int = 3,
    letterbox: bool = False,
) -> AnalyzeResult:
    """Run the whole pipeline over ``source``; raises :class:`AnalyzeError` (SourceError for sources).

    A stream (rtsp://) runs until ``max_seconds``/``max_frames``, KeyboardInterrupt, or until it is lost and
    ``rtsp_retries`` reconnects fail; the outputs cover what was seen.

    Frames go through the camera's detection plan (vision.tiling: region, scale, tiles); ``letterbox``: one
    letterbox of the whole frame at the detector's imgsz instead (the old behaviour, a baseline)."""
    cadence = DetectionCadence.for_detection_fps(config.fps, detection_interval)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if detector is None:
        detector = detector_default()
    started = time.monotonic()
    if isinstance(source, FrameSource):
        src = source
    else:
        src = open_source(
            source,
            sample_fps=cadence.frame_rate,
            start_time=start_time,
            require_connection=True,
            max_reconnect_attempts=rtsp_retries,
            max_frames=max_frames,
        )
    live = src.is_live
    if start_time is None:
        start_time = getattr(src, "start_time", None) or datetime.now(UTC)
    if start_time.tzinfo is None:
        start_time = start_time.replace(tzinfo=UTC)

    result = AnalyzeResult(out_dir=out_dir, summary={})
    sink = AnalyzeSink(out_dir, result)
    try:
        if annotate_path:
            from .annotate import VideoWriter

            sink.writer = VideoWriter(annotate_path, cadence.frame_rate)
            result.annotated = Path(annotate_path)
        if progress:
            from tqdm import tqdm

            total = getattr(src, "expected_samples", None)
            if max_frames and total:
                total = min(total, max_frames)
            sink.bar = tqdm(total=total, unit="frame", desc="analyze", dynamic_ncols=True, leave=False)
        # a stream's first frame is at t=0 of the analysis
        planned = detector if not letterbox or not hasattr(detector, "detect") else _whole_frame(detector)
        driver = PipelineDriver(config, sink, detector=planned, cadence=cadence, start_time=start_time)
        try:
            driver.run(src, max_frames=max_frames, max_seconds=max_seconds, finish=False)
        except KeyboardInterrupt:
            if not live:
                raise
            result.warnings.append("interrupted")
        except PlanError as exc:
            raise AnalyzeError(f"camera config: {exc}") from None
        except SourceError as exc:
            if not live or driver.pipeline is None:
                raise
            # the stream was lost for good: keep what we have, report it
            result.warnings.append(str(exc))
        finally:
            result.frames = driver.frames
            result.detected_frames = driver.detected_frames
            result.detections = driver.detections
            result.detect_s = driver.detect_s
        if driver.pipeline is None:
            raise SourceError(f"no frame received from {getattr(src, 'safe_url', src.uri)}")
        driver.finish()
        result.detector = _describe(detector, None if letterbox else config, result.frame_size)
        result.summary = driver.summary()
        (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")
    finally:
        sink.close()
        result.source_stats = src.stats()
        src.close()
    if isinstance(src, VideoFileSource) and src.truncated:
        raise AnalyzeError(
            f"video is truncated or corrupt: decoded {src.decoded} of {src.frame_count} frames of {src.path} "
            f"(outputs in {out_dir} cover the first {src.decoded / src.native_fps:.1f} s)"
        )
    if isinstance(src, RtspSource) and result.warnings:
        log.warning("stream %s: %s", src.safe_url, "; ".join(result.warnings))
    result.elapsed_s = time.monotonic() - started
    return result
