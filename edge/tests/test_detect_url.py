"""Edge `config.yaml`: an optional `detect_url` per camera (the substream to detect on), under the same URL rule as
the server's camera URLs, masked in the banner, and the stream the collector opens."""

from __future__ import annotations

import pytest
import yaml

from edge.collector import banner, default_source_factory
from edge.config import EdgeConfigError, parse_edge_config
from edge.tests.test_config import GUIDE_CONFIG

SECRET = "hunter2xyz"
# tests/test_security_camera_urls.py's list: what the server refuses as a camera URL, the edge refuses too
REJECTED_URLS = [
    "file:///etc/passwd", "FILE:///etc/passwd", "concat:/etc/passwd|/etc/hosts",
    "subfile:,,start,0,end,0,,:/etc/passwd", "pipe:0", "data:video/mp4;base64,AAAAIGZ0eXBpc29t",
    "gopher://127.0.0.1:6379/_INFO", "ftp://cam.local/x",
    "/etc/passwd", "/home/shop/clip.mp4", " rtsp://cam.local/s", "rtsp://cam.local/s\n", "rtsp://cam local/s",
    "rtsp:///stream", "rtsp://u:p@cam.local:badport/s", "rtsp://cam.local:0/s", "rtsp://cam.local:65536/s",
    "rtsp://cam.local/" + "a" * 1000,
]


def config_with(detect_url) -> dict:
    data = yaml.safe_load(GUIDE_CONFIG)
    data["cameras"][0]["detect_url"] = detect_url
    return data


def test_detect_url_is_optional_and_read():
    plain = parse_edge_config(yaml.safe_load(GUIDE_CONFIG))
    assert plain.cameras[0].detect_url == "" and plain.cameras[0].analysed_url == plain.cameras[0].rtsp
    config = parse_edge_config(config_with("rtsp://admin:pass@192.168.1.10:554/stream2"))
    camera = config.cameras[0]
    assert camera.detect_url == "rtsp://admin:pass@192.168.1.10:554/stream2" == camera.analysed_url
    assert camera.rtsp == "rtsp://admin:pass@192.168.1.10:554/stream1"


@pytest.mark.parametrize("url", REJECTED_URLS)
def test_detect_url_under_the_camera_url_rule(url):
    with pytest.raises(EdgeConfigError) as error:
        parse_edge_config(config_with(url))
    assert str(error.value).startswith("cameras[0] (cam_entrance_01).detect_url: ")


def test_detect_url_must_be_text():
    with pytest.raises(EdgeConfigError, match=r"detect_url: expected a string"):
        parse_edge_config(config_with(["rtsp://cam/s"]))


def test_banner_masks_the_detect_url():
    text = banner(parse_edge_config(config_with(f"rtsp://admin:{SECRET}@192.168.1.10:554/stream2?token={SECRET}")))
    assert SECRET not in text
    assert "Detect stream: rtsp://admin:***@192.168.1.10:554/stream2?token=***" in text


def test_collector_opens_the_detect_stream(monkeypatch):
    import edge.collector as collector

    opened: list[str] = []  # records what the collector asks to open (nothing is opened)
    monkeypatch.setattr(collector, "open_source", lambda url, sample_fps: opened.append(url) or url)
    config = parse_edge_config(config_with("rtsp://192.168.1.10:554/stream2"))
    default_source_factory(config.cameras[0])
    default_source_factory(config.cameras[1])
    assert opened == ["rtsp://192.168.1.10:554/stream2", "rtsp://admin:pass@192.168.1.11:554/stream1"]
