"""`manage.py analyze_video SOURCE --camera CAMERA.json --out DIR [--annotate OUT.mp4]`

Runs the vision pipeline over a video file or an rtsp:// URL and writes detections.txt, tracks.txt,
events.jsonl and summary.json into DIR. Needs no database. Logic lives in vision.analyze.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vision.sources import is_stream_uri, mask_url
from workers.management.commands._options import parse_start


def _quiet_opencv(verbosity: int) -> None:
    """OpenCV/FFmpeg warnings would turn a one-line error into a wall of text."""
    if verbosity > 1:
        return
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read when FFmpeg is first used
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    # the sources log reconnects and truncation as warnings; the command reports them itself
    logging.getLogger("vision").setLevel(logging.ERROR)


class Command(BaseCommand):
    help = "Analyze a video file or RTSP stream: detections.txt, tracks.txt, events.jsonl, summary.json."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("source", help="video file or rtsp:// URL")
        parser.add_argument("--camera", required=True, help="camera config (JSON or YAML, GUIDE.md §3)")
        parser.add_argument("--out", required=True, help="output directory")
        parser.add_argument("--annotate", help="write an annotated MP4 here")
        parser.add_argument("--backend", default=None,
                            choices=["onnxruntime", "openvino", "ultralytics"],
                            help="detector backend (default: DETECTOR_BACKEND; ultralytics for a .pt model)")
        parser.add_argument("--model", default=settings.DETECTOR_MODEL_PATH or None,
                            help="model file (.onnx, OpenVINO .xml, .pt for ultralytics; default: DETECTOR_MODEL_PATH)")
        parser.add_argument("--device", default=settings.MODEL_DEVICE, help="cpu or cuda[:n] (default: MODEL_DEVICE)")
        parser.add_argument("--precision", default=settings.DETECTOR_PRECISION,
                            choices=["fp32", "bf16", "int8", "auto"],
                            help="OpenVINO precision (auto: int8 for a quantized model, else bf16 if the CPU has it)")
        parser.add_argument("--conf", type=float, default=settings.DETECTOR_CONF,
                            help="detection confidence threshold (default: DETECTOR_CONF)")
        parser.add_argument("--iou", type=float, default=settings.DETECTOR_IOU,
                            help="NMS IoU threshold (default: DETECTOR_IOU)")
        parser.add_argument("--imgsz", type=int, default=settings.DETECTOR_IMGSZ,
                            help="network input size (long side) of --letterbox and of ultralytics")
        parser.add_argument("--letterbox", action="store_true",
                            help="one letterbox of the whole frame at --imgsz instead of the camera's detection "
                                 "plan (detect_* keys of the camera config): the old behaviour, for baselines")
        parser.add_argument("--threads", type=int, default=None,
                            help="inference threads (default: DETECTOR_THREADS; 0: the backend's default)")
        parser.add_argument("--start", help="ISO time of the first frame (default: now)")
        parser.add_argument("--detection-interval", type=int, default=None,
                            help="detect every Nth sampled frame (default: DETECTION_INTERVAL); "
                                 "frames are sampled at camera fps x N")
        parser.add_argument("--max-seconds", type=float, default=None, help="stop after this much stream time")
        parser.add_argument("--max-frames", type=int, default=None, help="stop after this many sampled frames")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        from vision.analyze import AnalyzeError, analyze
        from vision.config import ConfigError, load_camera_config
        from vision.detectors import DetectorError, detector_create
        from vision.sources import SourceError

        _quiet_opencv(opts["verbosity"])
        source = opts["source"]
        shown = mask_url(source)
        if not is_stream_uri(source) and not Path(source).is_file():
            raise CommandError(f"video file not found: {source}")
        camera_path = Path(opts["camera"])
        if not camera_path.is_file():
            raise CommandError(f"camera config not found: {camera_path}")
        try:
            config = load_camera_config(camera_path)
        except ConfigError as exc:
            raise CommandError(f"camera config {camera_path}: {exc}") from None
        interval = opts["detection_interval"] or settings.DETECTION_INTERVAL
        if interval < 1:
            raise CommandError("--detection-interval must be >= 1")
        start = parse_start(opts["start"])
        try:
            # the settings' DetectorConfig (DETECTOR_* environment), with the command line's options over it
            is_torch_model = str(opts["model"] or "").endswith(".pt")
            backend = opts["backend"] or ("auto" if is_torch_model else settings.DETECTOR.backend)
            detector_config = settings.DETECTOR.replace(
                backend=backend, model_path=opts["model"] or "", device=opts["device"], conf=opts["conf"],
                iou=opts["iou"], imgsz=opts["imgsz"], threads=opts["threads"], precision=opts["precision"],
            )
            detector = detector_create(detector_config)
        except DetectorError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = analyze(
                source, config, opts["out"], detector,
                start_time=start, annotate_path=opts["annotate"], detection_interval=interval,
                max_seconds=opts["max_seconds"], max_frames=opts["max_frames"],
                progress=not opts["no_progress"], letterbox=opts["letterbox"],
            )
        except (SourceError, AnalyzeError, DetectorError) as exc:
            raise CommandError(mask_url(str(exc))) from None
        except OSError as exc:
            raise CommandError(f"{shown}: {exc}") from None
        s = result.summary
        footfall = s.get("footfall", {})
        self.stdout.write(
            f"{shown}: {result.frames} frames ({result.detected_frames} detected, "
            f"{result.ms_per_detection:.1f} ms/detection with {result.detector or detector.name}), "
            f"{result.events} events, "
            f"in {footfall.get('in', 0)} / out {footfall.get('out', 0)}, {s.get('unique_tracks', 0)} tracks "
            f"-> {result.out_dir}" + (f", annotated {result.annotated}" if result.annotated else "")
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {mask_url(warning)}")
