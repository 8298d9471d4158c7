"""Edge `config.yaml` (deployment guide v2, step 2.2), validated with errors that name the field.

Top level (guide): api_base, api_key, org_id, store_id, cameras[]. Optional: buffer_dir ("buffers"),
batch_interval_seconds (5), batch_size (200), heartbeat_interval_seconds (30), max_buffer_events
(200000), request_timeout_seconds (10), max_retry_delay_seconds (60), detector {backend, model_path, device,
precision, imgsz, conf, iou, threads}: these win over the DETECTOR_* environment (vision/detector_config.py).

Per camera (guide): camera_id, rtsp, capabilities, screenshot_size, entrance_line, zones, shelves.
Optional: inside_point, queues, fps (4), zone_types, min_dwell_seconds, anchor, and `api_key` (a
per-camera key overriding the top-level one: keys may be bound to one camera), `detect_url` (a substream to
detect on, e.g. 640x360 at 5 fps; the same URL rule as the server's camera URLs; geometry drawn on the main
stream's screenshot scales to its frames).
Capabilities: entrance (needs entrance_line), zones (needs zones), shelves (needs shelves),
queue/queues (needs queues). Geometry the capabilities do not enable is ignored with a warning.

Django-free: the store box runs only workers/.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vision.config import CameraConfig, ConfigError, parse_camera_config
from vision.detector_config import DetectorConfig, DetectorConfigError
from vision.urls import stream_url_problem

CAPABILITIES = {"entrance": "entrance_line", "zones": "zones", "shelves": "shelves", "queue": "queues",
                "queues": "queues"}
KEY_PREFIX = "wink_edge_"


class EdgeConfigError(ValueError):
    """One line, naming the field (e.g. `cameras[1].zones.electronics: polygon needs at least 3 points`)."""


@dataclass
class EdgeCamera:
    camera_id: str
    rtsp: str
    capabilities: list[str]
    api_key: str
    vision: CameraConfig
    raw: dict[str, Any]
    detect_url: str = ""  # empty: detect on `rtsp`

    @property
    def fps(self) -> float:
        return self.vision.fps

    @property
    def analysed_url(self) -> str:
        return self.detect_url or self.rtsp


@dataclass
class EdgeConfig:
    api_base: str
    api_key: str
    org_id: str
    store_id: str
    cameras: list[EdgeCamera]
    buffer_dir: Path = Path("buffers")
    batch_interval_seconds: float = 5.0
    batch_size: int = 200
    heartbeat_interval_seconds: float = 30.0
    max_buffer_events: int = 200_000
    request_timeout_seconds: float = 10.0
    max_retry_delay_seconds: float = 60.0
    detector: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None


def _text(data: dict, name: str, where: str = "") -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise EdgeConfigError(f"{where}{name}: required")
    if not isinstance(value, str):
        raise EdgeConfigError(f"{where}{name}: expected a string")
    return value.strip()


def _positive(data: dict, name: str, default: float, integer: bool = False) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise EdgeConfigError(f"{name}: must be a positive number")
    if integer and int(value) != value:
        raise EdgeConfigError(f"{name}: must be a whole number")
    return int(value) if integer else float(value)


def _api_key(value: str, where: str) -> str:
    if not value.startswith(KEY_PREFIX):
        raise EdgeConfigError(f"{where}api_key: must start with {KEY_PREFIX} (from POST /api/admin/edge-keys)")
    return value


def load_edge_config(path: str | Path) -> EdgeConfig:
    path = Path(path)
    if not path.is_file():
        raise EdgeConfigError(f"config: file not found: {path}")
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise EdgeConfigError(f"config: {path.name} is not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise EdgeConfigError(f"config: {path.name} is not UTF-8 text") from None
    config = parse_edge_config(data)
    config.path = path
    if not config.buffer_dir.is_absolute():
        config.buffer_dir = path.resolve().parent / config.buffer_dir
    return config


def parse_edge_config(data: Any) -> EdgeConfig:
    if not isinstance(data, dict):
        raise EdgeConfigError("config: expected a mapping (api_base, api_key, org_id, store_id, cameras)")
    api_base = _text(data, "api_base").rstrip("/")
    parts = urlsplit(api_base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EdgeConfigError("api_base: must be an http(s) URL, e.g. https://api.winkai.in")
    api_key = data.get("api_key")
    if api_key is not None:
        api_key = _api_key(_text(data, "api_key"), "")
    org_id = _text(data, "org_id")
    try:
        org_id = str(uuid.UUID(org_id))
    except ValueError:
        raise EdgeConfigError(f"org_id: not a UUID ({org_id!r}); use the organisation id of the seed output") \
            from None
    store_id = _text(data, "store_id")
    cameras_raw = data.get("cameras")
    if not isinstance(cameras_raw, list) or not cameras_raw:
        raise EdgeConfigError("cameras: expected a non-empty list")
    warnings: list[str] = []
    cameras: list[EdgeCamera] = []
    seen: set[str] = set()
    for index, raw in enumerate(cameras_raw):
        camera = _parse_camera(raw, index, api_key, warnings)
        if camera.camera_id in seen:
            raise EdgeConfigError(f"cameras[{index}].camera_id: duplicate {camera.camera_id!r}")
        seen.add(camera.camera_id)
        cameras.append(camera)
    detector = data.get("detector") or {}
    if not isinstance(detector, dict):
        raise EdgeConfigError("detector: expected a mapping (backend, model_path, conf, threads)")
    try:
        DetectorConfig().replace(**detector)  # names and values checked now, not when the model loads
    except DetectorConfigError as error:
        raise EdgeConfigError(f"detector: {error}") from None
    buffer_dir = data.get("buffer_dir", "buffers")
    if not isinstance(buffer_dir, str) or not buffer_dir:
        raise EdgeConfigError("buffer_dir: expected a directory path")
    return EdgeConfig(
        api_base=api_base, api_key=api_key or "", org_id=org_id, store_id=store_id, cameras=cameras,
        buffer_dir=Path(buffer_dir),
        batch_interval_seconds=_positive(data, "batch_interval_seconds", 5.0),
        batch_size=min(1000, _positive(data, "batch_size", 200, integer=True)),
        heartbeat_interval_seconds=_positive(data, "heartbeat_interval_seconds", 30.0),
        max_buffer_events=_positive(data, "max_buffer_events", 200_000, integer=True),
        request_timeout_seconds=_positive(data, "request_timeout_seconds", 10.0),
        max_retry_delay_seconds=_positive(data, "max_retry_delay_seconds", 60.0),
        detector=detector, warnings=warnings,
    )


def _parse_camera(raw: Any, index: int, api_key: str | None, warnings: list[str]) -> EdgeCamera:
    where = f"cameras[{index}]."
    if not isinstance(raw, dict):
        raise EdgeConfigError(f"cameras[{index}]: expected a mapping with camera_id, rtsp, capabilities")
    camera_id = _text(raw, "camera_id", where)
    where = f"cameras[{index}] ({camera_id})."
    rtsp = _text(raw, "rtsp", where)
    capabilities = raw.get("capabilities")
    if not isinstance(capabilities, list) or not capabilities or not all(isinstance(c, str) for c in capabilities):
        raise EdgeConfigError(f"{where}capabilities: expected a non-empty list, e.g. [\"entrance\"]")
    unknown = sorted(set(capabilities) - set(CAPABILITIES))
    if unknown:
        raise EdgeConfigError(f"{where}capabilities: unknown {unknown}; allowed: entrance, zones, shelves, queues")
    if raw.get("screenshot_size") is None:
        raise EdgeConfigError(f"{where}screenshot_size: required, e.g. [1920, 1080]")
    enabled_keys = {CAPABILITIES[c] for c in capabilities}
    for capability in capabilities:
        key = CAPABILITIES[capability]
        if not raw.get(key):
            raise EdgeConfigError(f"{where}{key}: required for capability {capability!r}")
    detect_url = raw.get("detect_url") or ""
    if not isinstance(detect_url, str):
        raise EdgeConfigError(f"{where}detect_url: expected a string")
    problem = stream_url_problem(detect_url) if detect_url else None
    if problem:
        raise EdgeConfigError(f"{where}detect_url: {problem}")
    vision_data = {k: v for k, v in raw.items() if k not in ("rtsp", "detect_url", "capabilities", "api_key")}
    for key in ("entrance_line", "zones", "shelves", "queues"):
        if vision_data.get(key) and key not in enabled_keys:
            warnings.append(f"{camera_id}: {key} ignored (capability not enabled)")
            vision_data.pop(key)
            if key == "entrance_line":
                vision_data.pop("inside_point", None)
    try:
        vision = parse_camera_config(vision_data)
    except ConfigError as error:
        raise EdgeConfigError(f"{where}{error}") from None
    own_key = raw.get("api_key")
    if own_key is not None:
        own_key = _api_key(_text(raw, "api_key", where), where)
    elif not api_key:
        raise EdgeConfigError(f"{where}api_key: required (top-level api_key or one per camera)")
    return EdgeCamera(camera_id=camera_id, rtsp=rtsp, capabilities=list(capabilities),
                      api_key=own_key or api_key, vision=vision, raw=raw, detect_url=detect_url)
