"""Detector speed and accuracy on real footage, beside ultralytics' own PyTorch pipeline, in one run.

    python bench/bench_detector.py [--frames 60] [--threads 2] [--imgsz 640,480] [--batch 4]
                                   [--skip-baseline] [--int8-model PATH | --no-int8] [--int8-acc-model PATH]

Frames: ../shared/media/concourse.mp4 (1280x720, 20-40 people), spread over the clip. Every backend runs
every frame, in blocks of ``--block`` frames taken in rotation (so load from other processes hits all of
them alike), single-frame batches, ``threads`` inference threads each; the time is the whole ``detect()``
call (letterbox, inference, decoding, NMS), as a camera worker pays it. A second column times batches of
``--batch`` frames (per frame), as a worker batching several cameras pays it.

Backends: onnxruntime FP32 (the default), OpenVINO FP32, OpenVINO BF16 (where the CPU has AMX or
AVX512_BF16), OpenVINO INT8 (NNCF post-training quantization calibrated on another part of the clip
(its last 30%) than the one measured (its first 60%), plain and with accuracy control (F1 against FP32
within 1.8 points); needs nncf, else pass --int8-model or --no-int8).
Every OpenVINO model takes uint8 BGR frames and converts them inside the network.

Baseline: ultralytics' own predict() in PyTorch on the same frames with the *same* YOLO11n weights (the
ONNX file's fused weights loaded into ultralytics' yolo11n architecture), classes=[0], same conf/iou and
rectangular letterbox. It needs torch (local CPU wheel) and ultralytics (requirements-gpu.txt); the
registry's torchvision is a CUDA build that cannot load on CPU torch, so the bench puts a stand-in
``torchvision`` module with a plain-torch ``ops.nms`` on sys.modules first (GUIDE §4) -- never the product.

Recall: share of the FP32 onnxruntime boxes at 640 (the reference) that a backend finds (IoU >= 0.5,
one-to-one); agree: share of a backend's boxes that match a reference box (extra boxes lower it).
Targets: <= 12 ms/frame at 640 on 2 cores, >= 5x faster than ultralytics PyTorch, recall within 2% of FP32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from vision.detectors import cpu_flags, cpu_supports_bf16, create_detector, default_model_path  # noqa: E402
from vision.export import count_matches as matched  # noqa: E402

MEDIA = ROOT.parent / "shared" / "media" / "concourse.mp4"
OUT = ROOT / "bench" / "out"
CONF, IOU = 0.25, 0.5


# ------------------------------------------------------------------------------------------- frames


def load_frames(path: Path, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """n evaluation frames spread over the first 60% of the clip, and n calibration frames spread over its
    last 30%: INT8 is calibrated on another part of the footage (other people, other places), not on
    frames a few tens of ms from the measured ones, which would flatter its accuracy."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    allf = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        allf.append(img)
    cap.release()
    if not allf:
        raise SystemExit(f"cannot read {path}")
    if len(allf) < 4:
        raise SystemExit(f"{path}: {len(allf)} frames, too few to split into evaluation and calibration parts")
    eval_end, calib_start = int(len(allf) * 0.6), int(len(allf) * 0.7)  # a 10% gap between the parts
    evaluation = _spread(allf[:eval_end], n)
    calibration = _spread(allf[calib_start:], n)
    return evaluation, calibration


def _spread(frames: list, n: int) -> list:
    step = max(1, len(frames) // n)
    return frames[::step][:n]


# ----------------------------------------------------------------------------------------- baseline


def install_torchvision_standin() -> None:
    """A `torchvision` with only ops.nms in plain torch (the registry's torchvision is CUDA-only)."""
    import torch

    def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
        order = scores.argsort(descending=True)
        boxes = boxes[order]
        x1, y1, x2, y2 = boxes.unbind(1)
        areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
        xx1 = torch.maximum(x1[:, None], x1[None])
        yy1 = torch.maximum(y1[:, None], y1[None])
        xx2 = torch.minimum(x2[:, None], x2[None])
        yy2 = torch.minimum(y2[:, None], y2[None])
        inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
        iou = inter / (areas[:, None] + areas[None] - inter + 1e-9)
        keep = torch.ones(len(boxes), dtype=torch.bool)
        for i in range(len(boxes)):
            if keep[i]:
                keep[i + 1 :] &= iou[i, i + 1 :] <= iou_threshold
        return order[keep]

    tv = types.ModuleType("torchvision")
    ops = types.ModuleType("torchvision.ops")
    ops.nms = nms
    tv.ops = ops
    tv.__version__ = "0.0-standin"
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.ops"] = ops


class UltralyticsBaseline:
    """ultralytics YOLO11n in PyTorch with the ONNX model's weights: its own predict() pipeline."""

    def __init__(self, onnx_path: Path, threads: int):
        os.environ["YOLO_AUTOINSTALL"] = "False"
        os.environ["YOLO_OFFLINE"] = "True"
        os.environ.setdefault("YOLO_VERBOSE", "False")
        import torch

        torch.set_num_threads(threads)
        install_torchvision_standin()
        import onnx
        from onnx import numpy_helper
        from ultralytics import YOLO

        yolo = YOLO("yolo11n.yaml", task="detect")  # architecture only: nothing downloaded
        yolo.model.fuse()
        graph = onnx.load(str(onnx_path)).graph
        weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
        result = yolo.model.load_state_dict(weights, strict=False)
        wanted = {k for k in yolo.model.state_dict() if not k.endswith("dfl.conv.weight")}
        missing = [k for k in result.missing_keys if k in wanted]
        if missing:
            raise RuntimeError(f"ONNX weights do not fit ultralytics' yolo11n: missing {missing[:5]}")
        yolo.model.eval()
        self.yolo = yolo
        self.name = "ultralytics PyTorch"

    def detect(self, images, imgsz):
        out = []
        for r in self.yolo.predict(images, imgsz=imgsz, conf=CONF, iou=IOU, classes=[0], verbose=False,
                                   device="cpu"):
            out.append([(*tuple(map(float, b)), float(c))
                        for b, c in zip(r.boxes.xyxy.numpy(), r.boxes.conf.numpy(), strict=True)])
        return out


# ------------------------------------------------------------------------------------------ metrics


def as_array(dets) -> np.ndarray:
    rows = [(d.x1, d.y1, d.x2, d.y2) if hasattr(d, "x1") else d[:4] for d in dets]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


# --------------------------------------------------------------------------------------------- main


def int8_models(args, calibration) -> list[tuple[str, Path]]:
    """The INT8 models to run: plain post-training quantization and NNCF accuracy control (F1 against FP32
    within 1.8 points: 2 less a margin), both calibrated on frames of the clip that are *not* the measured
    ones; built here (seconds / a few minutes) and cached under bench/out unless given."""
    if args.no_int8:
        return []
    models = []
    if args.int8_model:
        models.append(("openvino int8", Path(args.int8_model)))
    if args.int8_acc_model:
        models.append(("openvino int8 acc-ctl", Path(args.int8_acc_model)))
    if models:
        return models
    try:
        import nncf  # noqa: F401
    except ImportError:
        print("INT8: nncf not installed (pip install -r requirements-int8.txt); skipping", file=sys.stderr)
        return []
    from vision.export import quantize_int8

    for name, drop in (("openvino int8", None), ("openvino int8 acc-ctl", 0.018)):
        out = OUT / ("yolo11n_int8_openvino" if drop is None else "yolo11n_int8acc_openvino") / "yolo11n.xml"
        if not out.is_file():
            print(f"{name}: quantizing yolo11n with NNCF on {len(calibration)} calibration frames ...",
                  file=sys.stderr)
            quantize_int8(default_model_path(), calibration, out, max_accuracy_drop=drop)
        models.append((name, out))
    return models


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--block", type=int, default=10, help="frames each backend runs before the next takes over")
    ap.add_argument("--batch", type=int, default=4, help="also time batches of this many frames (1: don't)")
    ap.add_argument("--imgsz", default="640,480", help="comma-separated input sizes")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--int8-model", help="an INT8 OpenVINO .xml to run instead of quantizing here")
    ap.add_argument("--int8-acc-model", help="an INT8 .xml made with accuracy control (export_model --int8 "
                                             "--max-accuracy-drop 0.01) to run instead of making one here")
    ap.add_argument("--no-int8", action="store_true")
    ap.add_argument("--json", default=str(OUT / "detector.json"))
    args = ap.parse_args()
    if not MEDIA.is_file():
        print(f"skipped: real footage {MEDIA} not present", file=sys.stderr)
        return 0
    sizes = [int(s) for s in args.imgsz.split(",") if s]
    frames, calibration = load_frames(MEDIA, args.frames)
    flags = cpu_flags()
    print(f"{len(frames)} frames of {MEDIA.name} ({frames[0].shape[1]}x{frames[0].shape[0]}), {args.threads} threads, "
          f"CPU: amx={'amx_bf16' in flags} avx512_bf16={'avx512_bf16' in flags} avx512_vnni={'avx512_vnni' in flags}, "
          f"host cores={os.cpu_count()}, load avg={os.getloadavg()[0]:.1f}")

    runners: list[tuple[str, int, object]] = []
    q8 = int8_models(args, calibration)
    for sz in sizes:
        runners.append(("onnxruntime fp32", sz, create_detector("onnxruntime", threads=args.threads, imgsz=sz)))
        for precision in ("fp32", "bf16") if cpu_supports_bf16() else ("fp32",):
            det = create_detector("openvino", precision=precision, threads=args.threads, imgsz=sz)
            runners.append((f"openvino {precision}", sz, det))
        for name, path in q8:
            runners.append((name, sz, create_detector("openvino", model_path=path, precision="int8",
                                                      threads=args.threads, imgsz=sz)))
    baseline = None
    if not args.skip_baseline:
        try:
            baseline = UltralyticsBaseline(default_model_path(), args.threads)
        except ImportError as exc:
            print(f"baseline skipped: {exc.name} not installed (pip install -r requirements-gpu.txt)", file=sys.stderr)
        if baseline is not None:
            for sz in sizes:
                runners.append((baseline.name, sz, baseline))

    # warm-up: compile, allocate, first-call costs
    for _name, sz, det in runners:
        for img in frames[:3]:
            det.detect([img], sz) if det is baseline else det.detect([img])

    times = {(n, s): [] for n, s, _ in runners}
    found = {(n, s): [] for n, s, _ in runners}
    # blocks of frames in rotation: load from other processes hits every backend alike, while each backend
    # runs several frames in a row as it would in production (switching runtimes every frame evicts caches
    # and wakes thread pools, which penalises all of them)
    for start in range(0, len(frames), args.block):
        for name, sz, det in runners:
            for img in frames[start : start + args.block]:
                t0 = time.perf_counter()
                dets = det.detect([img], sz)[0] if det is baseline else det.detect([img])[0]
                times[(name, sz)].append(time.perf_counter() - t0)
                found[(name, sz)].append(as_array(dets))

    # batches of several frames (a worker batches frames of several cameras): ms per frame
    batched = {}
    if args.batch > 1:
        for name, sz, det in runners:
            if det is baseline:
                continue
            per_frame = []
            for start in range(0, len(frames) - args.batch + 1, args.batch):
                t0 = time.perf_counter()
                det.detect(frames[start : start + args.batch])
                per_frame.append((time.perf_counter() - t0) / args.batch)
            batched[(name, sz)] = 1000 * statistics.median(per_frame)

    ref_key = ("onnxruntime fp32", 640) if 640 in sizes else ("onnxruntime fp32", sizes[0])
    ref = found[ref_key]
    n_ref = sum(len(r) for r in ref)
    rows = []
    for name, sz, _ in runners:
        key = (name, sz)
        ms = 1000 * statistics.median(times[key])
        hits = sum(matched(r, g) for r, g in zip(ref, found[key], strict=True))
        n_found = sum(len(g) for g in found[key])
        rows.append({"backend": name, "imgsz": sz, "ms_median": ms, "ms_mean": 1000 * statistics.fmean(times[key]),
                     "ms_p90": 1000 * float(np.percentile(times[key], 90)),
                     "ms_batched": batched.get(key),
                     "persons_per_frame": sum(len(g) for g in found[key]) / len(frames),
                     "recall_vs_fp32": hits / n_ref if n_ref else 1.0,
                     "precision_vs_fp32": hits / n_found if n_found else 1.0})
    base_ms = {r["imgsz"]: r["ms_median"] for r in rows if r["backend"] == "ultralytics PyTorch"}

    print(f"\nreference: {ref_key[0]} @ {ref_key[1]}, {n_ref / len(frames):.1f} persons/frame")
    head = (f"{'backend':<22}{'imgsz':>6}{'ms/frame':>10}{'p90':>8}{f'batch{args.batch}':>8}{'persons':>9}"
            f"{'recall':>8}{'agree':>8}{'vs ultralytics':>16}")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = base_ms.get(r["imgsz"], 0) / r["ms_median"] if r["imgsz"] in base_ms else None
        r["speedup_vs_ultralytics"] = ratio
        b = f"{r['ms_batched']:.1f}" if r.get("ms_batched") else "-"
        print(f"{r['backend']:<22}{r['imgsz']:>6}{r['ms_median']:>10.1f}{r['ms_p90']:>8.1f}{b:>8}"
              f"{r['persons_per_frame']:>9.1f}{100 * r['recall_vs_fp32']:>7.1f}%{100 * r['precision_vs_fp32']:>7.1f}%"
              f"{(f'{ratio:.2f}x' if ratio else '-'):>16}")

    at640 = [r for r in rows if r["imgsz"] == 640 and r["backend"] != "ultralytics PyTorch"]
    if at640:
        accurate = [r for r in at640 if r["recall_vs_fp32"] >= 0.98] or at640
        best = min(accurate, key=lambda r: r["ms_median"])
        print(f"\nfastest at 640 with recall >= 98%: {best['backend']} {best['ms_median']:.1f} ms/frame "
              "(target <= 12), "
              f"recall {100 * best['recall_vs_fp32']:.1f}% of FP32 (target >= 98%)"
              + (f", {best['speedup_vs_ultralytics']:.1f}x ultralytics PyTorch (target >= 5x)"
                 if best.get("speedup_vs_ultralytics") else ""))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"frames": len(frames), "threads": args.threads, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
