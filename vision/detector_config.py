"""The detector's configuration: one dataclass, one set of environment variable names everywhere.

The Django settings (wink/settings.py), the edge collector and the offline commands all read these names
through :meth:`DetectorConfig.from_env`:

================================  ==========================================================  =========
name                              meaning                                                     default
================================  ==========================================================  =========
``DETECTOR_BACKEND``              auto, onnxruntime, openvino or ultralytics                  auto
``DETECTOR_MODEL_PATH``           .onnx, OpenVINO .xml (or its folder) or .pt; empty: the     (bundled
                                  bundled YOLO11n ONNX model                                  YOLO11n)
``MODEL_DEVICE``                  cpu or cuda[:n]                                             cpu
``DETECTOR_PRECISION``            OpenVINO precision: fp32, bf16, int8 or auto                auto
``DETECTOR_IMGSZ``                network input (long side, multiple of 32) of the single     640
                                  letterbox (analyze_video --letterbox, ultralytics); cameras
                                  use their detection plan (vision/tiling.py, detect_* keys)
``DETECTOR_CONF``                 confidence threshold, 0..1                                  0.3
``DETECTOR_IOU``                  NMS IoU threshold, (0, 1]                                   0.5
``DETECTOR_THREADS``              inference threads; 0 = the backend's default                0
``DETECTOR_MODEL_SHA256``         optional: the model file's SHA-256 (64 hex digits), checked  (none)
                                  at load; the bundled model's own is always checked
================================  ==========================================================  =========

Deprecated names, still accepted with a warning (the edge collector's old ones): ``MODEL_BACKEND``,
``MODEL_PATH``, ``MODEL_PRECISION``, ``MODEL_IMGSZ``, ``MODEL_CONF``, ``MODEL_IOU``, ``MODEL_THREADS``.
When both a name and its deprecated alias are set, the name wins.

Pure Python without numpy, so that settings can import it cheaply; :func:`vision.detectors.detector_create`
builds the detector from it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BACKENDS = ("onnxruntime", "openvino", "ultralytics")
BACKEND_CHOICES = ("auto", *BACKENDS)
# spellings the builder has always accepted for a backend
BACKEND_SYNONYMS = {"onnx": "onnxruntime", "ort": "onnxruntime", "ov": "openvino", "pt": "ultralytics",
                    "torch": "ultralytics"}
PRECISIONS = ("auto", "fp32", "bf16", "int8")
# The detection plans look at people at up to twice the old 640 letterbox's scale, and there the network also
# scores parts of people (a head above a shoulder, a torso between two others) and reflections at 0.25-0.30:
# on MOT17-02 at a 1280 input every box in [0.25, 0.30) was false (10 of 10; precision 0.74 at 0.25, 0.97 at
# 0.30, recall 0.72 at both) and on the concourse clip boxes in that band persist to the neighbouring frame
# less often (0.87) than those above (0.90-0.98). bench/detector_stats.py prints these figures.
DEFAULT_CONF = 0.3
DEFAULT_IOU = 0.5
DEFAULT_IMGSZ = 640
STRIDE = 32

# field -> the one environment variable name
ENV_NAMES = {
    "backend": "DETECTOR_BACKEND",
    "model_path": "DETECTOR_MODEL_PATH",
    "device": "MODEL_DEVICE",
    "precision": "DETECTOR_PRECISION",
    "imgsz": "DETECTOR_IMGSZ",
    "conf": "DETECTOR_CONF",
    "iou": "DETECTOR_IOU",
    "threads": "DETECTOR_THREADS",
    "model_sha256": "DETECTOR_MODEL_SHA256",
}
# deprecated name -> the name it stands for
DEPRECATED_ENV_NAMES = {
    "MODEL_BACKEND": "DETECTOR_BACKEND",
    "MODEL_PATH": "DETECTOR_MODEL_PATH",
    "MODEL_PRECISION": "DETECTOR_PRECISION",
    "MODEL_IMGSZ": "DETECTOR_IMGSZ",
    "MODEL_CONF": "DETECTOR_CONF",
    "MODEL_IOU": "DETECTOR_IOU",
    "MODEL_THREADS": "DETECTOR_THREADS",
}


class DetectorError(Exception):
    """The detector cannot be created or run (bad backend, unreadable model...)."""


class DetectorConfigError(DetectorError, ValueError):
    """A detector setting has a value that cannot be used; the message names the setting."""


def normalize_backend(value: str | None) -> str:
    """"auto" for None/""/auto, else the canonical backend name; DetectorConfigError for anything else."""
    text = (value or "auto").strip().lower()
    if text == "auto":
        return "auto"
    text = text.replace("-", "").replace("_", "")
    text = BACKEND_SYNONYMS.get(text, text)
    if text not in BACKENDS:
        raise DetectorConfigError(f"unknown detector backend {value!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    return text


@dataclass(frozen=True)
class DetectorConfig:
    backend: str = "auto"  # auto: ultralytics for a .pt model, openvino for an .xml (or its folder), else onnxruntime
    model_path: str = ""  # empty: the bundled YOLO11n ONNX model
    device: str = "cpu"
    precision: str = "auto"
    imgsz: int = DEFAULT_IMGSZ
    conf: float = DEFAULT_CONF
    iou: float = DEFAULT_IOU
    threads: int = 0  # 0: the backend's default
    model_sha256: str = ""  # empty: only the bundled model's own checksum is checked

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "backend", normalize_backend(self.backend))
        set_(self, "model_path", str(self.model_path or ""))
        set_(self, "device", str(self.device or "cpu").strip())
        precision = str(self.precision or "auto").strip().lower()
        precision = "fp32" if precision == "f32" else precision
        if precision not in PRECISIONS:
            raise DetectorConfigError(f"precision must be fp32, bf16, int8 or auto, got {self.precision!r}")
        set_(self, "precision", precision)
        if isinstance(self.imgsz, bool) or int(self.imgsz) != self.imgsz or self.imgsz < STRIDE \
                or int(self.imgsz) % STRIDE:
            raise DetectorConfigError(f"imgsz must be a multiple of {STRIDE}, got {self.imgsz!r}")
        set_(self, "imgsz", int(self.imgsz))
        if not 0 <= float(self.conf) <= 1:
            raise DetectorConfigError(f"conf must be in [0, 1], got {self.conf!r}")
        set_(self, "conf", float(self.conf))
        if not 0 < float(self.iou) <= 1:
            raise DetectorConfigError(f"iou must be in (0, 1], got {self.iou!r}")
        set_(self, "iou", float(self.iou))
        threads = int(self.threads or 0)
        if threads < 0:
            raise DetectorConfigError(f"threads must be >= 0 (0: the backend's default), got {self.threads!r}")
        set_(self, "threads", threads)
        sha = str(self.model_sha256 or "").strip().lower()
        if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            raise DetectorConfigError(f"model_sha256 must be 64 hex digits (a SHA-256), got {self.model_sha256!r}")
        set_(self, "model_sha256", sha)

    @property
    def on_gpu(self) -> bool:
        return self.device.startswith("cuda")

    def replace(self, **changes: Any) -> DetectorConfig:
        """A copy with ``changes`` applied; None values are ignored (an option that was not given)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise DetectorConfigError(f"unknown detector option(s): {', '.join(unknown)}; "
                                      f"known: {', '.join(ENV_NAMES)}")
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DetectorConfig:
        """The configuration the environment describes (module docstring); unset or empty names keep the
        defaults. A bad value raises :class:`DetectorConfigError` naming the variable as it was set."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field, name in ENV_NAMES.items():
            found = _lookup(env, name)
            if found is None:
                continue
            var, raw = found
            values[field] = _parse(field, var, raw)
        try:
            return cls(**values)
        except DetectorConfigError as exc:  # a combination no single parse catches: name the fields' variables
            raise DetectorConfigError(f"detector settings ({', '.join(ENV_NAMES[f] for f in values)}): {exc}") from None

    def as_env(self) -> dict[str, str]:
        """The environment that gives back this configuration (for subprocesses)."""
        return {name: str(getattr(self, field)) for field, name in ENV_NAMES.items()}


def _lookup(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable actually used, raw value) for a name, falling back to its deprecated alias with a warning."""
    raw = env.get(name)
    aliases = [old for old, new in DEPRECATED_ENV_NAMES.items() if new == name and env.get(old) not in (None, "")]
    if raw not in (None, ""):
        for old in aliases:
            _warn(f"{old} is deprecated and ignored because {name} is set; remove {old}")
        return name, raw
    for old in aliases:
        _warn(f"{old} is deprecated: use {name}")
        return old, env[old]
    return None


def _warn(message: str) -> None:
    warnings.warn(message, DeprecationWarning, stacklevel=4)
    log.warning(message)


def _parse(field: str, var: str, raw: str) -> Any:
    raw = raw.strip()
    value: Any = raw
    if field in ("imgsz", "threads"):
        try:
            value = int(raw)
        except ValueError:
            raise DetectorConfigError(f"{var} must be an integer, got {raw!r}") from None
    elif field in ("conf", "iou"):
        try:
            value = float(raw)
        except ValueError:
            raise DetectorConfigError(f"{var} must be a number, got {raw!r}") from None
    try:
        DetectorConfig(**{field: value})  # the field's own check, reported under the variable's name
    except DetectorConfigError as exc:
        raise DetectorConfigError(f"{var}={raw!r}: {exc}") from None
    return value
