import json

import pytest

from vision.config import ConfigError, load_camera_config

GUIDE_CFG = {
    "camera_id": "cam_zone_01", "fps": 4, "frame_size": [1280, 720], "screenshot_size": [1920, 1080],
    "entrance_line": [[960, 400], [960, 700]], "inside_point": [1200, 550],
    "zones": {"electronics": [[300, 200], [800, 200], [800, 600], [300, 600]]},
    "shelves": {"shelf_promo": [[100, 100], [500, 100], [500, 400], [100, 400]]},
    "queues": {"checkout": [[1300, 600], [1800, 600], [1800, 1000], [1300, 1000]]},
    "min_dwell_seconds": 2.0,
}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"zones": {"electronics": [[0, 0], [10, 10]]}}, "zones.electronics: polygon needs at least 3 points"),
        ({"zones": {"bow": [[0, 0], [10, 10], [10, 0], [0, 10]]}}, "zones.bow:"),
        ({"shelves": {"s1": [[0, 0], ["a", 1], [3, 3]]}}, "shelves.s1:"),
        ({"camera_id": ""}, "camera_id:"),
        ({"fps": 0}, "fps:"),
        ({"frame_size": [1280]}, "frame_size:"),
        ({"entrance_line": [[1, 1]]}, "entrance_line: needs exactly 2 points"),
        ({"inside_point": [960, 500]}, "inside_point: lies on the entrance line"),
        ({"anchor": "head"}, "anchor:"),
        ({"zone_types": {"electronics": "kitchen"}}, "zones.electronics: type must be"),
        ({"min_dwell_seconds": -1}, "min_dwell_seconds:"),
    ],
)
def test_bad_config_names_the_field(patch, message):
    cfg = dict(GUIDE_CFG, **patch)
    with pytest.raises(ConfigError) as err:
        load_camera_config(cfg)
    assert str(err.value).startswith(message)


def test_unparseable_file_is_one_clear_error(tmp_path):
    path = tmp_path / "cam.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"camera config: cannot parse cam\.json"):
        load_camera_config(path)
    with pytest.raises(ConfigError, match="file not found"):
        load_camera_config(tmp_path / "missing.json")


def test_scaling_screenshot_to_frame():
    cfg = load_camera_config(GUIDE_CFG).scaled_to((1280, 720))
    assert cfg.zones["electronics"][1] == pytest.approx((800 * 2 / 3, 200 * 2 / 3))
    assert cfg.entrance_line[0] == pytest.approx((640, 400 * 2 / 3))
    assert cfg.inside_point == pytest.approx((800, 550 * 2 / 3))
    assert cfg.queues["checkout"][2] == pytest.approx((1200, 1000 * 2 / 3))
    # Without a screenshot size the coordinates are frame pixels already.
    raw = dict(GUIDE_CFG)
    raw.pop("screenshot_size")
    assert load_camera_config(raw).scaled_to((1280, 720)).zones["electronics"][1] == (800, 200)


def test_edge_yaml_with_extra_keys_and_default_inside_point(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        """
api_base: "https://api.example"
cameras:
  - camera_id: "cam_entrance_01"
    rtsp: "rtsp://admin:pass@192.168.1.10:554/stream1"
    capabilities: ["entrance"]
    screenshot_size: [1920, 1080]
    entrance_line:
      - [960, 400]
      - [960, 700]
  - camera_id: "cam_zone_01"
    screenshot_size: [1920, 1080]
    zones:
      entry_mat: {polygon: [[0, 0], [100, 0], [100, 100]], type: entry}
      till: {polygon: [[200, 0], [300, 0], [300, 100]], type: queue}
"""
    )
    cam = load_camera_config(path, camera_id="cam_entrance_01")
    assert cam.extra["rtsp"].startswith("rtsp://") and cam.extra["capabilities"] == ["entrance"]
    # Line through the frame centre: right-hand side of first→second point (+x here), as the GUIDE example.
    assert cam.inside_point_defaulted and cam.inside_point[0] > 960
    zone_cam = load_camera_config(path, camera_id="cam_zone_01")
    assert zone_cam.zone_type("entry_mat") == "entry"
    assert "till" in zone_cam.queues and "till" not in zone_cam.zones
    with pytest.raises(ConfigError, match="cameras: several cameras"):
        load_camera_config(path)


def test_default_inside_point_prefers_the_frame_centre_side():
    cam = load_camera_config({"camera_id": "c", "frame_size": [1280, 720], "entrance_line": [[100, 700], [100, 300]]})
    assert cam.inside_point[0] > 100  # centre side, although right-hand of the drawing direction is -x


def test_json_round_trip(tmp_path):
    path = tmp_path / "cam.json"
    path.write_text(json.dumps(GUIDE_CFG))
    cam = load_camera_config(path)
    again = load_camera_config(cam.to_dict())
    assert again.zones == cam.zones and again.inside_point == cam.inside_point
