"""Staff exclusion on the store simulator: customer metrics with staff zones vs without (baseline, same run).

The simulator's store gains staff (vision/simulator_staff.py): door trips that are ~20% of all door
crossings, time behind the counter, shelf restocking, and stock-room restockers. The same detections are
replayed twice: with the camera's staff zones (staff tracks left out) and without them (the baseline: staff
counted as customers). Both are scored against the customers-only ground truth:
- footfall error: |measured in − true in| / true in (and out), per seed, in %;
- count MAPE: mean absolute % error over the count metrics (footfall, zone entries/visitors, shelf
  interactions, queue served), as in bench_store_sim.py;
- crossings by true owner: each counted crossing is attributed to the person whose box its track held then;
  the staff crossings footfall still counted (what staff exclusion should remove) and the customer crossings
  it left out (what it must not remove), totals over seeds; and how many crossings the pipeline took out.

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
from vision.simulator_staff import simulate_staff
from vision.summary import flatten_summary
from vision.tracker import box_iou

COUNT_KEYS = ("footfall.in", "footfall.out", ".entries", ".unique_visitors", ".interactions", ".served")
START = datetime(2025, 10, 1, 10, tzinfo=UTC)


def driver_run(d: Path, cam: dict, staff_ids: set[int], uniform: bool, lookalike: float, seed: int) -> dict:
    """Replay det.txt through the driver. With `uniform`, the uniform stage runs on frames rendered from gt.txt:
    staff in a red uniform, customers in shirts of other hues, `lookalike` of them in red too. Every entrance
    crossing is attributed to the true person whose box its track holds then (IoU > 0.3), so the bench counts
    the staff crossings footfall kept and the customer crossings it left out. Returns the summary, those counts,
    and which true persons the uniform marks hit."""
    import cv2

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
                hue = int(rng.uniform(20, 160))
                hsv = np.uint8([[[hue, int(rng.uniform(80, 255)), int(rng.uniform(80, 230))]]])
                shirts[pid] = tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
        return shirts[pid]

    frames = list(iter_frames(dets, cfg.fps))
    queue = [row[2] for row in frames]
    driver = PipelineDriver(cfg, detector=lambda image: queue.pop(0), start_time=START)
    if uniform:
        driver.uniform = UniformStage()
    blank = np.full((cfg.frame_size[1], cfg.frame_size[0], 3), 128, np.uint8)
    hits: dict[str, set[int]] = {"staff": set(), "customer": set()}
    crossings: list[tuple[str, int | None]] = []  # (person_key, true person or None)
    marked: set[str] = set()
    for i, (n, t, _) in enumerate(frames):
        people = sorted(gt.get(n, []), key=lambda r: r[4])  # nearer (lower) people drawn last
        img = blank
        if uniform:
            img = blank.copy()
            for pid, x1, y1, x2, y2 in people:
                xa, ya, xb, yb = int(x1), int(y1), int(x2), int(y2)
                img[ya:yb, xa:xb] = (35, 35, 35)
                img[ya:int(y1 + 0.4 * (y2 - y1)), xa:xb] = shirt(pid)
        for ev in driver.process(FramePacket(i, t, img, START)):
            pipe = driver.pipeline
            if ev["type"] not in ("staff", "entrance") or "exit_ts" in ev:
                continue
            track = next((s for s in pipe.tracks if pipe.person_key_of(s) == ev["person_key"]), None)
            best = max(people, key=lambda r: box_iou(r[1:], track.box), default=None) if track is not None else None
            pid = best[0] if best is not None and box_iou(best[1:], track.box) > 0.3 else None
            if ev["type"] == "entrance":
                crossings.append((ev["person_key"], pid))
                continue
            marked.add(ev["person_key"])
            if ev["zone_id"] == "uniform" and pid is not None:
                hits["staff" if pid in staff_ids else "customer"].add(pid)
    driver.finish()
    summary = driver.summary()
    customers = {pid for rows in gt.values() for pid, *_ in rows} - staff_ids
    return {
        "summary": summary, "hits": hits, "customers": len(customers),
        "staff_kept": sum(1 for pk, pid in crossings if pid in staff_ids and pk not in marked),
        "customer_left_out": sum(1 for pk, pid in crossings if pid in customers and pk in marked),
        "customer_crossings": sum(1 for _, pid in crossings if pid in customers),
    }


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
          f"{'staff x kept':>12} {'cust x out':>16} {'staff x out':>11} {'ms/frame':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for noise in a.noise:
            rows: dict[str, dict[str, list]] = {}
            for seed in a.seeds:
                d = Path(tmp) / f"{noise}_{seed}"
                gt = simulate_staff(d, seed=seed, fps=a.fps, noise=noise, duration=a.duration,
                                    staff_share=a.staff_share, uniform_only=a.uniform_only)
                cam = json.loads((d / "camera.json").read_text())
                plain = {k: v for k, v in cam.items() if k != "staff_zones"}
                truth = gt["customers"]
                staff_ids = set(gt["staff"]["staff_ids"])
                runs = [("staff zones", cam, False), ("baseline (no staff)", plain, False)]
                for name, config, uniform in runs + ([("zones + uniform", cam, True)] if a.uniform else []):
                    t0 = time.perf_counter()
                    r = rows.setdefault(name, {k: [] for k in ("in", "out", "mape", "kept", "cout", "ccross",
                                                               "taken", "ms", "u")})
                    run = driver_run(d, config, staff_ids, uniform, a.lookalike, seed)
                    summ = run["summary"]
                    if uniform:
                        r["u"].append((len(run["hits"]["staff"]), len(run["hits"]["customer"]), run["customers"]))
                    elapsed = (time.perf_counter() - t0) / max(int(a.duration * a.fps), 1)
                    fin, fout = summ["footfall"]["in"], summ["footfall"]["out"]
                    r["in"].append(100 * abs(fin - truth["footfall"]["in"]) / truth["footfall"]["in"])
                    r["out"].append(100 * abs(fout - truth["footfall"]["out"]) / truth["footfall"]["out"])
                    r["mape"].append(count_mape(summ, truth))
                    r["kept"].append(run["staff_kept"])
                    r["cout"].append(run["customer_left_out"])
                    r["ccross"].append(run["customer_crossings"])
                    r["taken"].append(summ.get("staff", {}).get("crossings", 0))
                    r["ms"].append(1000 * elapsed)
                    if a.verbose:
                        print(f"# {noise} seed={seed} {name}: in {fin}/{truth['footfall']['in']} out {fout}/"
                              f"{truth['footfall']['out']} staff truth {gt['staff']['crossings']} crossings "
                              f"({gt['staff']['share_of_crossings']:.1%}), {gt['staff']['uniform_only_trips']} "
                              f"uniform-only trips; taken out {r['taken'][-1]}; staff crossings kept "
                              f"{run['staff_kept']}, customer crossings left out {run['customer_left_out']}",
                              flush=True)
            for name, r in rows.items():
                cout = f"{sum(r['cout'])}/{sum(r['ccross'])} {100 * sum(r['cout']) / max(sum(r['ccross']), 1):.1f}%"
                print(f"{noise:<10} {name:<22} {np.mean(r['in']):12.2f} {np.mean(r['out']):13.2f} "
                      f"{np.mean(r['mape']):11.2f} {sum(r['kept']):12d} {cout:>16} {np.mean(r['taken']):11.1f} "
                      f"{np.mean(r['ms']):8.3f}")
            for staff_hit, cust_hit, customers in rows.get("zones + uniform", {}).get("u", []):
                print(f"{noise:<10} uniform marks: {staff_hit} staff persons, {cust_hit} of {customers} customers "
                      f"({100 * cust_hit / max(customers, 1):.2f}%, {100 * a.lookalike:.0f}% of customers wear red)")
    print("foot_*: mean over seeds of |measured − true| / true customer crossings; staff x kept: true staff "
          "crossings footfall still counted, cust x out: true customer crossings it left out (each crossing "
          "attributed to the person whose box its track held, IoU > 0.3; totals over seeds); staff x out: "
          "crossings the pipeline took out (mean per seed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
