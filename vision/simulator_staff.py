"""Staff in the store simulator (GUIDE §2 Staff), with ground truth: customers only, and staff apart.

The default store of vision.simulator gains two staff zones, drawn where customers never go:
- `counter`: behind the checkout (right of the queue's server), and
- `stockroom`: the stock-room door at the top right.
Staff (Person.kind "staff") walk in from the street through the door, go behind the counter for a while,
may restock the promo shelf (which would count as shelf interactions) and leave through the door again;
a share of them (`uniform_only`, default 10%) never goes behind the counter: they come in, restock the shelf and leave
(only the uniform model can tell them). Restockers also come out of the stock room, restock the shelf and
go back, never crossing the door. The number of staff door trips is set so that staff make `staff_share`
(default 20%) of all door crossings.

Ground truth (`gt_summary.json`): the GUIDE §3 summary of the customers (and passers-by) only, the
metrics a staff-aware pipeline should report; `gt_all.json`: everyone counted, what a pipeline without
staff zones reports at best; `gt_staff.json`: staff door crossings, trips, and the staff person ids.
Staff wear a uniform: `staff_ids` in gt_staff.json lets a frame renderer colour them (vision/synthetic.py).

    python -m vision.simulator_staff OUT_DIR --seed 1 --noise realistic --duration 900
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .simulator import (
    DEFAULT_SCENE,
    MIN_DWELL,
    SCALE,
    STREET_ENDS,
    Person,
    build_people,
    camera_config,
    ground_truth,
    write_scene_files,
)

STAFF_ZONES = {
    "counter": [(1130, 330), (1270, 330), (1270, 470), (1130, 470)],
    "stockroom": [(1120, 90), (1270, 90), (1270, 200), (1120, 200)],
}
COUNTER_SPOT = (1200.0, 400.0)
STOCKROOM_SPOT = (1195.0, 150.0)


def staff_camera_config(fps: float) -> dict:
    """The simulator's camera config plus the staff zones (screenshot coordinates, like the rest)."""
    cfg = camera_config(fps, DEFAULT_SCENE)
    cfg["staff_zones"] = {k: [[round(x * SCALE, 2), round(y * SCALE, 2)] for x, y in v] for k, v in STAFF_ZONES.items()}
    return cfg


def _shelf_spot(rng) -> tuple[float, float]:
    return (float(rng.uniform(790, 970)), float(rng.uniform(200, 280)))


def build_staff(seed: int, duration: float, n_trips: int, first_pid: int, uniform_only: float = 0.1,
                restockers: int = 3) -> list[Person]:
    """Staff paths: `n_trips` door trips (in and out again) and `restockers` stock-room → shelf trips."""
    rng = np.random.default_rng(seed + 7000)
    staff: list[Person] = []
    pid = first_pid
    starts = np.sort(rng.uniform(2.0, duration * 0.75, n_trips))
    for t0 in starts:
        pid += 1
        p = Person(pid, "staff")
        speed = rng.uniform(80, 115)
        y_door = rng.uniform(380, 600)
        x_st = rng.uniform(40, 100)
        p.keys.append((float(t0), x_st, STREET_ENDS[rng.integers(2)]))
        p.go(x_st, y_door + rng.uniform(-30, 30), speed)
        p.go(240.0, y_door + rng.uniform(-30, 30), speed)
        behind_counter = rng.random() >= uniform_only
        if behind_counter:
            # Past the top of the queue, behind the counter.
            p.go(1060.0, 360.0, speed)
            p.go(COUNTER_SPOT[0] + rng.uniform(-20, 20), COUNTER_SPOT[1] + rng.uniform(-15, 15), speed)
            p.stay(rng.uniform(20, 90), rng, sway=3.0)
        if not behind_counter or rng.random() < 0.5:  # restock the promo shelf
            p.go(*_shelf_spot(rng), speed)
            p.stay(rng.uniform(8, 30), rng, sway=2.0)
        if behind_counter and rng.random() < 0.5:
            p.go(1060.0, 360.0, speed)
            p.go(COUNTER_SPOT[0] + rng.uniform(-20, 20), COUNTER_SPOT[1] + rng.uniform(-15, 15), speed)
            p.stay(rng.uniform(10, 40), rng, sway=3.0)
        y_out = rng.uniform(380, 600)
        p.go(700.0, 440.0 + rng.uniform(-10, 10), speed)
        p.go(240.0, y_out, speed)
        p.go(x_st, y_out + rng.uniform(-30, 30), speed)
        p.go(x_st + rng.uniform(-15, 15), STREET_ENDS[rng.integers(2)], speed)
        staff.append(p)
    for t0 in np.sort(rng.uniform(5.0, duration * 0.8, restockers)):
        pid += 1
        p = Person(pid, "staff")
        speed = rng.uniform(70, 100)
        p.keys.append((float(t0), STOCKROOM_SPOT[0] + rng.uniform(-15, 15), STOCKROOM_SPOT[1] + rng.uniform(-10, 10)))
        p.stay(rng.uniform(3, 8), rng, sway=2.0)
        p.go(*_shelf_spot(rng), speed)
        p.stay(rng.uniform(10, 40), rng, sway=2.0)
        p.go(STOCKROOM_SPOT[0] + rng.uniform(-15, 15), STOCKROOM_SPOT[1] + rng.uniform(-10, 10), speed)
        p.stay(rng.uniform(3, 8), rng, sway=2.0)
        staff.append(p)
    return staff


def simulate_staff(out_dir: str | Path, seed: int = 1, fps: float = 4.0, noise: str = "realistic",
                   duration: float = 900.0, staff_share: float = 0.2, uniform_only: float = 0.1) -> dict:
    """Write det.txt (customers and staff), camera.json (with staff zones), gt_summary.json (customers only),
    gt_all.json and gt_staff.json into out_dir; returns {"customers": …, "all": …, "staff": …}."""
    if noise not in ("clean", "realistic"):
        raise ValueError("noise: must be 'clean' or 'realistic'")
    if not 0.0 <= staff_share < 1.0:
        raise ValueError("staff_share: must be in [0, 1)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scene = DEFAULT_SCENE
    customers = build_people(seed, duration, scene)
    gt_customers = ground_truth(customers, fps, scene)
    door = gt_customers["footfall"]["in"] + gt_customers["footfall"]["out"]
    # staff crossings / all crossings = share; a trip is two crossings.
    n_trips = round(staff_share / (1.0 - staff_share) * door / 2.0)
    staff = build_staff(seed, duration, n_trips, max(p.pid for p in customers), uniform_only)
    people = customers + staff
    write_scene_files(out, people, fps, noise, seed, scene, staff_camera_config(fps))
    gt_all = ground_truth(people, fps, scene)
    gt_staff_only = ground_truth(staff, fps, scene)
    staff_info = {
        "crossings": gt_staff_only["footfall"]["in"] + gt_staff_only["footfall"]["out"],
        "trips": n_trips,
        "uniform_only_trips": None,  # filled below
        "tracks": len(staff),
        "share_of_crossings": round(
            (gt_staff_only["footfall"]["in"] + gt_staff_only["footfall"]["out"])
            / max(1, gt_all["footfall"]["in"] + gt_all["footfall"]["out"]), 4),
        "staff_ids": [p.pid for p in staff],
        "min_dwell_seconds": MIN_DWELL,
    }
    # A door trip that never reaches the counter: only the uniform model can tell.
    counter_x = STAFF_ZONES["counter"][0][0]
    staff_info["uniform_only_trips"] = sum(
        1 for p in staff if p.keys[0][1] < 150 and max(k[1] for k in p.keys) < counter_x
    )
    (out / "gt_summary.json").write_text(json.dumps(gt_customers, indent=2))
    (out / "gt_all.json").write_text(json.dumps(gt_all, indent=2))
    (out / "gt_staff.json").write_text(json.dumps(staff_info, indent=2))
    return {"customers": gt_customers, "all": gt_all, "staff": staff_info}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--noise", choices=["clean", "realistic"], default="realistic")
    ap.add_argument("--duration", type=float, default=900.0)
    ap.add_argument("--staff-share", type=float, default=0.2)
    a = ap.parse_args(argv)
    gt = simulate_staff(a.out, a.seed, a.fps, a.noise, a.duration, a.staff_share)
    json.dump(gt["staff"], sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
