"""Camera configuration: loading, validation and screenshot→frame scaling.

Accepted sources: a path to a JSON or YAML file, a JSON/YAML string is NOT accepted (ambiguous with a
path), or a dict. The keys are those of GUIDE.md §3 and of the edge `config.yaml` camera entries.
Unknown keys (`rtsp`, `capabilities`, `name`, ...) are kept in `CameraConfig.extra`. A file or dict
holding a `cameras:` list (the edge config) is accepted too: pass `camera_id=` to pick one camera,
otherwise the list must hold exactly one.

Polygons may be written as a list of points or as `{"polygon": [...], "type": "entry"}`
(`points` and `ztype` are accepted aliases). A zone whose type is `shelf` or `queue` is moved to
`shelves` / `queues`, so zone rows of any type can be passed in one `zones` mapping.

Default inside point (entrance line without `inside_point`): the side of the line that holds the
frame centre; when the centre lies within 2% of the frame diagonal of the line (a camera looking
straight down on the door) the right-hand side of the line drawn from its first to its second point
in image coordinates (x right, y down), i.e. the side of the normal (dy, -dx). For the GUIDE example
line [[960, 400], [960, 700]] (drawn top to bottom) that is the +x side, which agrees with the
GUIDE's inside_point [1200, 550]. `inside_point_defaulted` is True when the default was used.

Every validation problem raises ConfigError whose message starts with the field, e.g.
"zones.electronics: polygon needs at least 3 points".

Detection keys (all optional; vision.tiling has the details): ``detect_region`` (auto: the zones, shelves,
queues and entrance line plus a margin, the whole frame without them; full; or [x1, y1, x2, y2] in
screenshot coordinates), ``detect_scale`` (auto or a factor), ``detect_pixels`` (the auto scale's pixel
budget; unset: the detector's), ``detect_imgsz`` (largest single network input, default 1280),
``detect_tile`` (tile side in network pixels, default 640), ``detect_overlap`` (share of a tile, default
0.25), ``detect_margin`` (share of the frame height, default 0.1). The defaults suit a 1080p ceiling camera
untouched; a region that does not fit the frame, or a setting that asks for more than 64 tiles, is refused
naming the key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .tiling import DEFAULT_SETTINGS, DETECT_KEYS, DetectSettings, PlanError, detect_settings_parse
from .types import Point

# The types a polygon drawn on a camera may have (zone editor, Zone.ztype), in the editor's order, with labels.
# shelf and queue polygons become `shelves`/`queues`; the others are zones and carry their type in zone events.
REGION_TYPES = {"entry": "Entry", "queue": "Queue", "shelf": "Shelf", "checkout": "Checkout", "general": "General",
                "staff": "Staff"}
ZONE_TYPES = ("general", "entry", "checkout")  # types of `zones` (zone events' `zone_type`); default first
ANCHORS = ("foot", "center")
_KNOWN = {
    "camera_id", "fps", "frame_size", "screenshot_size", "entrance_line", "inside_point", "zones",
    "zone_types", "shelves", "queues", "min_dwell_seconds", "anchor", "static_seconds", "staff_zones",
}


_KNOWN |= set(DETECT_KEYS)


class ConfigError(ValueError):
    """A camera config problem; the message names the field first."""


Polygon = list[Point]


@dataclass
class CameraConfig:
    camera_id: str
    fps: float = 4.0
    frame_size: tuple[int, int] | None = None
    screenshot_size: tuple[int, int] | None = None
    entrance_line: list[Point] | None = None
    inside_point: Point | None = None
    zones: dict[str, Polygon] = field(default_factory=dict)
    zone_types: dict[str, str] = field(default_factory=dict)  # zone_id -> general|entry|checkout
    shelves: dict[str, Polygon] = field(default_factory=dict)
    queues: dict[str, Polygon] = field(default_factory=dict)
    # Polygons only staff enter (GUIDE §2 Staff): a track that enters one is staff for the rest of the track.
    staff_zones: dict[str, Polygon] = field(default_factory=dict)
    min_dwell_seconds: float = 2.0
    anchor: str = "foot"
    # A track whose anchor stays within a few pixels for this long is a static object
    # (mannequin, poster) and produces no events (see zones.StaticFilter).
    static_seconds: float = 300.0
    inside_point_defaulted: bool = False
    # what the detector looks at (vision.tiling: detect_region, detect_scale, detect_imgsz, detect_tile, ...)
    detect: DetectSettings = DEFAULT_SETTINGS
    extra: dict[str, Any] = field(default_factory=dict)

    def zone_type(self, zone_id: str) -> str:
        return self.zone_types.get(zone_id, "general")

    def scaled_to(self, frame_size: tuple[int, int] | None) -> CameraConfig:
        """Copy with every coordinate in frame pixels for `frame_size` (GUIDE §2 scaling).

        Without a screenshot size the coordinates are taken to be frame pixels already.
        """
        if frame_size is None:
            frame_size = self.frame_size or self.screenshot_size
        if frame_size is None:
            return replace(self)
        frame_size = _size("frame_size", frame_size)
        shot = self.screenshot_size or frame_size
        sx, sy = frame_size[0] / shot[0], frame_size[1] / shot[1]

        def pts(poly: Polygon) -> Polygon:
            return [(x * sx, y * sy) for x, y in poly]

        out = replace(
            self,
            frame_size=frame_size,
            screenshot_size=frame_size,
            entrance_line=pts(self.entrance_line) if self.entrance_line else None,
            inside_point=(self.inside_point[0] * sx, self.inside_point[1] * sy) if self.inside_point else None,
            zones={k: pts(v) for k, v in self.zones.items()},
            shelves={k: pts(v) for k, v in self.shelves.items()},
            queues={k: pts(v) for k, v in self.queues.items()},
            staff_zones={k: pts(v) for k, v in self.staff_zones.items()},
            zone_types=dict(self.zone_types),
            extra=dict(self.extra),
        )
        if self.inside_point_defaulted:
            out.inside_point = None
            out.inside_point = default_inside_point(out.entrance_line, frame_size)
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"camera_id": self.camera_id, "fps": self.fps}
        if self.frame_size:
            d["frame_size"] = list(self.frame_size)
        if self.screenshot_size:
            d["screenshot_size"] = list(self.screenshot_size)
        if self.entrance_line:
            d["entrance_line"] = [list(p) for p in self.entrance_line]
        if self.inside_point and not self.inside_point_defaulted:
            d["inside_point"] = list(self.inside_point)
        if self.staff_zones:
            d["staff_zones"] = {k: [list(p) for p in v] for k, v in self.staff_zones.items()}
        for key in ("zones", "shelves", "queues"):
            d[key] = {k: [list(p) for p in v] for k, v in getattr(self, key).items()}
        if self.zone_types:
            d["zone_types"] = dict(self.zone_types)
        d["min_dwell_seconds"] = self.min_dwell_seconds
        d["anchor"] = self.anchor
        d["static_seconds"] = self.static_seconds
        d.update(self.detect.to_dict())
        d.update(self.extra)
        return d


def load_camera_config(source: str | Path | dict, camera_id: str | None = None) -> CameraConfig:
    """Load and validate a camera config from a JSON/YAML file or a dict."""
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"camera config: file not found: {path}")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(f"camera config: cannot parse {path.name}: {first}") from None
    if not isinstance(data, dict):
        raise ConfigError("camera config: expected a mapping at the top level")
    if "cameras" in data and "camera_id" not in data:
        data = _pick_camera(data["cameras"], camera_id)
    return parse_camera_config(data)


def _pick_camera(cameras: Any, camera_id: str | None) -> dict:
    if not isinstance(cameras, list) or not cameras:
        raise ConfigError("cameras: expected a non-empty list")
    if camera_id is None:
        if len(cameras) != 1:
            raise ConfigError("cameras: several cameras; choose one with camera_id")
        return cameras[0]
    for cam in cameras:
        if isinstance(cam, dict) and cam.get("camera_id") == camera_id:
            return cam
    raise ConfigError(f"cameras: no camera with camera_id {camera_id!r}")


def parse_camera_config(data: dict) -> CameraConfig:
    cam_id = data.get("camera_id")
    if not isinstance(cam_id, str) or not cam_id.strip():
        raise ConfigError("camera_id: required non-empty string")
    fps = _number("fps", data.get("fps", 4.0))
    if fps <= 0:
        raise ConfigError("fps: must be > 0")
    min_dwell = _number("min_dwell_seconds", data.get("min_dwell_seconds", 2.0))
    if min_dwell < 0:
        raise ConfigError("min_dwell_seconds: must be >= 0")
    static_s = _number("static_seconds", data.get("static_seconds", 300.0))
    if static_s <= 0:
        raise ConfigError("static_seconds: must be > 0")
    anchor = data.get("anchor", "foot")
    if anchor not in ANCHORS:
        raise ConfigError(f"anchor: must be one of {', '.join(ANCHORS)}")
    frame_size = _size("frame_size", data["frame_size"]) if data.get("frame_size") is not None else None
    shot = _size("screenshot_size", data["screenshot_size"]) if data.get("screenshot_size") is not None else None

    zones: dict[str, Polygon] = {}
    shelves: dict[str, Polygon] = {}
    queues: dict[str, Polygon] = {}
    staff_zones: dict[str, Polygon] = {}
    zone_types: dict[str, str] = {}
    given_types = data.get("zone_types") or {}
    if not isinstance(given_types, dict):
        raise ConfigError("zone_types: expected a mapping zone_id -> type")
    for key, target in (("zones", zones), ("shelves", shelves), ("queues", queues), ("staff_zones", staff_zones)):
        raw = data.get(key) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{key}: expected a mapping id -> polygon")
        for rid, value in raw.items():
            name = f"{key}.{rid}"
            rtype = None
            if isinstance(value, dict):
                rtype = value.get("type", value.get("ztype"))
                value = value.get("polygon", value.get("points"))
            poly = _polygon(name, value)
            rid = str(rid)
            if key == "zones":
                rtype = rtype or given_types.get(rid, "general")
                if rtype == "shelf":
                    shelves[rid] = poly
                    continue
                if rtype == "queue":
                    queues[rid] = poly
                    continue
                if rtype == "staff":
                    staff_zones[rid] = poly
                    continue
                if rtype not in ZONE_TYPES:
                    raise ConfigError(f"{name}: type must be one of {', '.join(ZONE_TYPES)}, shelf, queue, staff")
                zone_types[rid] = rtype
            target[rid] = poly
    for zid, ztype in given_types.items():
        if zid in zones and ztype not in ZONE_TYPES:
            raise ConfigError(f"zone_types.{zid}: must be one of {', '.join(ZONE_TYPES)}")

    line = None
    inside = None
    defaulted = False
    if data.get("entrance_line") is not None:
        line = _points("entrance_line", data["entrance_line"])
        if len(line) != 2:
            raise ConfigError("entrance_line: needs exactly 2 points")
        if math.dist(line[0], line[1]) < 1e-6:
            raise ConfigError("entrance_line: the 2 points are the same")
        if data.get("inside_point") is not None:
            inside = _point("inside_point", data["inside_point"])
            if abs(_side(line, inside)) < 1e-9:
                raise ConfigError("inside_point: lies on the entrance line; it must be on the store side")
        else:
            inside = default_inside_point(line, shot or frame_size)
            defaulted = True
    elif data.get("inside_point") is not None:
        raise ConfigError("inside_point: given without entrance_line")

    try:
        detect = detect_settings_parse(data)
    except PlanError as exc:
        raise ConfigError(str(exc)) from None
    if isinstance(detect.region, tuple) and (shot or frame_size):
        bw, bh = shot or frame_size
        if detect.region[2] > bw or detect.region[3] > bh:
            raise ConfigError(f"detect_region: {list(detect.region)!r} does not fit the "
                              f"{'screenshot' if shot else 'frame'} ({bw}x{bh})")

    extra = {k: v for k, v in data.items() if k not in _KNOWN}
    return CameraConfig(
        camera_id=cam_id.strip(), fps=fps, frame_size=frame_size, screenshot_size=shot,
        entrance_line=line, inside_point=inside, zones=zones, zone_types=zone_types,
        shelves=shelves, queues=queues, staff_zones=staff_zones, min_dwell_seconds=min_dwell, anchor=anchor,
        static_seconds=static_s, inside_point_defaulted=defaulted, detect=detect, extra=extra,
    )


def default_inside_point(line: list[Point], size: tuple[int, int] | None) -> Point:
    """Documented default store side (see module docstring)."""
    (x1, y1), (x2, y2) = line
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    nx, ny = dy / length, -dx / length  # right-hand normal in image coordinates
    mx, my = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    if size is not None:
        cx, cy = size[0] / 2.0, size[1] / 2.0
        dist = nx * (cx - mx) + ny * (cy - my)
        if abs(dist) > 0.02 * math.hypot(*size) and dist < 0:
            nx, ny = -nx, -ny
    off = 0.25 * length
    return (mx + nx * off, my + ny * off)


def _side(line: list[Point], p: Point) -> float:
    (x1, y1), (x2, y2) = line
    return (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name}: must be a number")
    return float(value)


def _size(name: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{name}: expected [width, height]")
    w, h = (_number(name, v) for v in value)
    if w <= 0 or h <= 0 or w != int(w) or h != int(h):
        raise ConfigError(f"{name}: width and height must be positive integers")
    return (int(w), int(h))


def _point(name: str, value: Any) -> Point:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{name}: a point must be [x, y]")
    return (_number(name, value[0]), _number(name, value[1]))


def _points(name: str, value: Any) -> list[Point]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name}: expected a list of [x, y] points")
    return [_point(name, p) for p in value]


def _polygon(name: str, value: Any) -> Polygon:
    if value is None:
        raise ConfigError(f"{name}: polygon missing")
    pts = _points(name, value)
    if len(pts) >= 2 and pts[0] == pts[-1]:
        pts = pts[:-1]  # closed ring written out explicitly
    if len(pts) < 3:
        raise ConfigError(f"{name}: polygon needs at least 3 points")
    from shapely.geometry import Polygon as ShapelyPolygon
    from shapely.validation import explain_validity

    poly = ShapelyPolygon(pts)
    if poly.area <= 0:
        raise ConfigError(f"{name}: polygon has zero area")
    if not poly.is_valid:
        raise ConfigError(f"{name}: polygon is not valid ({explain_validity(poly)})")
    return pts
