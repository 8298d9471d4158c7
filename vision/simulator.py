"""Store simulator: scripted shoppers → det.txt (MOT), camera.json and ground-truth summary.json.

A 1280x720 camera sees a door on the left (entrance line), a browsing zone ("electronics"), a promo
shelf and a checkout queue. Customers come in from the street through the door, browse, linger at the
shelf, queue at the checkout (people in the queue overlap, so the detector misses or down-scores
them), and leave through the door. Passers-by walk along the street, window-shoppers walk up to the
door and turn back, and a mannequin stands in the electronics zone for the whole scene.

The ground truth is computed from the TRUE (noise-free) foot paths at the camera's frame times with
the GUIDE §2 definitions (stays with < 1 s absences bridged, min_dwell, crossings of the line segment); the
mannequin is not a person. Polygons are written in screenshot coordinates (1920x1080) so that replays
exercise the screenshot→frame scaling.

Noise: "clean" = every visible person detected with an exact box and conf 0.9 (the mannequin too: a
detector does see mannequins); "realistic" = box jitter, random misses, occlusion misses and
low-confidence boxes in the queue, false positives (mostly single frames), an unreliable mannequin.

    python -m vision.simulator OUT_DIR --seed 1 --fps 4 --noise realistic --duration 900
    python -m vision.simulator OUT_DIR --seed 1000 --scene random   # a randomised scene (below)

Scenes (`Scene`): the default scene is the fixed store above. `random_scene(seed)` draws a scene per seed
over wide ranges, independent of the tracker's constants: queue position, direction (across the
image or receding from the camera), spacing 0.18-0.45 person heights (dense lines overlap heavily) and
speed, service times, camera height / person scale (0.55-1.5x), crowd density (a customer every
6-20 s), and a detector noise model: confidence of real people N(0.55..0.85, 0.08..0.2) clipped to
[0.05, 0.98] (not at 0.5), misses 2-12% plus up to +40% for small people, 1-5% box jitter, false
positives 0.2-1.5 bursts/s lasting up to 0.5-2 s at confidences 0.2-0.4 .. 0.6-0.9 (overlapping real
people's), occlusion misses/down-scoring in the queue, a mannequin that sways (1-5% of its height,
3-10 s period) with its own jitter and confidence. Seeds 100-119 are for tuning, 1000+ for reporting.

The ground truth carries, per queue, `flow_wait`: time-averaged number of (true) people in the queue
polygon over the observed period / queue stays counted per second (Little's law), beside avg_wait.

Used by the benchmarks (bench/bench_store_sim.py), the tests and the demo data (workers/demo.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

W, H = 1280, 720
SHOT = (1920, 1080)
SCALE = SHOT[0] / W
LINE = [(150.0, 300.0), (150.0, 660.0)]
INSIDE = (400.0, 480.0)
ZONES = {"electronics": [(300, 220), (660, 220), (660, 470), (300, 470)]}
SHELVES = {"shelf_promo": [(760, 170), (1000, 170), (1000, 300), (760, 300)]}
QUEUES = {"checkout": [(880, 500), (1260, 500), (1260, 680), (880, 680)]}
SERVER = (1200.0, 590.0)  # slot 0 (being served); slots go left from here
SLOT_DX = 55.0
SLOT_DY = 14.0  # the queue recedes from the camera: people behind are partly hidden
MANNEQUIN = (480.0, 340.0)
MIN_DWELL = 2.0
STREET_ENDS = (-20.0, 1100.0)  # foot y just outside the frame at the top / bottom of the street


def _queue_polygon(server, step, slots: int, half_width: float) -> list[tuple[float, float]]:
    """Rotated rectangle around the queue's slots (head beyond slot 0, tail beyond the last), in frame px."""
    L = math.hypot(*step)
    ux, uy = step[0] / L, step[1] / L
    nx, ny = -uy, ux
    a0, a1 = -0.8 * L, (slots - 0.4) * L
    pts = [(server[0] + ux * a + nx * b, server[1] + uy * a + ny * b)
           for a, b in ((a0, -half_width), (a1, -half_width), (a1, half_width), (a0, half_width))]
    return [(round(min(max(x, 0.0), W - 1.0), 1), round(min(max(y, 0.0), H - 1.0), 1)) for x, y in pts]


@dataclass
class Scene:
    """Everything that varies between scenes. The defaults are the fixed store described above."""

    line: list = field(default_factory=lambda: list(LINE))
    inside: tuple = INSIDE
    zones: dict = field(default_factory=lambda: dict(ZONES))
    shelves: dict = field(default_factory=lambda: dict(SHELVES))
    queues: dict = field(default_factory=lambda: dict(QUEUES))
    server: tuple = SERVER
    slot_step: tuple = (-SLOT_DX, -SLOT_DY)  # from one queue slot to the next one behind it
    slot_jitter: float = 4.0
    person_scale: float = 1.0  # camera height: person height = scale x (80 + 0.25 y)
    arrival_mean: float = 14.0  # seconds between customers
    passer_mean: float = 25.0
    queue_share: float = 0.65
    queue_speed: float = 0.6  # moving up in the queue, as a share of the walking speed
    service: tuple = (12.0, 40.0)
    leave_side: float = 0.0  # 0: step out towards the camera (default); else perpendicular offset in heights
    mannequin: tuple = MANNEQUIN
    mannequin_sway: float = 0.0  # amplitude, share of its height
    mannequin_period: float = 6.0
    # Detector noise ("realistic").
    conf_mean: float = 0.8
    conf_sd: float = 0.08
    conf_min: float = 0.5
    miss: float = 0.07
    small_miss: float = 0.0  # extra miss rate for small people (height 70 px and less; 0 from 150 px)
    jitter: float = 0.02
    occl_miss: float = 0.3
    occl_low: float = 0.4
    man_miss: float = 0.15
    man_conf: tuple = (0.45, 0.75)
    man_jitter: float = 0.006
    fp_rate: float = 0.6  # false-positive bursts per second
    fp_conf: tuple = (0.3, 0.65)
    fp_max_s: float = 0.0  # 0: the default burst lengths (1-3 frames at 4/s); else uniform up to this (s)

    def person_height(self, y_foot):
        return self.person_scale * (80.0 + 0.25 * y_foot)

    def box_of(self, x: float, y: float) -> tuple[float, float, float, float]:
        h = self.person_height(y)
        w = 0.4 * h
        return (x - w / 2, y - h, x + w / 2, y)

    def slot(self, k: int, rng=None, jitter: float | None = None) -> tuple[float, float]:
        j = self.slot_jitter if jitter is None else jitter
        dy = rng.uniform(-j, j) if rng is not None else 0.0
        return (self.server[0] + k * self.slot_step[0], self.server[1] + k * self.slot_step[1] + dy)


DEFAULT_SCENE = Scene()


def random_scene(seed: int) -> Scene:
    """A scene drawn over wide ranges (module doc); deterministic per seed."""
    rng = np.random.default_rng([seed, 7919])
    scale = float(rng.uniform(0.55, 1.5))
    slots = 6
    for _ in range(200):
        server = (float(rng.uniform(980, 1200)), float(rng.uniform(470, 650)))
        h_srv = scale * (80.0 + 0.25 * server[1])
        spacing = float(rng.uniform(0.18, 0.45)) * h_srv
        ang = math.radians(float(rng.uniform(165, 250)))  # left .. up-left .. up (receding from the camera)
        step = (spacing * math.cos(ang), spacing * math.sin(ang))
        tail = (server[0] + (slots - 1) * step[0], server[1] + (slots - 1) * step[1])
        h_tail = scale * (80.0 + 0.25 * tail[1])
        if 700 < tail[0] < W - 20 and tail[1] - h_tail > 5 and tail[1] > 330 and server[1] + 0.3 * h_srv < H:
            break
    half = max(0.3 * h_srv, 0.5 * spacing) + 10.0  # a lane drawn a person-width or so either side of the feet
    sc = Scene(
        queues={"checkout": _queue_polygon(server, step, slots, half)},
        server=server, slot_step=step, slot_jitter=float(min(4.0, 0.1 * spacing)),
        person_scale=scale,
        arrival_mean=float(rng.uniform(6, 20)), passer_mean=float(rng.uniform(10, 40)),
        queue_share=float(rng.uniform(0.5, 0.9)), queue_speed=float(rng.uniform(0.3, 1.0)),
        service=(float(rng.uniform(6, 15)), float(rng.uniform(20, 50))),
        leave_side=float(rng.choice([0.0, rng.uniform(0.5, 1.0)])),
        mannequin_sway=float(rng.uniform(0.01, 0.05)), mannequin_period=float(rng.uniform(3, 10)),
        conf_mean=float(rng.uniform(0.55, 0.85)), conf_sd=float(rng.uniform(0.08, 0.2)), conf_min=0.05,
        miss=float(rng.uniform(0.02, 0.12)), small_miss=float(rng.uniform(0.1, 0.4)),
        jitter=float(rng.uniform(0.01, 0.05)),
        occl_miss=float(rng.uniform(0.2, 0.5)), occl_low=float(rng.uniform(0.3, 0.5)),
        man_miss=float(rng.uniform(0.05, 0.3)),
        man_conf=(float(rng.uniform(0.3, 0.5)), float(rng.uniform(0.6, 0.85))),
        man_jitter=float(rng.uniform(0.004, 0.02)),
        fp_rate=float(rng.uniform(0.2, 1.5)),
        fp_conf=(float(rng.uniform(0.2, 0.4)), float(rng.uniform(0.6, 0.9))),
        fp_max_s=float(rng.uniform(0.5, 2.0)),
    )
    return sc


def person_height(y_foot: float) -> float:
    return DEFAULT_SCENE.person_height(y_foot)


def box_of(x: float, y: float) -> tuple[float, float, float, float]:
    return DEFAULT_SCENE.box_of(x, y)


@dataclass
class Person:
    pid: int
    kind: str  # customer | passer | window
    keys: list[tuple[float, float, float]] = field(default_factory=list)  # (t, x, y)

    def go(self, x: float, y: float, speed: float) -> None:
        t0, x0, y0 = self.keys[-1]
        self.keys.append((t0 + math.hypot(x - x0, y - y0) / speed, x, y))

    def stay(self, dur: float, rng: np.random.Generator, sway: float = 0.0) -> None:
        t0, x0, y0 = self.keys[-1]
        n = max(1, int(dur / 2.0))
        for i in range(1, n + 1):
            dx, dy = (rng.uniform(-sway, sway), rng.uniform(-sway, sway)) if sway else (0.0, 0.0)
            self.keys.append((t0 + dur * i / n, x0 + dx, y0 + dy))

    @property
    def t_end(self) -> float:
        return self.keys[-1][0]

    def pos(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.array(self.keys)
        return np.interp(t, k[:, 0], k[:, 1]), np.interp(t, k[:, 0], k[:, 2])


def build_people(seed: int, duration: float, scene: Scene = DEFAULT_SCENE) -> list[Person]:
    sc = scene
    rng = np.random.default_rng(seed)
    people: list[Person] = []
    pid = 0
    t = rng.uniform(1, 5)
    arrivals = []
    while t < duration * 0.8:
        arrivals.append(t)
        t += rng.exponential(sc.arrival_mean)
    queue_free_at = 0.0
    queue_members: list[tuple[float, float]] = []  # (arrive, leave) of customers in the queue
    customers = []
    for ta in arrivals:
        pid += 1
        p = Person(pid, "customer")
        speed = rng.uniform(70, 110)
        y_door = rng.uniform(380, 600)
        x_st = rng.uniform(40, 100)
        p.keys.append((ta, x_st, STREET_ENDS[rng.integers(2)]))  # along the street from the top or bottom
        p.go(x_st, y_door + rng.uniform(-30, 30), speed)
        p.go(240.0, y_door + rng.uniform(-30, 30), speed)
        if rng.random() < 0.75:  # browse electronics
            for _ in range(rng.integers(1, 4)):
                p.go(rng.uniform(330, 630), rng.uniform(250, 450), speed)
                p.stay(rng.uniform(3, 25), rng, sway=4.0)
        if rng.random() < 0.55:  # linger at the promo shelf
            p.go(rng.uniform(790, 970), rng.uniform(200, 280), speed)
            p.stay(rng.uniform(3, 25), rng, sway=2.0)
        customers.append((p, speed, rng.random() < sc.queue_share))
        people.append(p)
    # Checkout queue, first come first served, in order of arrival at the queue.
    def eta(c):  # arrival at the queue tail, to serve in order of arrival
        p, speed, _ = c
        t0, x0, y0 = p.keys[-1]
        tx, ty = sc.slot(3)
        return t0 + math.hypot(tx - x0, ty - y0) / speed

    order = sorted((c for c in customers if c[2]), key=eta)
    for p, speed, _ in order:
        t_dec = eta((p, speed, True))
        ahead = sorted(lv for (ar, lv) in queue_members if lv > t_dec)
        k = len(ahead)
        p.go(*sc.slot(k, rng), speed)
        t_arr = p.t_end
        ahead = sorted(lv for (ar, lv) in queue_members if lv > t_arr)
        # Move up one slot each time someone ahead leaves.
        for i, lv in enumerate(ahead):
            slot = len(ahead) - i - 1
            t0, _x0, _y0 = p.keys[-1]
            if lv > t0:
                p.stay(lv - t0, rng, sway=2.0)
            p.go(*sc.slot(slot, rng, 0.75 * sc.slot_jitter), speed * sc.queue_speed)
        service = rng.uniform(*sc.service)
        p.stay(service, rng, sway=2.0)
        queue_members.append((t_arr, p.t_end))
        queue_free_at = max(queue_free_at, p.t_end)
    for p, speed, queued in customers:
        y_door = rng.uniform(380, 600)
        if queued and sc.leave_side:  # step out sideways (perpendicular to the queue), then away
            L = math.hypot(*sc.slot_step)
            nx, ny = -sc.slot_step[1] / L, sc.slot_step[0] / L
            if ny < 0:
                nx, ny = -nx, -ny  # towards the camera side
            d = sc.leave_side * sc.person_height(sc.server[1])
            p.go(sc.server[0] + nx * d, min(sc.server[1] + ny * d, 715.0), speed)
            p.go(700.0, 700.0 + rng.uniform(-8, 8), speed)
        elif queued:  # step out of the checkout towards the camera, then walk past in front of the queue
            p.go(sc.server[0] + rng.uniform(-10, 10), 700.0, speed)
            p.go(700.0, 700.0 + rng.uniform(-8, 8), speed)
        p.go(240.0, y_door, speed)
        x_st = rng.uniform(40, 100)
        p.go(x_st, y_door + rng.uniform(-30, 30), speed)
        p.go(x_st + rng.uniform(-15, 15), STREET_ENDS[rng.integers(2)], speed)
    # Passers-by on the street side and window-shoppers who turn back before the line.
    t = rng.uniform(0, 20)
    while t < duration * 0.9:
        pid += 1
        if rng.random() < 0.7:
            p = Person(pid, "passer")
            x = rng.uniform(30, 110)
            down = rng.random() < 0.5
            p.keys.append((t, x, STREET_ENDS[0] if down else STREET_ENDS[1]))
            p.go(x + rng.uniform(-20, 20), STREET_ENDS[1] if down else STREET_ENDS[0], rng.uniform(70, 120))
        else:
            p = Person(pid, "window")
            y = rng.uniform(380, 600)
            x_st = rng.uniform(40, 90)
            sp = rng.uniform(60, 100)
            p.keys.append((t, x_st, STREET_ENDS[rng.integers(2)]))
            p.go(x_st, y, sp)
            p.go(rng.uniform(110, 130), y, sp)
            p.stay(rng.uniform(2, 8), rng, sway=2.0)
            p.go(x_st, y + rng.uniform(-30, 30), sp)
            p.go(x_st, STREET_ENDS[rng.integers(2)], sp)
        people.append(p)
        t += rng.exponential(sc.passer_mean)
    return people


def visible(box) -> bool:
    x1, y1, x2, y2 = box
    vis_w = min(x2, W) - max(x1, 0)
    return vis_w > 0.5 * (x2 - x1) and y2 > 0 and y1 < H


def make_detections(people: list[Person], fps: float, noise: str, seed: int, t_end: float,
                    scene: Scene = DEFAULT_SCENE):
    sc = scene
    rng = np.random.default_rng(seed + 1000)
    n_frames = int(t_end * fps) + 1
    frames: list[list[tuple[float, float, float, float, float]]] = []
    times = np.arange(n_frames) / fps
    # Positions of everyone at all frame times (NaN when not in the scene).
    pos = []
    for p in people:
        x, y = p.pos(times)
        alive = (times >= p.keys[0][0]) & (times <= p.t_end)
        pos.append((np.where(alive, x, np.nan), np.where(alive, y, np.nan)))
    realistic = noise == "realistic"
    fp_track: list[list[float]] = []  # short-lived false positives: [frames_left, x, y, h]
    man_box = sc.box_of(*sc.mannequin)
    man_h = man_box[3] - man_box[1]
    for f in range(n_frames):
        boxes = []
        for i in range(len(people)):
            x, y = pos[i][0][f], pos[i][1][f]
            if math.isnan(x):
                continue
            b = sc.box_of(x, y)
            if visible(b):
                boxes.append((y, b))
        if sc.mannequin_sway:  # it sways slowly about its base (a draught, people brushing past)
            dx = sc.mannequin_sway * man_h * math.sin(2 * math.pi * times[f] / sc.mannequin_period)
            man_box = sc.box_of(sc.mannequin[0] + dx, sc.mannequin[1])
        boxes.append((sc.mannequin[1], man_box))
        dets = []
        for idx, (yf, b) in enumerate(boxes):
            is_mannequin = idx == len(boxes) - 1
            if not realistic:
                dets.append((*_clip(b), 0.9))
                continue
            # Occlusion: covered by a box whose feet are nearer the camera (or level, further right in the queue).
            cover = 0.0
            for yo, bo in boxes:
                if bo is b or yo <= yf + 2:  # only someone nearer the camera hides this person
                    continue
                cover = max(cover, _covered(b, bo))
            h = b[3] - b[1]
            conf = float(np.clip(rng.normal(sc.conf_mean, sc.conf_sd), sc.conf_min, 0.98))
            miss = sc.miss + sc.small_miss * min(max((150.0 - h) / 80.0, 0.0), 1.0)
            if is_mannequin:
                if rng.random() < sc.man_miss:
                    continue
                conf = float(rng.uniform(*sc.man_conf))
            elif cover > 0.35:
                r = rng.random()
                if r < sc.occl_miss:
                    continue
                if r < sc.occl_miss + sc.occl_low:
                    conf = float(rng.uniform(0.15, 0.45))
            elif rng.random() < miss:
                continue
            j = sc.jitter * h if not is_mannequin else sc.man_jitter * h
            cx = (b[0] + b[2]) / 2 + rng.normal(0, j)
            cy = (b[1] + b[3]) / 2 + rng.normal(0, j)
            hh = h * (1 + rng.normal(0, 1.25 * sc.jitter))
            ww = (b[2] - b[0]) * (1 + rng.normal(0, 2 * sc.jitter))
            dets.append((*_clip((cx - ww / 2, cy - hh / 2, cx + ww / 2, cy + hh / 2)), conf))
        if realistic:
            if rng.random() < sc.fp_rate / fps:  # false-positive bursts per second of video
                yy = rng.uniform(150, 700)
                n = (int(rng.choice([1, 1, 1, 2, 3]) * max(1, fps / 4)) if not sc.fp_max_s
                     else max(1, round(rng.uniform(0, sc.fp_max_s) * fps)))
                fp_track.append([n, rng.uniform(50, 1230), yy, sc.person_height(yy) * rng.uniform(0.6, 1.2)])
            for fp in fp_track:
                x, y, h = fp[1], fp[2], fp[3]
                dets.append((*_clip((x - 0.2 * h, y - h, x + 0.2 * h, y)), float(rng.uniform(*sc.fp_conf))))
                fp[0] -= 1
            fp_track = [fp for fp in fp_track if fp[0] > 0]
        frames.append(dets)
    return frames


def _clip(b):
    return (max(0.0, b[0]), max(0.0, b[1]), min(float(W), b[2]), min(float(H), b[3]))


def _covered(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / max((a[2] - a[0]) * (a[3] - a[1]), 1e-9)


def _stays(inside: np.ndarray, t: np.ndarray) -> list[tuple[float, float]]:
    """GUIDE stays from a densely sampled inside/outside series."""
    out = []
    idx = np.flatnonzero(inside)
    if len(idx) == 0:
        return out
    start = last = t[idx[0]]
    prev = idx[0]
    for i in idx[1:]:
        if i != prev + 1 and t[i] - last >= 1.0 + 1e-9:  # absence of >= 1 s ends the stay
            out.append((start, last))
            start = t[i]
        last = t[i]
        prev = i
    out.append((start, last))
    return out


def ground_truth(people: list[Person], fps: float, scene: Scene = DEFAULT_SCENE) -> dict:
    """GUIDE §2 metrics from the true (noise-free) foot paths, observed at the camera's frame times."""
    sc = scene
    regions = [("zones", k, v) for k, v in sc.zones.items()] + [("shelves", k, v) for k, v in sc.shelves.items()] + \
              [("queues", k, v) for k, v in sc.queues.items()]
    polys = {(sec, rid): shapely.Polygon(pts) for sec, rid, pts in regions}
    acc = {key: [] for key in polys}
    visitors = {key: set() for key in polys}
    occupancy = dict.fromkeys(polys, 0.0)  # person-seconds inside (Little's law)
    foot = {"in": 0, "out": 0}
    (ax, ay), (bx, by) = sc.line
    nx, ny = -(by - ay), (bx - ax)
    if (sc.inside[0] - ax) * nx + (sc.inside[1] - ay) * ny < 0:
        nx, ny = -nx, -ny
    seen = 0
    for p in people:
        t = np.arange(math.ceil(p.keys[0][0] * fps), math.floor(p.t_end * fps) + 1) / fps
        if len(t) < 2:
            continue
        x, y = p.pos(t)
        in_frame = np.array([visible(sc.box_of(a, b)) for a, b in zip(x, y)])
        if in_frame.sum() / fps >= 1.0:
            seen += 1
        d = (x - ax) * nx + (y - ay) * ny
        s = np.sign(d)
        for i in np.flatnonzero(s[1:] * s[:-1] < 0):
            f = d[i] / (d[i] - d[i + 1])
            cy = y[i] + f * (y[i + 1] - y[i])
            if min(ay, by) <= cy <= max(ay, by):
                foot["in" if s[i + 1] > 0 else "out"] += 1
        for key, poly in polys.items():
            inside = shapely.contains_xy(poly, x, y)
            occupancy[key] += float(inside.sum()) / fps
            for a, b in _stays(inside, t):
                if b - a >= MIN_DWELL:
                    acc[key].append(b - a)
                    visitors[key].add(p.pid)
    out = {"footfall": foot, "zones": {}, "shelves": {}, "queues": {}, "unique_tracks": seen}
    for (sec, rid), durs in acc.items():
        n = len(durs)
        avg = round(float(np.mean(durs)), 2) if n else 0.0
        if sec == "zones":
            out[sec][rid] = {"entries": n, "unique_visitors": len(visitors[(sec, rid)]), "avg_dwell": avg}
        elif sec == "shelves":
            out[sec][rid] = {"interactions": n, "avg_dwell": avg}
        else:
            out[sec][rid] = {"served": n, "avg_wait": avg, "max_wait": round(float(max(durs)), 2) if n else 0.0,
                             "flow_wait": round(occupancy[(sec, rid)] / n, 2) if n else 0.0}
    return out


def write_gt_txt(path: Path, people: list[Person], fps: float, t_end: float, scene: Scene = DEFAULT_SCENE) -> None:
    """True boxes of the persons (not the mannequin) per frame, MOT gt format."""
    times = np.arange(int(t_end * fps) + 1) / fps
    rows = []
    for p in people:
        x, y = p.pos(times)
        alive = (times >= p.keys[0][0]) & (times <= p.t_end)
        for f in np.flatnonzero(alive):
            b = scene.box_of(x[f], y[f])
            if visible(b):
                c = _clip(b)
                rows.append((f + 1, p.pid, c[0], c[1], c[2] - c[0], c[3] - c[1]))
    rows.sort()
    with path.open("w") as fh:
        for f, pid, x1, y1, w, h in rows:
            fh.write(f"{f},{pid},{x1:.2f},{y1:.2f},{w:.2f},{h:.2f},1,1,1\n")


def camera_config(fps: float, scene: Scene = DEFAULT_SCENE) -> dict:
    def shot(pts):
        return [[round(x * SCALE, 2), round(y * SCALE, 2)] for x, y in pts]

    return {
        "camera_id": "sim_store_01",
        "fps": fps,
        "frame_size": [W, H],
        "screenshot_size": list(SHOT),
        "entrance_line": shot(scene.line),
        "inside_point": shot([scene.inside])[0],
        "zones": {k: shot(v) for k, v in scene.zones.items()},
        "shelves": {k: shot(v) for k, v in scene.shelves.items()},
        "queues": {k: shot(v) for k, v in scene.queues.items()},
        "min_dwell_seconds": MIN_DWELL,
    }


def write_scene_files(out: Path, people: list[Person], fps: float, noise: str, seed: int, scene: Scene,
                      camera: dict) -> None:
    """gt.txt (true boxes), det.txt (the noisy detections, MOT) and camera.json of a scene's people."""
    t_end = max(p.t_end for p in people) + 2.0
    frames = make_detections(people, fps, noise, seed, t_end, scene)
    write_gt_txt(out / "gt.txt", people, fps, t_end, scene)
    with (out / "det.txt").open("w") as fh:
        for n, dets in enumerate(frames, 1):
            for x1, y1, x2, y2, c in dets:
                fh.write(f"{n},-1,{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{c:.3f},-1,-1,-1\n")
    (out / "camera.json").write_text(json.dumps(camera, indent=2))


def simulate(out_dir: str | Path, seed: int = 1, fps: float = 4.0, noise: str = "realistic",
             duration: float = 900.0, scene: Scene | str | None = None) -> dict:
    """Write det.txt, camera.json and gt_summary.json into out_dir; returns the ground truth.

    scene: a Scene, "random" (random_scene(seed)) or None/"default" (the fixed store)."""
    if noise not in ("clean", "realistic"):
        raise ValueError("noise: must be 'clean' or 'realistic'")
    if scene is None or scene == "default":
        scene = DEFAULT_SCENE
    elif scene == "random":
        scene = random_scene(seed)
    elif not isinstance(scene, Scene):
        raise ValueError("scene: must be 'default', 'random' or a Scene")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    people = build_people(seed, duration, scene)
    write_scene_files(out, people, fps, noise, seed, scene, camera_config(fps, scene))
    gt = ground_truth(people, fps, scene)
    (out / "gt_summary.json").write_text(json.dumps(gt, indent=2))
    return gt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--noise", choices=["clean", "realistic"], default="realistic")
    ap.add_argument("--duration", type=float, default=900.0)
    ap.add_argument("--scene", choices=["default", "random"], default="default")
    a = ap.parse_args(argv)
    gt = simulate(a.out, a.seed, a.fps, a.noise, a.duration, a.scene)
    json.dump(gt, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
