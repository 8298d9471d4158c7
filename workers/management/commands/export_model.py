"""`manage.py export_model MODEL [--out DIR] [--imgsz 640] [--int8 --calibration VIDEO]`

MODEL.pt → ONNX (dynamic batch and size) + OpenVINO IR via ultralytics (needs requirements-gpu.txt);
MODEL.onnx → OpenVINO IR without torch; --int8 adds an NNCF-quantized INT8 IR calibrated on VIDEO.
Needs no database. Logic lives in vision.export.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Export a detection model to ONNX and OpenVINO (FP32, optionally INT8)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("model", help="a .pt (ultralytics), .onnx or OpenVINO .xml model")
        parser.add_argument("--out", default=None, help="output directory (default: next to the model)")
        parser.add_argument("--imgsz", type=int, default=640, help="input size (long side) for export/calibration")
        parser.add_argument("--int8", action="store_true", help="also write an INT8 OpenVINO model (NNCF)")
        parser.add_argument("--calibration", help="video whose frames calibrate INT8 (the camera's own footage)")
        parser.add_argument("--calibration-frames", type=int, default=120)
        parser.add_argument("--max-accuracy-drop", type=float, default=None,
                            help="INT8 accuracy control: revert sensitive layers to float until the INT8 model's "
                                 "person boxes agree with FP32's (F1 at IoU 0.5) within DROP, e.g. 0.01, on "
                                 "the calibration frames (a few minutes)")

    def handle(self, *args, **opts):
        from vision.detectors import DetectorError
        from vision.export import ExportError, export_model

        model = Path(opts["model"])
        if not model.exists():
            raise CommandError(f"model file not found: {model}")
        if opts["imgsz"] < 32 or opts["imgsz"] % 32:
            raise CommandError(f"--imgsz must be a multiple of 32, got {opts['imgsz']}")
        if opts["int8"] and not opts["calibration"]:
            raise CommandError("--int8 needs --calibration VIDEO (frames from the camera to calibrate on)")
        if opts["calibration"] and not Path(opts["calibration"]).is_file():
            raise CommandError(f"calibration video not found: {opts['calibration']}")
        out = Path(opts["out"]) if opts["out"] else model.resolve().parent
        try:
            result = export_model(model, out, imgsz=opts["imgsz"], int8=opts["int8"],
                                  calibration_video=opts["calibration"],
                                  calibration_frames_count=opts["calibration_frames"],
                                  max_accuracy_drop=opts["max_accuracy_drop"])
        except (ExportError, DetectorError) as exc:
            raise CommandError(str(exc)) from None
        outputs = (("onnx", result.onnx), ("openvino", result.openvino), ("openvino-int8", result.openvino_int8))
        for label, path in outputs:
            if path is not None:
                self.stdout.write(f"{label}: {path}")
