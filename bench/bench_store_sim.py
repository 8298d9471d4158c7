"""Store-simulator accuracy: our pipeline vs roboflow ByteTrack + the same zone rules.

For each seed and noise level the simulator writes det.txt + camera.json + the ground truth; both
pipelines replay the same detections. Score = mean absolute percentage error (MAPE) against the
ground truth, over count metrics (footfall in/out, zone entries, zone unique visitors, shelf
interactions, queue served) and over time metrics (zone/shelf avg_dwell, queue avg_wait, max_wait).

    python bench/bench_store_sim.py [--seeds 1 2 3] [--fps 4] [--duration 900]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--fps", type=float, nargs="+", default=[4.0])
    ap.add_argument("--duration", type=float, default=900.0)
    ap.add_argument("--noise", nargs="+", default=["clean", "realistic"])
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fps in a.fps:
            for noise in a.noise:
                agg = {"ours": ([], [], [], []), "bytetrack": ([], [], [], [])}
                for seed in a.seeds:
                    d = Path(tmp) / f"{noise}_{fps}_{seed}"
                    gt = simulate(d, seed=seed, fps=fps, noise=noise, duration=a.duration)
                    for kind in agg:
                        summ, per_frame = run(d / "det.txt", d / "camera.json", kind)
                        c, t, detail = errors(summ, gt)
                        agg[kind][0].extend(c)
                        agg[kind][1].extend(t)
                        agg[kind][2].append(per_frame)
                        ut = abs(summ["unique_tracks"] - gt["unique_tracks"]) / gt["unique_tracks"]
                        agg[kind][3].append(ut)
                        if a.verbose:
                            print(f"# {kind} {noise} fps={fps} seed={seed}: " + ", ".join(
                                f"{k}={o:g}/{g:g}" for k, (o, g) in detail.items()
                            ) + f", unique_tracks={summ['unique_tracks']}/{gt['unique_tracks']}")
                for kind, (c, t, pf, ut) in agg.items():
                    rows.append((fps, noise, kind, 100 * sum(c) / len(c), 100 * sum(t) / len(t),
                                 100 * sum(ut) / len(ut), 1000 * sum(pf) / len(pf)))
    print(f"store simulator, seeds {a.seeds}, {a.duration:.0f} s scenes; MAPE vs ground truth (lower is better)")
    print(f"{'fps':>4} {'noise':<10} {'pipeline':<10} {'count%':>7} {'time%':>7} {'uniq_trk%':>9} {'ms/frame':>8}")
    for fps, noise, kind, c, t, ut, ms in rows:
        name = "ours" if kind == "ours" else "ByteTrack"
        print(f"{fps:>4g} {noise:<10} {name:<10} {c:7.2f} {t:7.2f} {ut:9.2f} {ms:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
