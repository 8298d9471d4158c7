"""Person recall and precision on real footage through ``manage.py analyze_video``, beside the old baseline.

    python bench/bench_real.py [--repeat 10] [--threads 2]

Footage: ``../shared/media/mot17-02/`` (the first frames of MOTChallenge MOT17-02, 1920x1080, a static
camera over a busy square, with the benchmark's own annotations; see its README). Skipped, with the
reason, when it is absent.

The frames become a lossless video (ffmpeg, FFV1), played ``--repeat`` times in a row so the detection
time is an average over many frames (each is detected: camera fps 30, detection interval 1). Two runs
of ``analyze_video`` on it, each after an untimed warm-up run (OpenVINO compiles per input shape and
caches it):

- **default**: no detector flags: the backend auto picks (OpenVINO BF16 on AMX/AVX512_BF16, else ONNX
  Runtime FP32) and the camera's detection plan (vision.tiling) at its defaults;
- **baseline**: ``--backend onnxruntime --precision fp32 --imgsz 640 --letterbox --conf 0.25``: one 640
  letterbox of the whole frame, the detection stage as it was (its threshold too).

Score (vision.det_score): recall of people at least half visible (IoU >= 0.5, one-to-one) and precision
(boxes on unscored people such as those less than half visible are neither), of ``detections.txt`` over
the annotated frames. Time: ``analyze_video``'s ms per detected frame (the detection stage: tiles or
letterbox, network, decoding, merging), and the ratio default / baseline. Target: recall and precision
>= 85%, ratio <= 3 on a 2-core host.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media" / "mot17-02"
BASELINE_FLAGS = ["--backend", "onnxruntime", "--precision", "fp32", "--imgsz", "640", "--letterbox", "--conf", "0.25"]
sys.path.insert(0, str(ROOT))


def cpu_line() -> str:
    from vision.detectors import cpu_feature, cpu_flags

    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="ignore").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    interesting = sorted(f for f in cpu_flags() if f.startswith(("amx", "avx512_bf16", "avx512f", "avx2")))
    return f"{model}, {len(os.sched_getaffinity(0))} cores, feature {cpu_feature()} ({' '.join(interesting)})"


def build_video(work: Path, repeat: int) -> Path:
    frames = sorted((MEDIA / "img1").glob("*.jpg"))
    seq = work / "seq"
    seq.mkdir()
    n = 0
    for _ in range(repeat):
        for f in frames:
            n += 1
            os.symlink(f, seq / f"{n:06d}.jpg")
    video = work / "mot17-02.mkv"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-framerate", "30", "-i", str(seq / "%06d.jpg"),
                    "-c:v", "ffv1", str(video)], check=True)
    return video


def analyze(video: Path, camera: Path, out: Path, flags: list[str], threads: int) -> tuple[float, str]:
    cmd = [sys.executable, str(ROOT / "manage.py"), "analyze_video", str(video), "--camera", str(camera),
           "--out", str(out), "--detection-interval", "1", "--no-progress", *flags]
    env = {**os.environ, "DETECTOR_THREADS": str(threads)}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode:
        raise SystemExit(f"analyze_video failed: {done.stderr.strip() or done.stdout.strip()}")
    line = done.stdout.strip().splitlines()[-1]
    m = re.search(r"([\d.]+) ms/detection with (.+?)\), \d+ events", line)
    if not m:
        raise SystemExit(f"cannot read the summary line: {line}")
    return float(m.group(1)), m.group(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="play the annotated frames this many times")
    parser.add_argument("--threads", type=int, default=2, help="inference threads (DETECTOR_THREADS)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if not (MEDIA / "gt" / "gt.txt").is_file():
        print(f"SKIP: real footage absent: {MEDIA} (see shared/media/mot17-02/README.md)")
        return 0
    if not shutil.which("ffmpeg"):
        print("SKIP: ffmpeg not found (needed to turn the frames into a video)")
        return 0
    from vision.det_score import load_gt, score_det_txt

    gt = load_gt(MEDIA / "gt" / "gt.txt")
    print(f"CPU: {cpu_line()}")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp:
        work = Path(tmp)
        video = build_video(work, args.repeat)
        camera = work / "camera.json"
        camera.write_text(json.dumps({"camera_id": "mot17-02", "fps": 30, "frame_size": [1920, 1080]}))
        for name, flags in (("default", []), ("baseline", BASELINE_FLAGS)):
            analyze(video, camera, work / f"{name}-warm", flags, args.threads)  # compile / cache, untimed
            ms, detector = analyze(video, camera, work / name, flags, args.threads)
            score = score_det_txt(gt, work / name / "detections.txt")
            rows[name] = {"ms_per_frame": ms, "detector": detector, "recall": round(score.recall, 3),
                          "precision": round(score.precision, 3), "tp": score.tp, "fn": score.fn, "fp": score.fp}
            print(f"{name:9s} recall {score.recall:.3f} precision {score.precision:.3f} "
                  f"({score.tp}/{score.tp + score.fn} people, {score.fp} FP)  {ms:7.1f} ms/frame  [{detector}]",
                  flush=True)
    ratio = rows["default"]["ms_per_frame"] / rows["baseline"]["ms_per_frame"]
    d = rows["default"]
    print(f"ratio default/baseline: {ratio:.2f}x (target <= 3); "
          f"targets recall >= 0.85: {'met' if d['recall'] >= 0.85 else 'NOT met'}, "
          f"precision >= 0.85: {'met' if d['precision'] >= 0.85 else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpu": cpu_line(), "ratio": ratio, **rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
