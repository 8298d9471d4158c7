"""Store-simulator accuracy: our pipeline vs roboflow ByteTrack + the same zone rules.

For each seed and noise level the simulator writes det.txt + camera.json + the ground truth; both
pipelines replay the same detections. Score = mean absolute percentage error (MAPE) against the
ground truth, over count metrics (footfall in/out, zone entries, zone unique visitors, shelf
interactions, queue served) and over time metrics (zone/shelf avg_dwell, queue avg_wait, max_wait).

    python bench/bench_store_sim.py [--seeds 1 2 3] [--fps 4] [--duration 900]
    python bench/bench_store_sim.py --scene random [--seeds 1000 ... 1019]   # or --wide: randomised scenes
    python bench/bench_store_sim.py --staff [--seeds 1 2 3]   # customer metrics with staff excluded (staff zones)

With `--scene random` every seed is a different scene (vision.simulator.random_scene: queue geometry and
speed, person scale, crowd density, detector noise); tune on seeds 100-119 at most, report on 1000-1019.
Figures are per scene, printed as mean / median / p90 / worst over the seeds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bytetrack_ref import ByteTrackAdapter
from vision.config import load_camera_config
from vision.driver import PipelineDriver
from vision.mot import iter_frames, read_det_txt
from vision.simulator import simulate
from vision.summary import flatten_summary

COUNT_KEYS = ("footfall.in", "footfall.out", ".entries", ".unique_visitors", ".interactions", ".served")
TIME_KEYS = (".avg_dwell", ".avg_wait", ".max_wait")
START = datetime(2025, 10, 1, 10, tzinfo=UTC)


def run(det_txt: Path, cam: Path, tracker_kind: str) -> tuple[dict, float]:
    cfg = load_camera_config(cam)
    frames = read_det_txt(det_txt)
    tracker = ByteTrackAdapter(cfg.fps, frame_size=cfg.frame_size) if tracker_kind == "bytetrack" else None
    driver = PipelineDriver(cfg, start_time=START, tracker=tracker)
    driver.start()
    t0 = time.perf_counter()
    driver.run_detections(iter_frames(frames, cfg.fps))
    return driver.summary(), (time.perf_counter() - t0) / max(driver.frames, 1)


def errors(ours: dict, gt: dict) -> tuple[list[float], list[float], dict[str, tuple[float, float]]]:
    fo, fg = flatten_summary(ours), flatten_summary(gt)
    counts, times, detail = [], [], {}
    for k, g in fg.items():
        if g <= 0 or k == "unique_tracks":
            continue
        e = abs(fo.get(k, 0.0) - g) / g
        if k.startswith(COUNT_KEYS) or k.endswith(COUNT_KEYS):
            counts.append(e)
        elif k.endswith(TIME_KEYS):
            times.append(e)
        detail[k] = (fo.get(k, 0.0), g)
    return counts, times, detail


def _spread(v: list[float]) -> str:
    a = np.array(v, dtype=float)
    return f"{a.mean():6.2f} {np.median(a):6.2f} {np.percentile(a, 90):6.2f} {a.max():6.2f}"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if "--staff" in args:  # customer metrics with staff excluded: bench/bench_staff_sim.py
        from bench.bench_staff_sim import main as staff_main

        return staff_main([x for x in args if x != "--staff"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=None,
                    help="default: 1 2 3 (default scene); 1000-1019 with --scene random (held out)")
    ap.add_argument("--fps", type=float, nargs="+", default=[4.0])
    ap.add_argument("--duration", type=float, default=900.0)
    ap.add_argument("--noise", nargs="+", default=["clean", "realistic"])
    ap.add_argument("--scene", choices=["default", "random"], default="default")
    ap.add_argument("--wide", action="store_true", help="same as --scene random")
    ap.add_argument("--no-baseline", action="store_true", help="skip ByteTrack")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    scene = "random" if a.wide else a.scene
    seeds = a.seeds or (list(range(1000, 1020)) if scene == "random" else [1, 2, 3])
    kinds = ["ours"] if a.no_baseline else ["ours", "bytetrack"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fps in a.fps:
            for noise in a.noise:
                # per kind, per seed: count MAPE, time MAPE, max_wait error, unique_tracks error, ms/frame,
                # and queue avg_wait / flow_wait (ours and truth)
                agg = {k: {"c": [], "t": [], "mw": [], "ut": [], "pf": [], "q": []} for k in kinds}
                for seed in seeds:
                    d = Path(tmp) / f"{noise}_{fps}_{seed}"
                    gt = simulate(d, seed=seed, fps=fps, noise=noise, duration=a.duration, scene=scene)
                    for kind in kinds:
                        summ, per_frame = run(d / "det.txt", d / "camera.json", kind)
                        c, t, detail = errors(summ, gt)
                        g = agg[kind]
                        g["c"].append(100 * float(np.mean(c)) if c else 0.0)
                        g["t"].append(100 * float(np.mean(t)) if t else 0.0)
                        g["mw"].append(100 * max((abs(o - gg) / gg for k, (o, gg) in detail.items()
                                                  if k.endswith(".max_wait")), default=0.0))
                        g["pf"].append(per_frame)
                        g["ut"].append(100 * abs(summ["unique_tracks"] - gt["unique_tracks"]) / gt["unique_tracks"])
                        for qid, q in gt["queues"].items():
                            ours_q = summ["queues"].get(qid, {})
                            g["q"].append((q["avg_wait"], q.get("flow_wait", 0.0), ours_q.get("avg_wait", 0.0),
                                           ours_q.get("flow_wait", 0.0)))
                        if a.verbose:
                            print(f"# {kind} {noise} fps={fps} seed={seed}: count {g['c'][-1]:.2f}% "
                                  f"time {g['t'][-1]:.2f}% max_wait {g['mw'][-1]:.2f}%: " + ", ".join(
                                      f"{k}={o:g}/{gg:g}" for k, (o, gg) in detail.items()
                                  ) + f", unique_tracks={summ['unique_tracks']}/{gt['unique_tracks']}", flush=True)
                for kind in kinds:
                    rows.append((fps, noise, kind, agg[kind]))
    print(f"store simulator, scene {scene}, seeds {seeds[0]}..{seeds[-1]} ({len(seeds)}), {a.duration:.0f} s scenes;"
          " error vs ground truth in % per scene (MAPE over the scene's metrics), lower is better")
    print("columns per metric: mean / median / p90 / worst over the seeds")
    print(f"{'fps':>4} {'noise':<10} {'pipeline':<10} {'count% mean med p90 worst':>27}"
          f" {'time% mean med p90 worst':>27} {'max_wait% mean med p90 worst':>27} {'uniq_trk%':>9} {'ms/frame':>8}")
    for fps, noise, kind, g in rows:
        name = "ours" if kind == "ours" else "ByteTrack"
        print(f"{fps:>4g} {noise:<10} {name:<10} {_spread(g['c'])} {_spread(g['t'])} {_spread(g['mw'])}"
              f" {np.mean(g['ut']):9.2f} {1000 * np.mean(g['pf']):8.3f}")
    print("queue wait, truth vs measured, mean over seeds (Little's law flow_wait = people in queue x seconds"
          " / served; |avg_wait - flow_wait| / avg_wait: the cross-check)")
    for fps, noise, kind, g in rows:
        q = np.array(g["q"], dtype=float).reshape(-1, 4)
        if not len(q):
            continue
        gap = np.abs(q[:, 2] - q[:, 3]) / np.maximum(q[:, 2], 1e-9)
        print(f"{fps:>4g} {noise:<10} {kind:<10} truth avg {q[:, 0].mean():6.1f} flow {q[:, 1].mean():6.1f} | "
              f"measured avg {q[:, 2].mean():6.1f} flow {q[:, 3].mean():6.1f} | gap mean {100 * gap.mean():5.1f}%"
              f" worst {100 * gap.max():5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
