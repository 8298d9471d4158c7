"""Detection plan: which part of a frame the detector looks at, at which scale, in which tiles.

A YOLO network sees a fixed number of pixels. One 640 letterbox of a 1080p frame shrinks a distant person
to ~15 px and the detector misses half the people of a street or concourse view (bench/bench_real.py). The
plan spends the pixels where they matter:

- **region**: ``detect_region`` in the camera config. ``"auto"`` (default): the bounding box of every zone,
  shelf, queue and the entrance line (scaled to frame pixels), grown by ``detect_margin`` x frame height on
  the sides and bottom and twice that on top (a person whose feet are in a zone has their head above it);
  the whole frame for a camera without any of them. ``"full"``: the whole frame. ``[x1, y1, x2, y2]``:
  a rectangle in screenshot coordinates (like the zones).
- **scale**: ``detect_scale``; ``"auto"`` (default): native resolution when the region holds at most
  ``detect_pixels`` pixels, else the largest scale that fits it. Unset, the budget is the detector's
  (``Detector.pixel_budget``): 1280 x 720 for BF16/INT8/GPU, which runs the whole of a 1080p frame at a
  1280-long-side input (the knee of recall against resolution on MOT17-02: .51 at 640, .72 at 1280, .72 at
  1920), and 960 x 540 for FP32 on a CPU, which keeps it within 3x the cost of a 640 letterbox.
- **tiles**: the scaled region in one pass when its long side fits ``detect_imgsz`` (default 1280), else
  square tiles of ``detect_tile`` network pixels (default 640) overlapping by ``detect_overlap`` of a tile
  (default 0.25: more than a standing person's height at the scales that need tiles), all of one shape so
  that they run as one batch.

:func:`merge_tile_detections` maps boxes back to frame pixels and merges them across tiles: NMS, and a
seam rule (a box cut by an inner tile edge is merged with the overlapping box of the neighbouring tile when
their intersection covers most of the smaller one, like SAHI's greedy NMM), so that a person straddling a
seam gives one box.

Pure Python + numpy; no detector here. Keys are validated by :func:`detect_settings_parse` when the camera
config is loaded and against the frame by :func:`detection_plan` (ConfigError naming the key).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .types import Detection

STRIDE = 32
DEFAULT_MARGIN = 0.1
DEFAULT_PIXELS = 1280 * 720
DEFAULT_IMGSZ = 1280
DEFAULT_TILE = 640
DEFAULT_OVERLAP = 0.25
MAX_TILES = 64  # a bound on the work one frame may ask for
SEAM_IOS = 0.5  # intersection over the smaller box above which two boxes across a seam are one person
SEAM_TOUCH_PX = 3.0  # a box edge this close (frame px) to an inner tile edge was cut by it
# A weaker box lying this much (intersection over its own area) inside a stronger, larger one, and ending
# more than NESTED_FOOT_GAP of that box's height above its bottom, is a part of that person (head, torso) the
# network scored on its own at a high input scale. A child in front of an adult stands on the same floor (the
# boxes end together) and stays; a person behind another whose feet are hidden is less than half visible.
NESTED_IOS = 0.9
NESTED_FOOT_GAP = 0.25

DETECT_KEYS = ("detect_region", "detect_scale", "detect_imgsz", "detect_tile", "detect_overlap", "detect_margin",
               "detect_pixels")

Box = tuple[float, float, float, float]


class PlanError(ValueError):
    """A detection setting that cannot be used; the message starts with the key (like ConfigError)."""


@dataclass(frozen=True)
class DetectSettings:
    region: str | tuple[float, float, float, float] = "auto"  # auto | full | (x1, y1, x2, y2) screenshot px
    scale: str | float = "auto"
    imgsz: int = DEFAULT_IMGSZ
    tile: int = DEFAULT_TILE
    overlap: float = DEFAULT_OVERLAP
    margin: float = DEFAULT_MARGIN
    pixels: int | None = None  # None: the detector's budget (Detector.pixel_budget), else DEFAULT_PIXELS

    def to_dict(self) -> dict[str, Any]:
        """The camera-config keys that differ from the defaults."""
        out = {}
        for key in DETECT_KEYS:
            value = getattr(self, key.removeprefix("detect_"))
            if value != getattr(DEFAULT_SETTINGS, key.removeprefix("detect_")):
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


DEFAULT_SETTINGS = DetectSettings()


def _num(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"{key}: must be a number")
    return float(value)


def _int(key: str, value: Any, low: int, high: int, multiple: int = 1) -> int:
    v = _num(key, value)
    if v != int(v) or not low <= v <= high or int(v) % multiple:
        extra = f", a multiple of {multiple}" if multiple > 1 else ""
        raise PlanError(f"{key}: must be an integer in [{low}, {high}]{extra}, got {value!r}")
    return int(v)


def detect_settings_parse(data: Mapping[str, Any]) -> DetectSettings:
    """The ``detect_*`` keys of a camera config (absent or null: default); PlanError names a bad key."""
    kw: dict[str, Any] = {}
    raw = data.get("detect_region")
    if raw is not None:
        if isinstance(raw, str):
            if raw not in ("auto", "full"):
                raise PlanError(f"detect_region: must be auto, full or [x1, y1, x2, y2], got {raw!r}")
            kw["region"] = raw
        else:
            if not isinstance(raw, (list, tuple)) or len(raw) != 4:
                raise PlanError("detect_region: must be auto, full or [x1, y1, x2, y2]")
            x1, y1, x2, y2 = (_num("detect_region", v) for v in raw)
            if x1 < 0 or y1 < 0 or x2 <= x1 or y2 <= y1:
                raise PlanError(f"detect_region: needs 0 <= x1 < x2 and 0 <= y1 < y2, got {list(raw)!r}")
            kw["region"] = (x1, y1, x2, y2)
    raw = data.get("detect_scale")
    if raw is not None and raw != "auto":
        v = _num("detect_scale", raw)
        if not 0.05 <= v <= 2:
            raise PlanError(f"detect_scale: must be auto or a number in [0.05, 2], got {raw!r}")
        kw["scale"] = v
    if data.get("detect_imgsz") is not None:
        kw["imgsz"] = _int("detect_imgsz", data["detect_imgsz"], STRIDE, 4096, STRIDE)
    if data.get("detect_tile") is not None:
        kw["tile"] = _int("detect_tile", data["detect_tile"], 160, 4096, STRIDE)
    if data.get("detect_overlap") is not None:
        v = _num("detect_overlap", data["detect_overlap"])
        if not 0 <= v <= 0.5:
            raise PlanError(f"detect_overlap: must be in [0, 0.5] (share of a tile), got {data['detect_overlap']!r}")
        kw["overlap"] = v
    if data.get("detect_margin") is not None:
        v = _num("detect_margin", data["detect_margin"])
        if not 0 <= v <= 1:
            raise PlanError(f"detect_margin: must be in [0, 1] (share of the frame height), got {v!r}")
        kw["margin"] = v
    if data.get("detect_pixels") is not None:
        kw["pixels"] = _int("detect_pixels", data["detect_pixels"], 160 * 160, 4096 * 4096)
    settings = DetectSettings(**kw)
    if settings.tile > settings.imgsz:
        raise PlanError(f"detect_tile: {settings.tile} is larger than detect_imgsz {settings.imgsz}")
    return settings


@dataclass(frozen=True)
class Tile:
    """One network input: the frame rectangle ``(x1, y1, x2, y2)`` (integer pixels) resized to ``size``."""

    x1: int
    y1: int
    x2: int
    y2: int
    size: tuple[int, int]  # network input (w, h), multiples of STRIDE; the resized crop sits top-left, padded
    scale: float  # network px per frame px
    inner: tuple[bool, bool, bool, bool]  # which edges (left, top, right, bottom) are seams inside the region


@dataclass(frozen=True)
class DetectionPlan:
    frame_size: tuple[int, int]
    region: tuple[int, int, int, int]
    scale: float
    tiles: tuple[Tile, ...]
    full_frame: bool

    @property
    def input_size(self) -> tuple[int, int]:
        return self.tiles[0].size

    def describe(self) -> str:
        """``1280x736/1 tile`` or ``640x640/8 tiles of region 0,200-1920,1080``."""
        w, h = self.input_size
        n = len(self.tiles)
        text = f"{w}x{h}/{n} tile{'s' if n != 1 else ''}"
        if not self.full_frame:
            x1, y1, x2, y2 = self.region
            text += f" of region {x1},{y1}-{x2},{y2}"
        return text


def _ceil_stride(v: float) -> int:
    return max(STRIDE, math.ceil(v / STRIDE) * STRIDE)


def _config_points(config) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for polys in (config.zones, config.shelves, config.queues, getattr(config, "staff_zones", {})):
        for poly in polys.values():
            pts.extend(poly)
    if config.entrance_line:
        pts.extend(config.entrance_line)
    return pts


def detection_plan(frame_size: tuple[int, int], config=None, settings: DetectSettings | None = None,
                   default_pixels: int = DEFAULT_PIXELS) -> DetectionPlan:
    """The plan for frames of ``frame_size`` (w, h) of a camera (a vision.config.CameraConfig, or None: the
    whole frame). ``settings`` default to the config's ``detect``. PlanError names a key that does not fit."""
    w, h = int(frame_size[0]), int(frame_size[1])
    if w <= 0 or h <= 0:
        raise PlanError(f"frame_size: must be positive, got {frame_size!r}")
    if settings is None:
        settings = getattr(config, "detect", None) or DEFAULT_SETTINGS
    shot = (config.screenshot_size or config.frame_size or (w, h)) if config is not None else (w, h)
    sx, sy = w / shot[0], h / shot[1]

    if isinstance(settings.region, tuple):
        x1, y1, x2, y2 = settings.region
        fx1, fy1, fx2, fy2 = x1 * sx, y1 * sy, x2 * sx, y2 * sy
        if fx2 > w + 0.5 or fy2 > h + 0.5:
            raise PlanError(f"detect_region: {list(settings.region)!r} does not fit the frame "
                            f"({shot[0]}x{shot[1]} screenshot coordinates)")
        region = (math.floor(fx1), math.floor(fy1), min(w, math.ceil(fx2)), min(h, math.ceil(fy2)))
    else:
        pts = _config_points(config) if settings.region == "auto" and config is not None else []
        if not pts:
            region = (0, 0, w, h)
        else:
            xs = [p[0] * sx for p in pts]
            ys = [p[1] * sy for p in pts]
            m = settings.margin * h
            region = (max(0, math.floor(min(xs) - m)), max(0, math.floor(min(ys) - 2 * m)),
                      min(w, math.ceil(max(xs) + m)), min(h, math.ceil(max(ys) + m)))
            if region[2] - region[0] < 2 or region[3] - region[1] < 2:  # zones wholly outside the frame
                region = (0, 0, w, h)
    rx1, ry1, rx2, ry2 = region
    rw, rh = rx2 - rx1, ry2 - ry1
    full = region == (0, 0, w, h)

    if settings.scale == "auto":
        scale = min(1.0, math.sqrt((settings.pixels or default_pixels) / (rw * rh)))
    else:
        scale = float(settings.scale)
    sw, sh = rw * scale, rh * scale

    if max(sw, sh) <= settings.imgsz + 0.5:
        # one pass: the region resized to (sw, sh), padded up to the stride
        size = (_ceil_stride(sw), _ceil_stride(sh))
        tiles = (Tile(rx1, ry1, rx2, ry2, size, scale, (False, False, False, False)),)
    else:
        t = settings.tile
        tiles = _tiles(region, scale, t, settings.overlap)
        if len(tiles) > MAX_TILES:
            raise PlanError(f"detect_tile: {len(tiles)} tiles of {t} px per frame (at most {MAX_TILES}); "
                            "use a larger detect_tile, a smaller detect_scale or a smaller detect_region")
    return DetectionPlan((w, h), region, scale, tiles, full)


def _positions(start: int, length: int, tile: int, overlap_px: float) -> list[tuple[int, int]]:
    """Evenly spaced windows of ``tile`` frame px covering [start, start + length), overlapping >= overlap_px."""
    if length <= tile:
        return [(start, start + length)]
    n = math.ceil((length - overlap_px) / (tile - overlap_px))
    n = max(n, 2)
    step = (length - tile) / (n - 1)
    return [(start + round(i * step), start + round(i * step) + tile) for i in range(n)]


def _tiles(region, scale: float, tile: int, overlap: float) -> tuple[Tile, ...]:
    rx1, ry1, rx2, ry2 = region
    span = max(1, round(tile / scale))  # frame px per tile side
    cols = _positions(rx1, rx2 - rx1, span, overlap * span)
    rows = _positions(ry1, ry2 - ry1, span, overlap * span)
    out = []
    for j, (y1, y2) in enumerate(rows):
        for i, (x1, x2) in enumerate(cols):
            x2, y2 = min(x2, rx2), min(y2, ry2)
            size = (_ceil_stride((x2 - x1) * scale), _ceil_stride((y2 - y1) * scale))
            inner = (i > 0, j > 0, i < len(cols) - 1, j < len(rows) - 1)
            out.append(Tile(x1, y1, x2, y2, size, scale, inner))
    # one shape for all (short regions give narrower tiles on every row/column alike)
    size = (max(t.size[0] for t in out), max(t.size[1] for t in out))
    return tuple(Tile(t.x1, t.y1, t.x2, t.y2, size, t.scale, t.inner) for t in out)


# ----------------------------------------------------------------------------------------- merging


def _ios_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    smaller = np.minimum(area_a[:, None], area_b[None, :])
    return inter / np.maximum(union, 1e-9), inter / np.maximum(smaller, 1e-9)


def _cut(box: Sequence[float], tile: Tile) -> bool:
    """Whether the box touches one of the tile's inner edges (a seam cut the person)."""
    left, top, right, bottom = tile.inner
    near = SEAM_TOUCH_PX
    return ((left and abs(box[0] - tile.x1) <= near) or (top and abs(box[1] - tile.y1) <= near)
            or (right and abs(tile.x2 - box[2]) <= near) or (bottom and abs(tile.y2 - box[3]) <= near))


def merge_tile_detections(plan: DetectionPlan, per_tile: Sequence[Sequence[Detection]], iou: float) -> list[Detection]:
    """One list of frame-pixel boxes from the boxes of each tile (already in frame pixels).

    Greedy, highest score first: a box is dropped when it overlaps a kept one by IoU > ``iou`` (NMS across
    tiles), and merged into a kept box of another tile (union of the two, the higher score) when either of
    them was cut by a seam and their intersection covers > SEAM_IOS of the smaller one. A weaker, smaller box
    lying > NESTED_IOS inside a kept one and ending well above its bottom is dropped (a part of that person),
    in every plan."""
    boxes, scores, tile_of, cut = [], [], [], []
    for ti, (tile, dets) in enumerate(zip(plan.tiles, per_tile, strict=True)):
        for d in dets:
            boxes.append((d.x1, d.y1, d.x2, d.y2))
            scores.append(d.conf)
            tile_of.append(ti)
            cut.append(_cut((d.x1, d.y1, d.x2, d.y2), tile))
    if not boxes:
        return []
    arr = np.asarray(boxes, dtype=np.float64)
    ious, ioss = _ios_matrix(arr, arr)
    area = (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1])
    order = np.argsort(-np.asarray(scores), kind="stable")
    alive = np.ones(len(arr), dtype=bool)
    out: list[Detection] = []
    for i in order:
        if not alive[i]:
            continue
        alive[i] = False
        box = arr[i].copy()
        for j in order:
            if not alive[j]:
                continue
            if ious[i, j] > iou or (ioss[i, j] > NESTED_IOS and area[j] < area[i]
                                    and arr[i, 3] - arr[j, 3] > NESTED_FOOT_GAP * (arr[i, 3] - arr[i, 1])):
                alive[j] = False
            elif tile_of[j] != tile_of[i] and (cut[i] or cut[j]) and ioss[i, j] > SEAM_IOS:
                alive[j] = False
                box = np.array([min(box[0], arr[j, 0]), min(box[1], arr[j, 1]),
                                max(box[2], arr[j, 2]), max(box[3], arr[j, 3])])
        out.append(Detection(float(box[0]), float(box[1]), float(box[2]), float(box[3]), float(scores[i])))
    return out
