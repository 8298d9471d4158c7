"""Staff exclusion on the store simulator: customer metrics with staff zones vs without (baseline, same run).

The simulator's store gains staff (vision/simulator_staff.py): door trips that are ~20% of all door
crossings, time behind the counter, shelf restocking, and stock-room restockers. The same detections are
replayed twice: with the camera's staff zones (staff tracks left out) and without them (the baseline: staff
counted as customers). Both are scored against the customers-only ground truth:
- footfall error: |measured in − true in| / true in (and out), per seed, in %;
- count MAPE: mean absolute % error over the count metrics (footfall, zone entries/visitors, shelf
  interactions, queue served), as in bench_store_sim.py;
- staff crossings left in: staff door crossings (truth) that footfall still counted (measured − true, both
  directions), and how many the staff zones took out.

    python bench/bench_staff_sim.py [--seeds 1 2 3] [--noise clean realistic] [--duration 900]
    python bench/bench_store_sim.py --staff [...]   # the same
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vision.config import load_camera_config
from vision.mot import iter_frames, read_det_txt
from vision.pipeline import EventPipeline
from vision.simulator_staff import simulate_staff
from vision.summary import flatten_summary

COUNT_KEYS = ("footfall.in", "footfall.out", ".entries", ".unique_visitors", ".interactions", ".served")
START = datetime(2025, 10, 1, 10, tzinfo=UTC)


def replay(det_txt: Path, cam: dict) -> tuple[dict, int]:
    """(summary, frames) of our pipeline over the detections."""
    cfg = load_camera_config(cam)
    pipe = EventPipeline(cfg, START)
    frames = 0
    for _, t, dets in iter_frames(read_det_txt(det_txt), cfg.fps):
        pipe.update(t, dets)
        frames += 1
    pipe.finish()
    return pipe.summary(), frames


def uniform_run(d: Path, cam: dict, staff_ids: set[int], lookalike: float, seed: int) -> dict:
    """Replay det.txt through the driver with the uniform stage on frames rendered from gt.txt: staff in a red
    uniform, customers in shirts of other hues, `lookalike` of them in red too. Returns the summary and which
    true persons the uniform marks hit."""
    from vision.driver import PipelineDriver
    from vision.sources import FramePacket
    from vision.uniform import UniformStage

    rng = np.random.default_rng(seed + 99)
    cfg = load_camera_config(cam)
    dets = read_det_txt(d / "det.txt")
    gt: dict[int, list[tuple[int, float, float, float, float]]] = {}
    for line in (d / "gt.txt").read_text().splitlines():
        f, pid, x, y, w, h = line.split(",")[:6]
        gt.setdefault(int(f), []).append((int(pid), float(x), float(y), float(x) + float(w), float(y) + float(h)))
    red = (30, 30, 200)
    shirts: dict[int, tuple[int, int, int]] = {}

    def shirt(pid: int) -> tuple[int, int, int]:
        if pid not in shirts:
            if pid in staff_ids or rng.random() < lookalike:
                shirts[pid] = red
            else:  # any hue but red's neighbourhood, saturated enough to have one
                import cv2

                hue = int(rng.uniform(20, 160))
                hsv = np.uint8([[[hue, int(rng.uniform(80, 255)), int(rng.uniform(80, 230))]]])
                shirts[pid] = tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
        return shirts[pid]

    frames = list(iter_frames(dets, cfg.fps))
    queue = [row[2] for row in frames]
    driver = PipelineDriver(cfg, detector=lambda image: queue.pop(0), start_time=START)
    driver.uniform = UniformStage()
    hits = {"staff": set(), "customer": set()}
    for i, (n, t, _) in enumerate(frames):
        img = np.full((cfg.frame_size[1], cfg.frame_size[0], 3), 128, np.uint8)
        people = sorted(gt.get(n, []), key=lambda r: r[4])  # nearer (lower) people drawn last
        for pid, x1, y1, x2, y2 in people:
            xa, ya, xb, yb = int(x1), int(y1), int(x2), int(y2)
            img[ya:yb, xa:xb] = (35, 35, 35)
            img[ya:int(y1 + 0.4 * (y2 - y1)), xa:xb] = shirt(pid)
        for ev in driver.process(FramePacket(i, t, img, START)):
            if ev["type"] == "staff" and ev["zone_id"] == "uniform" and "exit_ts" not in ev:
                track = next(s for s in driver.pipeline.tracks
                             if driver.pipeline.person_key_of(s) == ev["person_key"])
                pid = max(people, key=lambda r: _iou(r[1:], track.box), default=(None,))[0]
                hits["staff" if pid in staff_ids else "customer"].add(pid)
    driver.finish()
    return {"summary": driver.summary(), "hits": hits, "customers": len(set(shirts) - staff_ids)}


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def count_mape(ours: dict, gt: dict) -> float:
    fo, fg = flatten_summary(ours), flatten_summary(gt)
    errs = [abs(fo.get(k, 0.0) - g) / g for k, g in fg.items()
            if g > 0 and (k.startswith(COUNT_KEYS) or k.endswith(COUNT_KEYS))]
    return 100.0 * float(np.mean(errs)) if errs else 0.0


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--fps", type=float, default=4.0)
    ap.add_argument("--duration", type=float, default=900.0)
    ap.add_argument("--noise", nargs="+", default=["clean", "realistic"])
    ap.add_argument("--staff-share", type=float, default=0.2)
    ap.add_argument("--uniform-only", type=float, default=0.1,
                    help="share of staff door trips that never enter a staff zone (only a uniform model sees them)")
    ap.add_argument("--uniform", action="store_true",
                    help="also run the uniform model on frames rendered from the ground truth (staff in red)")
    ap.add_argument("--lookalike", type=float, default=0.02, help="with --uniform: share of customers in red")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    print(f"staff exclusion, store simulator, seeds {a.seeds}, {a.duration:.0f} s, staff ≈ {100 * a.staff_share:.0f}% "
          f"of door crossings, "
          f"{100 * a.uniform_only:.0f}% of staff trips never enter a staff zone; CPU: {cpu_name()}")
    print(f"{'noise':<10} {'pipeline':<22} {'foot_in err%':>12} {'foot_out err%':>13} {'count MAPE%':>11} "
          f"{'staff x left':>12} {'staff x out':>11} {'ms/frame':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for noise in a.noise:
            rows: dict[str, dict[str, list[float]]] = {}
            for seed in a.seeds:
                d = Path(tmp) / f"{noise}_{seed}"
                gt = simulate_staff(d, seed=seed, fps=a.fps, noise=noise, duration=a.duration,
                                    staff_share=a.staff_share, uniform_only=a.uniform_only)
                cam = json.loads((d / "camera.json").read_text())
                plain = {k: v for k, v in cam.items() if k != "staff_zones"}
                truth = gt["customers"]
                runs = [("staff zones", cam), ("baseline (no staff)", plain)]
                for name, config in runs + ([("zones + uniform", cam)] if a.uniform else []):
                    t0 = time.perf_counter()
                    r = rows.setdefault(name, {k: [] for k in ("in", "out", "mape", "left", "taken", "ms", "u")})
                    if name == "zones + uniform":
                        u = uniform_run(d, config, set(gt["staff"]["staff_ids"]), a.lookalike, seed)
                        summ, frames = u["summary"], int(a.duration * a.fps)
                        r["u"].append((len(u["hits"]["staff"]), len(u["hits"]["customer"]), u["customers"]))
                    else:
                        summ, frames = replay(d / "det.txt", config)
                    elapsed = (time.perf_counter() - t0) / max(frames, 1)
                    fin, fout = summ["footfall"]["in"], summ["footfall"]["out"]
                    r["in"].append(100 * abs(fin - truth["footfall"]["in"]) / truth["footfall"]["in"])
                    r["out"].append(100 * abs(fout - truth["footfall"]["out"]) / truth["footfall"]["out"])
                    r["mape"].append(count_mape(summ, truth))
                    # Measured minus true customer crossings: what staff (and tracking noise) left in.
                    r["left"].append(fin + fout - truth["footfall"]["in"] - truth["footfall"]["out"])
                    r["taken"].append(summ.get("staff", {}).get("crossings", 0))
                    r["ms"].append(1000 * elapsed)
                    if a.verbose:
                        print(f"# {noise} seed={seed} {name}: in {fin}/{truth['footfall']['in']} out {fout}/"
                              f"{truth['footfall']['out']} staff truth {gt['staff']['crossings']} crossings "
                              f"({gt['staff']['share_of_crossings']:.1%}), {gt['staff']['uniform_only_trips']} "
                              f"uniform-only trips; taken out {r['taken'][-1]}", flush=True)
            for name, r in rows.items():
                print(f"{noise:<10} {name:<22} {np.mean(r['in']):12.2f} {np.mean(r['out']):13.2f} "
                      f"{np.mean(r['mape']):11.2f} {np.mean(r['left']):12.1f} {np.mean(r['taken']):11.1f} "
                      f"{np.mean(r['ms']):8.3f}")
            for staff_hit, cust_hit, customers in rows.get("zones + uniform", {}).get("u", []):
                print(f"{noise:<10} uniform marks: {staff_hit} staff persons, {cust_hit} of {customers} customers "
                      f"({100 * cust_hit / max(customers, 1):.2f}%, {100 * a.lookalike:.0f}% of customers wear red)")
    print("foot_*: mean over seeds of |measured − true| / true customer crossings; staff x left: measured − true "
          "customer crossings (in + out); staff x out: crossings the staff zones took out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
