"""Synthetic store-entrance video with real person pixels and known ground truth.

Person cut-outs (photos of real people) walk scripted paths over a drawn floor and cross an entrance line,
so the real detector sees real people and the true in/out counts are known exactly. Used by the test
suite (``analyze_video`` must report the true counts) and by demos.

The cut-outs in ``vision/assets/persons`` (see its NOTICE.md) are crops of ``bus.jpg`` and ``zidane.jpg`` from the
ultralytics package (AGPL-3.0, like the YOLO weights): used by the tests and by `make demo`'s live camera
(`demo_scene`); replace them for other licensing needs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ASSETS_DIR = Path(__file__).resolve().parent / "assets" / "persons"


def load_person_sprites(directory: str | Path | None = None) -> dict[str, np.ndarray]:
    """BGR person cut-outs by name (file stem)."""
    import cv2

    directory = Path(directory or ASSETS_DIR)
    sprites = {}
    for path in sorted(directory.glob("*.jpg")) + sorted(directory.glob("*.png")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None:
            sprites[path.stem] = image
    if not sprites:
        raise FileNotFoundError(f"no person images (*.jpg, *.png) in {directory}")
    return sprites


@dataclass(frozen=True)
class Walker:
    """A person following a polyline of feet points, at ``speed`` px/s, pausing ``pauses[i]`` s at point i."""

    sprite: str
    t0: float
    points: tuple[tuple[float, float], ...]
    speed: float = 300.0
    height: int = 270
    pauses: tuple[float, ...] = ()
    flip: bool = False

    def schedule(self) -> list[tuple[float, float, tuple[float, float], tuple[float, float]]]:
        """Segments (t_start, t_end, p_start, p_end); a pause is a segment with p_start == p_end."""
        segs, t = [], self.t0
        for i in range(len(self.points) - 1):
            p, q = self.points[i], self.points[i + 1]
            pause = self.pauses[i] if i < len(self.pauses) else 0.0
            if pause > 0 and i > 0:
                segs.append((t, t + pause, p, p))
                t += pause
            dur = math.dist(p, q) / self.speed
            segs.append((t, t + dur, p, q))
            t += dur
        return segs

    @property
    def t_end(self) -> float:
        return self.schedule()[-1][1]

    def feet_at(self, t: float) -> tuple[float, float] | None:
        for t_a, t_b, p, q in self.schedule():
            if t_a <= t <= t_b:
                f = 0.0 if t_b == t_a else (t - t_a) / (t_b - t_a)
                return (p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f)
        return None


def _side(line: tuple[tuple[float, float], tuple[float, float]], p: tuple[float, float]) -> float:
    (ax, ay), (bx, by) = line
    return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)


def _segments_cross(p, q, a, b) -> bool:
    d1, d2 = _side((a, b), p), _side((a, b), q)
    d3, d4 = _side((p, q), a), _side((p, q), b)
    return d1 * d2 < 0 and d3 * d4 < 0


@dataclass
class SyntheticScene:
    walkers: list[Walker]
    frame_size: tuple[int, int] = (1280, 720)
    fps: float = 12.0
    entrance_line: tuple[tuple[float, float], tuple[float, float]] = ((640, 380), (640, 719))
    inside_point: tuple[float, float] = (1000, 600)
    zones: dict[str, list[list[float]]] = field(default_factory=dict)
    seed: int = 0
    tail_s: float = 1.5
    sprites: dict[str, np.ndarray] | None = None
    shelves: dict[str, list[list[float]]] = field(default_factory=dict)
    queues: dict[str, list[list[float]]] = field(default_factory=dict)
    door_x: int = 640  # where the door mat is drawn (under the entrance line)

    def __post_init__(self) -> None:
        self.sprites = self.sprites or load_person_sprites()
        missing = {w.sprite for w in self.walkers} - set(self.sprites)
        if missing:
            raise ValueError(f"unknown person sprites: {sorted(missing)}")
        self.background = _draw_background(self.frame_size, self.seed, self.door_x)
        rng = np.random.default_rng(self.seed)
        w, h = self.frame_size
        # +0..8 grey levels of sensor noise (saturating add)
        self._noise = [rng.integers(0, 9, (h, w, 3), dtype=np.uint8) for _ in range(4)]
        self._scaled: dict[tuple[str, int, bool], np.ndarray] = {}

    @property
    def duration(self) -> float:
        return max(w.t_end for w in self.walkers) + self.tail_s

    @property
    def n_frames(self) -> int:
        return int(self.duration * self.fps)

    def _sprite(self, name: str, height: int, flip: bool) -> np.ndarray:
        import cv2

        key = (name, height, flip)
        if key not in self._scaled:
            img = self.sprites[name]
            w = max(1, round(img.shape[1] * height / img.shape[0]))
            img = cv2.resize(img, (w, height), interpolation=cv2.INTER_AREA)
            self._scaled[key] = img[:, ::-1].copy() if flip else img
        return self._scaled[key]

    def people_at(self, t: float) -> list[tuple[Walker, tuple[float, float]]]:
        """Visible walkers and their feet points at time t, back to front (larger y drawn last)."""
        out = [(w, f) for w in self.walkers if (f := w.feet_at(t)) is not None]
        return sorted(out, key=lambda wf: wf[1][1])

    def render(self, index: int, t: float | None = None) -> np.ndarray:
        import cv2

        t = index / self.fps if t is None else t
        frame = self.background.copy()
        fw, fh = self.frame_size
        for walker, (fx, fy) in self.people_at(t):
            sprite = self._sprite(walker.sprite, walker.height, walker.flip)
            sh, sw = sprite.shape[:2]
            # a small step bob so consecutive frames are not identical
            bob = round(3 * math.sin(2 * math.pi * 1.8 * (t - walker.t0)))
            x0, y0 = round(fx - sw / 2), round(fy - sh) + bob
            xa, ya, xb, yb = max(0, x0), max(0, y0), min(fw, x0 + sw), min(fh, y0 + sh)
            if xb <= xa or yb <= ya:
                continue
            frame[ya:yb, xa:xb] = sprite[ya - y0 : yb - y0, xa - x0 : xb - x0]
        # sensor noise, deterministic per frame (a few precomputed fields: cheap)
        return cv2.add(frame, self._noise[index % len(self._noise)])

    def ground_truth(self) -> dict:
        """True entrance crossings of the feet point: {"in": n, "out": n, "crossings": [...]}."""
        a, b = self.entrance_line
        inside_sign = math.copysign(1, _side(self.entrance_line, self.inside_point))
        crossings = []
        for idx, w in enumerate(self.walkers):
            for t_a, _t_b, p, q in w.schedule():
                if p != q and _segments_cross(p, q, a, b):
                    direction = "in" if math.copysign(1, _side(self.entrance_line, q)) == inside_sign else "out"
                    t_cross = t_a + _cross_fraction(p, q, a, b) * math.dist(p, q) / w.speed
                    crossings.append({"walker": idx, "direction": direction, "t": round(t_cross, 3)})
        crossings.sort(key=lambda c: c["t"])
        return {
            "in": sum(c["direction"] == "in" for c in crossings),
            "out": sum(c["direction"] == "out" for c in crossings),
            "crossings": crossings,
            "people": len(self.walkers),
        }

    def camera_config(self, camera_id: str = "synthetic_entrance", fps: float = 4.0) -> dict:
        w, h = self.frame_size
        return {
            "camera_id": camera_id,
            "fps": fps,
            "frame_size": [w, h],
            "screenshot_size": [w, h],
            "entrance_line": [list(self.entrance_line[0]), list(self.entrance_line[1])],
            "inside_point": list(self.inside_point),
            "zones": self.zones,
            "shelves": self.shelves,
            "queues": self.queues,
            "min_dwell_seconds": 1.0,
        }

    def write_video(self, path: str | Path, fourcc: str = "mp4v") -> Path:
        import cv2

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), self.fps, self.frame_size)
        if not writer.isOpened():
            raise RuntimeError(f"cannot write video {path} with codec {fourcc}")
        try:
            for i in range(self.n_frames):
                writer.write(self.render(i))
        finally:
            writer.release()
        return path

    def write_all(self, directory: str | Path, name: str = "entrance") -> dict[str, Path]:
        """Video, camera config and ground truth in ``directory``; returns their paths."""
        directory = Path(directory)
        video = self.write_video(directory / f"{name}.mp4")
        camera = directory / f"{name}.camera.json"
        camera.write_text(json.dumps(self.camera_config(), indent=2))
        truth = directory / f"{name}.truth.json"
        truth.write_text(json.dumps(self.ground_truth(), indent=2))
        return {"video": video, "camera": camera, "truth": truth}


def _cross_fraction(p, q, a, b) -> float:
    d1, d2 = _side((a, b), p), _side((a, b), q)
    return d1 / (d1 - d2) if d1 != d2 else 0.0


def _draw_background(size: tuple[int, int], seed: int, door_x: int = 640) -> np.ndarray:
    """A shop floor: tiled floor, a back wall with shelves, a door mat at the entrance."""
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (178, 184, 188)
    wall_h = int(h * 0.33)
    img[:wall_h] = (205, 214, 222)
    for x in range(0, w, 80):  # floor tiles
        cv2.line(img, (x, wall_h), (x, h), (160, 166, 170), 1)
    for y in range(wall_h, h, 60):
        cv2.line(img, (0, y), (w, y), (160, 166, 170), 1)
    for i in range(6):  # shelves on the back wall with coloured products
        x0 = 40 + i * 210
        cv2.rectangle(img, (x0, 40), (x0 + 170, wall_h - 10), (120, 100, 90), -1)
        for row in range(3):
            y0 = 50 + row * 55
            for k in range(6):
                color = tuple(int(c) for c in rng.integers(40, 230, 3))
                cv2.rectangle(img, (x0 + 8 + k * 27, y0), (x0 + 28 + k * 27, y0 + 40), color, -1)
    cv2.rectangle(img, (door_x - 40, wall_h + 20), (door_x + 40, h), (90, 95, 100), -1)  # door mat along the line
    return img


def default_scene(seed: int = 0, sprites: dict[str, np.ndarray] | None = None) -> SyntheticScene:
    """Six people, one at a time or well apart: 4 in, 3 out (one enters, pauses inside, leaves)."""
    left, right = -70.0, 1350.0
    walkers = [
        Walker("bus_a", 0.0, ((left, 600), (right, 600))),
        Walker("bus_b", 4.5, ((right, 520), (left, 520)), speed=320, height=250),
        Walker("zidane", 9.0, ((left, 660), (right, 640)), speed=280, height=260),
        Walker("bus_c", 13.5, ((right, 560), (left, 580)), height=280, flip=True),
        Walker("bus_a", 18.0, ((left, 500), (right, 540)), speed=340, height=240, flip=True),
        Walker("bus_b", 22.5, ((left, 620), (950, 620), (left, 640)), speed=320, height=270, pauses=(0.0, 1.5)),
    ]
    zones = {"inside": [[700, 350], [1270, 350], [1270, 715], [700, 715]]}
    return SyntheticScene(walkers, zones=zones, seed=seed, sprites=sprites)


def demo_scene(seed: int = 0, sprites: dict[str, np.ndarray] | None = None) -> SyntheticScene:
    """`make demo`'s live camera: shoppers come in through the door (x = 320), cross the floor zone, stop at the
    promo shelf by the back wall and wait at the checkout queue on the right, then leave: 4 in, 4 out in a
    loop that starts and ends empty, with someone in view most of the time and people kept apart (no
    occlusions), so the real detector and tracker count them exactly."""
    left = -70.0
    walkers = [
        Walker("bus_a", 0.0, ((left, 600), (620, 600), (700, 300), (1080, 660), (620, 700), (left, 700)),
               speed=280, height=250, pauses=(0.0, 0.0, 3.0, 3.0)),
        Walker("zidane", 9.0, ((left, 560), (560, 450), (1220, 440), (left, 500)),
               speed=300, height=260, pauses=(0.0, 0.0, 4.0)),
        Walker("bus_b", 22.0, ((left, 640), (780, 330), (left, 600)), speed=300, height=250,
               pauses=(0.0, 3.0), flip=True),
        Walker("bus_c", 25.0, ((left, 690), (860, 680), (1150, 600), (left, 660)),
               speed=320, height=270, pauses=(0.0, 0.0, 3.0)),
    ]
    return SyntheticScene(
        walkers, seed=seed, sprites=sprites, fps=12.0, door_x=320,
        entrance_line=((320, 330), (320, 719)), inside_point=(800, 560),
        zones={"floor": [[360, 400], [940, 400], [940, 715], [360, 715]]},
        shelves={"shelf_promo": [[560, 250], [900, 250], [900, 380], [560, 380]]},
        queues={"checkout": [[1000, 420], [1275, 420], [1275, 715], [1000, 715]]},
    )
