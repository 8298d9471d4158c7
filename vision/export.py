"""Model export: ultralytics ``.pt`` → ONNX + OpenVINO IR, and OpenVINO INT8 quantization (NNCF).

Optional dependencies: torch + ultralytics for ``.pt`` export (``requirements-gpu.txt``), ``nncf`` for INT8
(``requirements-int8.txt``, no torch). None of them is imported on the inference path; an ``.onnx`` model
converts to OpenVINO without torch.

INT8 calibration uses frames of the deployment's own video, preprocessed exactly like the detector does
(rectangular letterbox), so nothing is downloaded; see ``head_ignored_scope`` for what stays float.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .detectors import DEFAULT_IMGSZ, DetectorError, ModelNotFoundError, preprocess

log = logging.getLogger(__name__)


class ExportError(Exception):
    """Export failed; one line naming the cause."""


@dataclass
class ExportResult:
    onnx: Path | None = None
    openvino: Path | None = None
    openvino_int8: Path | None = None
    notes: list[str] = field(default_factory=list)


def _no_network_installs() -> None:
    # ultralytics pip-installs missing requirements at run time unless told not to; never let it
    os.environ["YOLO_AUTOINSTALL"] = "False"
    os.environ["YOLO_OFFLINE"] = "True"
    os.environ.setdefault("YOLO_VERBOSE", "False")


def export_pt(model_pt: str | Path, out_dir: str | Path, imgsz: int = DEFAULT_IMGSZ) -> tuple[Path, Path]:
    """ultralytics export of a ``.pt`` to ONNX (dynamic batch and size) and OpenVINO IR (FP32)."""
    model_pt = Path(model_pt)
    if not model_pt.is_file():
        raise ModelNotFoundError(model_pt)
    _no_network_installs()
    try:
        import torch  # noqa: F401
        from ultralytics import YOLO
    except ImportError as exc:
        raise ExportError(
            f"exporting a .pt model needs torch and ultralytics ({exc.name} missing): "
            "pip install -r requirements-gpu.txt"
        ) from None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        # ultralytics writes next to the .pt: work on a copy so a read-only install dir is fine
        work = Path(tmp) / model_pt.name
        shutil.copy2(model_pt, work)
        try:
            model = YOLO(str(work))
            onnx = Path(model.export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False, verbose=False))
            ov_dir = Path(YOLO(str(work)).export(format="openvino", imgsz=imgsz, dynamic=True, verbose=False))
        except Exception as exc:
            raise ExportError(f"ultralytics export of {model_pt} failed: {str(exc).splitlines()[0]}") from exc
        onnx_out = out_dir / f"{model_pt.stem}.onnx"
        shutil.move(str(onnx), onnx_out)
        ov_out = out_dir / f"{model_pt.stem}_openvino"
        if ov_out.exists():
            shutil.rmtree(ov_out)
        shutil.move(str(ov_dir), ov_out)
    xml = next(ov_out.glob("*.xml"))
    return onnx_out, xml


def onnx_to_openvino(onnx_path: str | Path, out_xml: str | Path) -> Path:
    """Convert an ONNX model to OpenVINO IR (FP32 weights) without torch."""
    import openvino as ov

    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise ModelNotFoundError(onnx_path)
    out_xml = Path(out_xml)
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    model = ov.convert_model(str(onnx_path))
    ov.save_model(model, str(out_xml), compress_to_fp16=False)
    return out_xml


def calibration_frames(video: str | Path, count: int = 120, stride_s: float | None = None) -> list:
    """Up to ``count`` frames spread over the whole video (BGR)."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ExportError(f"cannot open calibration video {video}")
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    step = max(1, total // count) if total else 1
    frames, i = [], 0
    while len(frames) < count:
        ok, image = cap.read()
        if not ok:
            break
        if i % step == 0:
            frames.append(image)
        i += 1
    cap.release()
    if not frames:
        raise ExportError(f"no frame could be read from calibration video {video}")
    return frames


def head_ignored_scope(model):
    """NNCF scope kept float: elementwise arithmetic everywhere, and the YOLO head but for its box branch.

    - Sigmoid/Multiply/Divide/Subtract: the SiLU activations (``x * sigmoid(x)`` in ONNX) and the
      attention scaling. Quantizing their inputs puts FakeQuantize between each convolution and its
      activation, which breaks OpenVINO's conv+activation fusion: slower *and* less accurate.
    - The head's class branch decides which people are found at all (recall) and the box decoding (DFL,
      anchors) is arithmetic that int8 would only blur; the box branch's 3x3 convolutions are a fifth of
      the network's work and quantize well. Ultralytics names the head ``/model.N/`` with ``cv2`` (boxes)
      and ``cv3`` (classes); a model named otherwise keeps its whole head float."""
    import nncf

    ops = model.get_ordered_ops()
    sigmoids = [op.get_friendly_name() for op in ops if op.get_type_name() == "Sigmoid"]
    if not sigmoids:
        return None
    arithmetic = [op.get_friendly_name() for op in ops
                  if op.get_type_name() in ("Sigmoid", "Multiply", "Divide", "Subtract")]
    # ONNX names look like "/model.23/Sigmoid": the head prefix is "/model.23/"
    name = sigmoids[-1]
    parts = name.strip("/").split("/")
    prefix = ("/" if name.startswith("/") else "") + parts[0] + "/"
    head = [op.get_friendly_name() for op in ops if op.get_friendly_name().startswith(prefix)]
    box_branch = f"{prefix}cv2"
    if any(n.startswith(box_branch) for n in head) and any(n.startswith(f"{prefix}cv3") for n in head):
        head = [n for n in head if not n.startswith(box_branch)]
    return nncf.IgnoredScope(names=sorted(set(head + arithmetic)), validate=False)


def quantize_int8(
    model_path: str | Path,
    calibration: str | Path | list,
    out_xml: str | Path,
    imgsz: int = DEFAULT_IMGSZ,
    frames: int = 120,
    keep_head_float: bool = True,
    max_accuracy_drop: float | None = None,
) -> Path:
    """Post-training INT8 quantization (NNCF) of an ONNX or OpenVINO model, calibrated on a video (or a list
    of BGR frames).

    With ``max_accuracy_drop`` (e.g. 0.01), NNCF's accuracy control keeps reverting the most sensitive layers
    to float until the INT8 model's person boxes agree with the FP32 model's (F1 at IoU 0.5) within that
    much on the calibration frames. It ranks every quantized layer: minutes, once per deployment."""
    try:
        import nncf
    except ImportError:
        raise ExportError("INT8 quantization needs nncf: pip install -r requirements-int8.txt") from None
    import openvino as ov

    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelNotFoundError(model_path)
    images = calibration if isinstance(calibration, list) else calibration_frames(calibration, frames)
    try:
        model = ov.Core().read_model(str(model_path))
    except Exception as exc:
        raise DetectorError(f"cannot load model {model_path}: {str(exc).splitlines()[0]}") from exc
    ignored = head_ignored_scope(model) if keep_head_float else None
    if max_accuracy_drop is None:
        dataset = nncf.Dataset(images, lambda image: preprocess([image], imgsz)[0])
        quantized = nncf.quantize(model, dataset, preset=nncf.QuantizationPreset.MIXED, subset_size=len(images),
                                  ignored_scope=ignored)
    else:
        blobs = [preprocess([image], imgsz)[0] for image in images]
        validate = _agreement_validator(model, blobs)
        dataset = nncf.Dataset(blobs)
        quantized = nncf.quantize_with_accuracy_control(
            model, dataset, dataset, validation_fn=validate, max_drop=max_accuracy_drop,
            drop_type=nncf.DropType.ABSOLUTE, preset=nncf.QuantizationPreset.MIXED, subset_size=len(blobs),
            ignored_scope=ignored,
        )
    out_xml = Path(out_xml)
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(out_xml), compress_to_fp16=False)
    return out_xml


def _agreement_validator(model, blobs: list):
    """validation_fn for NNCF: agreement (F1 at IoU 0.5) of the candidate model's person boxes with FP32's."""
    import numpy as np
    import openvino as ov

    from .detectors import DEFAULT_CONF, DEFAULT_IOU, Letterbox, postprocess

    def boxes(compiled, blob):
        h, w = blob.shape[2:]
        out = compiled(blob)[compiled.outputs[0]]
        dets = postprocess(out, [Letterbox(1.0, 0, 0, w, h)], DEFAULT_CONF, DEFAULT_IOU)[0]
        return np.array([d.box for d in dets], dtype=np.float64).reshape(-1, 4)

    fp32 = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    refs = [boxes(fp32, b) for b in blobs]
    index = {id(b): i for i, b in enumerate(blobs)}

    def validate(compiled, data) -> float:
        # F1 against the FP32 boxes, not recall alone: recall could be bought with extra boxes
        found = expected = matched = 0
        for blob in data:
            ref = refs[index[id(blob)]]
            got = boxes(compiled, blob)
            expected += len(ref)
            found += len(got)
            matched += count_matches(ref, got)
        return 2 * matched / (expected + found) if expected + found else 1.0

    return validate


def count_matches(ref, got, thr: float = 0.5) -> int:
    """One-to-one greedy matches at IoU >= thr."""
    import numpy as np

    if len(ref) == 0 or len(got) == 0:
        return 0
    x1 = np.maximum(ref[:, None, 0], got[None, :, 0])
    y1 = np.maximum(ref[:, None, 1], got[None, :, 1])
    x2 = np.minimum(ref[:, None, 2], got[None, :, 2])
    y2 = np.minimum(ref[:, None, 3], got[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_r = (ref[:, 2] - ref[:, 0]) * (ref[:, 3] - ref[:, 1])
    area_g = (got[:, 2] - got[:, 0]) * (got[:, 3] - got[:, 1])
    iou = inter / (area_r[:, None] + area_g[None] - inter)
    n = 0
    while iou.size and iou.max() >= thr:
        i, j = np.unravel_index(iou.argmax(), iou.shape)
        n += 1
        iou[i, :] = -1
        iou[:, j] = -1
    return n


def export_model(
    model: str | Path,
    out_dir: str | Path,
    imgsz: int = DEFAULT_IMGSZ,
    int8: bool = False,
    calibration_video: str | Path | None = None,
    calibration_frames_count: int = 120,
    max_accuracy_drop: float | None = None,
) -> ExportResult:
    """``.pt`` → ONNX + OpenVINO (ultralytics); ``.onnx`` → OpenVINO; plus INT8 when asked."""
    model = Path(model)
    if not model.exists():
        raise ModelNotFoundError(model)
    out_dir = Path(out_dir)
    result = ExportResult()
    if model.suffix == ".pt":
        result.onnx, result.openvino = export_pt(model, out_dir, imgsz)
    elif model.suffix == ".onnx":
        result.onnx = model
        result.openvino = onnx_to_openvino(model, out_dir / f"{model.stem}_openvino" / f"{model.stem}.xml")
    elif model.suffix == ".xml":
        result.openvino = model
    else:
        raise ExportError(f"unsupported model type {model.suffix!r}: give a .pt, .onnx or OpenVINO .xml file")
    if int8:
        if not calibration_video:
            raise ExportError("--int8 needs --calibration VIDEO (frames from the camera to calibrate on)")
        source = result.openvino or result.onnx
        out = out_dir / f"{model.stem}_int8_openvino" / f"{model.stem}.xml"
        result.openvino_int8 = quantize_int8(source, calibration_video, out, imgsz, calibration_frames_count,
                                             max_accuracy_drop=max_accuracy_drop)
    return result
