"""Draw what the pipeline sees: person boxes with track IDs, zones, the entrance line and counters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .config import CameraConfig
from .types import TrackState, anchor_of

# BGR
ZONE_COLORS = {"zone": (80, 200, 80), "shelf": (220, 160, 40), "queue": (60, 140, 255)}
LINE_COLOR = (0, 0, 255)
INSIDE_COLOR = (0, 200, 255)
FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX


def _track_color(track_id: int) -> tuple[int, int, int]:
    # golden-ratio hues: neighbouring IDs get distinct colours
    import cv2

    hue = int((track_id * 0.618033988749895 % 1.0) * 180)
    hsv = np.uint8([[[hue, 200, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def _label(img: np.ndarray, text: str, org: tuple[int, int], color, scale: float = 0.5) -> None:
    import cv2

    (w, h), base = cv2.getTextSize(text, FONT, scale, 1)
    x, y = org
    y = max(y, h + 2)
    cv2.rectangle(img, (x, y - h - 3), (x + w + 4, y + base - 1), color, -1)
    cv2.putText(img, text, (x + 2, y - 2), FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)


def draw_overlay(
    image: np.ndarray,
    config: CameraConfig,
    tracks: Iterable[TrackState] = (),
    counters: dict | None = None,
    live: dict | None = None,
    detections: Iterable = (),
    t: float | None = None,
    key_of: Callable[[TrackState], str] | None = None,
) -> np.ndarray:
    """Draw in place on ``image`` (BGR, frame pixels); ``config`` must already be scaled to the frame.

    ``key_of`` names each track's box: pass the pipeline's ``person_key_of`` so that a track that continues a
    lost person shows the person_key its events carry (default: the track's own key)."""
    import cv2

    overlay = image.copy()
    for kind, polys in (("zone", config.zones), ("shelf", config.shelves), ("queue", config.queues)):
        for rid, pts in polys.items():
            poly = np.array([[round(x), round(y)] for x, y in pts], np.int32)
            cv2.fillPoly(overlay, [poly], ZONE_COLORS[kind])
            cv2.polylines(image, [poly], True, ZONE_COLORS[kind], 2, cv2.LINE_AA)
            n = (live or {}).get({"zone": "zones", "shelf": "shelves", "queue": "queues"}[kind], {}).get(rid)
            text = f"{kind} {rid}" + (f": {n}" if n is not None else "")
            _label(image, text, (int(poly[:, 0].min()) + 4, int(poly[:, 1].min()) + 18), ZONE_COLORS[kind])
    cv2.addWeighted(overlay, 0.18, image, 0.82, 0, dst=image)

    if config.entrance_line:
        (ax, ay), (bx, by) = config.entrance_line
        cv2.line(image, (round(ax), round(ay)), (round(bx), round(by)), LINE_COLOR, 3, cv2.LINE_AA)
        if config.inside_point:
            ix, iy = config.inside_point
            mx, my = (ax + bx) / 2, (ay + by) / 2
            cv2.arrowedLine(image, (round(mx), round(my)), (round(mx + (ix - mx) * 0.25), round(my + (iy - my) * 0.25)),
                            INSIDE_COLOR, 2, cv2.LINE_AA, tipLength=0.25)
            _label(image, "in", (round(mx + (ix - mx) * 0.25) + 4, round(my + (iy - my) * 0.25)), INSIDE_COLOR)

    for d in detections:  # raw detections: thin grey
        cv2.rectangle(image, (round(d.x1), round(d.y1)), (round(d.x2), round(d.y2)), (170, 170, 170), 1)

    for st in tracks:
        if not st.confirmed:
            continue
        color = _track_color(st.track_id)
        x1, y1, x2, y2 = (round(v) for v in st.box)
        thickness = 2 if st.matched else 1
        cv2.rectangle(image, (x1, y1), (x2, y2), color, thickness, cv2.LINE_AA)
        ax, ay = anchor_of(st.box, config.anchor)
        cv2.circle(image, (round(ax), round(ay)), 4, color, -1, cv2.LINE_AA)
        key = key_of(st) if key_of is not None else st.person_key
        _label(image, f"{key} {st.conf:.2f}" if st.matched else f"{key} lost", (x1, y1), color)

    lines = []
    if counters is not None:
        lines.append(f"in {counters.get('in', 0)}   out {counters.get('out', 0)}")
    if live is not None:
        lines.append(f"people now {live.get('people', 0)}")
    if t is not None:
        lines.append(f"t {t:7.2f}s")
    for i, text in enumerate(lines):
        y = 32 + i * 30
        cv2.putText(image, text, (12, y), FONT, 0.8, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(image, text, (12, y), FONT, 0.8, (255, 255, 255), 2, cv2.LINE_AA)
    return image


class VideoWriter:
    """MP4 writer (mp4v, which the headless OpenCV wheel can always encode) opened on the first frame."""

    def __init__(self, path: str | Path, fps: float):
        self.path = Path(path)
        self.fps = float(fps)
        self._writer = None
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        import cv2

        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            h, w = image.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise OSError(f"cannot write annotated video {self.path}")
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
