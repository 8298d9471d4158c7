"""Detector backends: letterbox, NMS, post-processing and the real YOLO11n model on real person pixels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vision.detectors import (
    DetectorError,
    Letterbox,
    ModelNotFoundError,
    cpu_supports_bf16,
    create_detector,
    default_model_path,
    detector_from_env,
    letterbox_shape,
    nms,
    postprocess,
    preprocess,
)
from vision.synthetic import default_scene

REPO = Path(__file__).resolve().parents[2]


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def scene():
    return default_scene()


@pytest.fixture(scope="module")
def people_frames(scene):
    """Frames with one or two people fully in view, and their true boxes (sprite rectangles)."""
    frames = []
    for t in (2.0, 6.5, 11.0, 24.0, 26.5):
        people = scene.people_at(t)
        truth = []
        for walker, (fx, fy) in people:
            sh, sw = scene._sprite(walker.sprite, walker.height, walker.flip).shape[:2]
            truth.append((fx - sw / 2, fy - sh, fx + sw / 2, fy))
        frames.append((scene.render(round(t * scene.fps), t), truth))
    return frames


@pytest.fixture(scope="module")
def ort_detector():
    return create_detector("onnxruntime", threads=2)


# ------------------------------------------------------------------------------------------ geometry


@pytest.mark.parametrize(
    ("size", "imgsz", "expected"),
    [((1280, 720), 640, (640, 384)), ((720, 1280), 640, (384, 640)), ((640, 480), 640, (640, 480)),
     ((1920, 1080), 416, (416, 256)), ((1280, 720), 320, (320, 192))],
)
def test_rectangular_letterbox_shape(size, imgsz, expected):
    assert letterbox_shape(*size, imgsz=imgsz) == expected


def test_preprocess_pads_centred_with_grey_and_builds_rgb_blob():
    img = np.zeros((720, 1280, 3), np.uint8)
    img[..., 2] = 255  # red in BGR
    blob, boxes = preprocess([img, img], 640)
    assert blob.shape == (2, 3, 384, 640) and blob.dtype == np.float32
    assert boxes[0] == Letterbox(scale=0.5, pad_x=0, pad_y=12, src_w=1280, src_h=720)
    assert blob[0, :, :12].max() == pytest.approx(114 / 255) and blob[0, :, -12:].min() == pytest.approx(114 / 255)
    # RGB order: channel 0 is red
    assert blob[0, 0, 100, 100] == pytest.approx(1.0) and blob[0, 2, 100, 100] == pytest.approx(0.0)


def test_mixed_sizes_share_one_batch_shape():
    blob, boxes = preprocess([np.zeros((720, 1280, 3), np.uint8), np.zeros((480, 640, 3), np.uint8)], 640)
    assert blob.shape == (2, 3, 480, 640)
    assert boxes[1].scale == 1.0 and boxes[1].pad_y == 0


def test_numpy_nms_matches_greedy_reference():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 500, (300, 2))
    wh = rng.uniform(20, 120, (300, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    scores = rng.uniform(0, 1, 300)
    keep = nms(boxes, scores, 0.5)
    # reference: plain loops
    ref, suppressed = [], set()
    for i in np.argsort(-scores, kind="stable"):
        if i in suppressed:
            continue
        ref.append(i)
        suppressed.update(j for j in range(300) if j != i and iou(boxes[i], boxes[j]) > 0.5)
    assert list(keep) == ref


def test_postprocess_maps_person_boxes_back_to_frame_pixels():
    anchors = 200  # real models have thousands; more anchors than rows tells the layout
    out = np.zeros((1, 84, anchors), np.float32)
    # anchor 0: a person at input (cx=320, cy=192, w=40, h=100), anchor 1: a near-duplicate, anchor 2: a car
    out[0, :4, 0] = [320, 192, 40, 100]
    out[0, 4, 0] = 0.9
    out[0, :4, 1] = [322, 193, 40, 100]
    out[0, 4, 1] = 0.8
    out[0, :4, 2] = [100, 100, 50, 50]
    out[0, 4 + 2, 2] = 0.95
    lb = Letterbox(scale=0.5, pad_x=0, pad_y=12, src_w=1280, src_h=720)
    [dets] = postprocess(out, [lb], conf=0.25, iou=0.5)
    assert len(dets) == 1
    d = dets[0]
    assert (d.x1, d.y1, d.x2, d.y2) == pytest.approx((600, 260, 680, 460))
    assert d.conf == pytest.approx(0.9)


# ------------------------------------------------------------------------------------------ factory


def test_default_model_is_the_packaged_yolo11n():
    path = default_model_path()
    assert path.name == "yolo11n.onnx" and path.is_file()


def test_missing_model_file_names_the_path(tmp_path):
    missing = tmp_path / "models" / "nope.onnx"
    for backend in ("onnxruntime", "openvino"):
        with pytest.raises(ModelNotFoundError) as err:
            create_detector(backend, model_path=missing)
        assert str(missing) in str(err.value)


def test_bad_backend_and_parameters_are_rejected():
    with pytest.raises(DetectorError, match="unknown detector backend"):
        create_detector("tensorflow")
    with pytest.raises(DetectorError, match="multiple of 32"):
        create_detector(imgsz=500)
    with pytest.raises(DetectorError, match="conf"):
        create_detector(conf=1.5)
    with pytest.raises(DetectorError, match="MODEL_IMGSZ"):
        detector_from_env({"MODEL_IMGSZ": "big"})


def test_a_non_model_file_gives_a_clear_error(tmp_path):
    bogus = tmp_path / "model.onnx"
    bogus.write_text("not a model")
    with pytest.raises(DetectorError, match="cannot load"):
        create_detector("onnxruntime", model_path=bogus)


# ------------------------------------------------------------------------------------ real detections


def test_onnxruntime_finds_the_real_people(ort_detector, people_frames):
    for image, truth in people_frames:
        dets = ort_detector.detect([image])[0]
        assert len(dets) == len(truth)
        for box in truth:
            assert max(iou(box, d.box) for d in dets) > 0.6
        assert all(d.conf > 0.4 for d in dets)


def test_empty_scene_has_no_people(ort_detector, scene):
    assert ort_detector.detect([scene.background.copy()]) == [[]]
    assert ort_detector.detect([]) == []


def test_batch_gives_the_same_boxes_as_one_by_one(ort_detector, people_frames):
    images = [img for img, _ in people_frames[:3]]
    batched = ort_detector.detect(images)
    for img, dets in zip(images, batched, strict=True):
        single = ort_detector.detect([img])[0]
        assert len(single) == len(dets)
        for a, b in zip(sorted(single, key=lambda d: d.x1), sorted(dets, key=lambda d: d.x1), strict=True):
            assert a.box == pytest.approx(b.box, abs=1.0)


def test_higher_conf_threshold_drops_weak_boxes(people_frames):
    image = people_frames[0][0]
    loose = create_detector(conf=0.05, threads=2).detect([image])[0]
    strict = create_detector(conf=0.95, threads=2).detect([image])[0]
    assert len(strict) < len(loose)
    assert all(d.conf >= 0.95 for d in strict)


def test_openvino_fp32_agrees_with_onnxruntime(ort_detector, people_frames):
    ov = create_detector("openvino", precision="fp32", threads=2)
    # OpenVINO's graph keeps the person score only: 4 box rows + 1 (ONNX Runtime's has all 80 classes)
    frames, _ = ov.prepare([people_frames[0][0]])
    assert ov.infer(frames).shape[1] == 5 and ov.output_class == 0
    for image, _ in people_frames:
        a = sorted(ort_detector.detect([image])[0], key=lambda d: d.x1)
        b = sorted(ov.detect([image])[0], key=lambda d: d.x1)
        assert len(a) == len(b)
        for da, db in zip(a, b, strict=True):
            assert da.box == pytest.approx(db.box, abs=2.0)
            assert da.conf == pytest.approx(db.conf, abs=0.02)


def test_openvino_uint8_frames_give_the_float_blob_results(people_frames):
    """OpenVINO takes letterboxed uint8 BGR frames and converts them inside the network; the boxes must be
    those of the float RGB blob every other backend gets."""
    ov = create_detector("openvino", precision="fp32", threads=2)
    images = [image for image, _ in people_frames]
    frames, boxes = ov.prepare(images)
    assert frames.dtype == np.uint8 and frames.shape[0] == len(images) and frames.shape[-1] == 3
    blob, _ = preprocess(images, ov.imgsz)
    from_frames = ov.decode(ov.infer(frames), boxes)
    from_blob = ov.decode(ov.infer(blob), boxes)
    assert [len(d) for d in from_frames] == [len(truth) for _, truth in people_frames]  # every real person
    for a, b in zip(from_frames, from_blob, strict=True):
        assert len(a) == len(b)
        for da, db in zip(a, b, strict=True):
            assert da.box == pytest.approx(db.box, abs=0.5)


@pytest.mark.skipif(not cpu_supports_bf16(), reason="CPU has neither AMX nor AVX512_BF16")
def test_openvino_bf16_finds_the_same_people(people_frames):
    ov = create_detector("openvino", precision="bf16", threads=2)
    for image, truth in people_frames:
        dets = ov.detect([image])[0]
        assert len(dets) == len(truth)
        for box in truth:
            assert max(iou(box, d.box) for d in dets) > 0.6


def test_auto_precision_follows_the_cpu():
    det = create_detector("openvino")
    assert det.precision == ("bf16" if cpu_supports_bf16() else "fp32")


def test_bf16_request_on_a_cpu_without_it_falls_back_to_fp32_with_one_warning(monkeypatch, caplog):
    # an AMD EPYC without AVX512_BF16 (or an older Xeon): the flags /proc/cpuinfo would show
    monkeypatch.setattr("vision.detectors.cpu_flags", lambda: frozenset({"avx2", "fma", "avx512f"}))
    with caplog.at_level("WARNING", logger="vision.detectors"):
        det = create_detector("openvino", precision="bf16")
    assert det.backend == "openvino" and det.precision == "fp32"
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "bf16" in warnings[0].getMessage()


def test_default_path_never_imports_torch(tmp_path):
    code = (
        "import sys, numpy as np\n"
        "from vision.detectors import create_detector\n"
        "from vision import sources, analyze, annotate\n"
        "d = create_detector(); d.detect([np.zeros((720, 1280, 3), np.uint8)])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'ultralytics', 'torchvision'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_ultralytics_backend_runs_a_pt_model_on_gpu(people_frames):
    torch = pytest.importorskip("torch", reason="torch not installed (optional: requirements-gpu.txt)")
    pytest.importorskip("ultralytics", reason="ultralytics not installed (optional: requirements-gpu.txt)")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: the ultralytics backend is for GPU hosts (MODEL_DEVICE=cuda)")
    model = os.environ.get("WINK_TEST_PT_MODEL")
    if not model or not Path(model).is_file():
        pytest.skip("set WINK_TEST_PT_MODEL to a detection .pt model to test the ultralytics backend")
    det = create_detector(model_path=model, device="cuda")
    image, truth = people_frames[0]
    dets = det.detect([image])[0]
    assert len(dets) == len(truth)


def test_auto_backend_follows_the_model_file(tmp_path):
    # the bundled ONNX model: OpenVINO BF16 where the CPU runs bf16, else ONNX Runtime FP32
    expected = ("openvino", "bf16") if cpu_supports_bf16() else ("onnxruntime", "fp32")
    det = create_detector("auto")
    assert (det.backend, det.precision) == expected
    with pytest.raises(ModelNotFoundError):  # an OpenVINO .xml goes to OpenVINO, which looks for the file
        create_detector("auto", model_path=tmp_path / "int8" / "yolo11n.xml")


def test_auto_backend_falls_back_to_onnxruntime_with_one_warning_when_openvino_cannot_load(monkeypatch, caplog):
    monkeypatch.setattr("vision.detectors.cpu_flags", lambda: frozenset({"amx_bf16", "amx_tile", "avx512_bf16"}))
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError, like a host without it
    with caplog.at_level("WARNING", logger="vision.detectors"):
        det = create_detector("auto")
    assert (det.backend, det.precision) == ("onnxruntime", "fp32")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "falling back to onnxruntime" in warnings[0].getMessage()
    assert det.detect([np.zeros((720, 1280, 3), np.uint8)]) == [[]]


def test_auto_backend_on_a_cpu_without_bf16_is_onnxruntime(monkeypatch):
    monkeypatch.setattr("vision.detectors.cpu_flags", lambda: frozenset({"avx2", "fma", "avx512f"}))  # e.g. EPYC
    det = create_detector("auto")
    assert (det.backend, det.precision) == ("onnxruntime", "fp32")
    assert det.describe().startswith("onnxruntime fp32 (avx512f)")
    assert det.pixel_budget == 960 * 540  # FP32 on a CPU: a 960 input for a whole 1080p frame
