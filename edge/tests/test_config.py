"""config.yaml exactly as in the deployment guide, and clear one-line errors naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from edge.collector import banner
from edge.config import EdgeConfigError, load_edge_config, parse_edge_config

ROOT = Path(__file__).resolve().parents[2]
ORG = "41e0f56e-24f9-4be0-95bd-bda0005bbb5f"

# Step 2.2 of the guide, verbatim except the org placeholder.
GUIDE_CONFIG = f'''
api_base: "https://api.winkai.in"
api_key: "wink_edge_abc123xyz..."  # From step 2.1
org_id: "{ORG}"
store_id: "store_demo_001"

cameras:
  - camera_id: "cam_entrance_01"
    rtsp: "rtsp://admin:pass@192.168.1.10:554/stream1"
    capabilities: ["entrance"]
    screenshot_size: [1920, 1080]
    entrance_line:
      - [960, 400]  # Top of doorway
      - [960, 700]  # Bottom of doorway

  - camera_id: "cam_zone_01"
    rtsp: "rtsp://admin:pass@192.168.1.11:554/stream1"
    capabilities: ["zones", "shelves"]
    screenshot_size: [1920, 1080]
    zones:
      electronics:
        - [300, 200]
        - [800, 200]
        - [800, 600]
        - [300, 600]
    shelves:
      shelf_promo:
        - [100, 100]
        - [500, 100]
        - [500, 400]
        - [100, 400]
'''


def guide_data() -> dict:
    return yaml.safe_load(GUIDE_CONFIG)


def test_guide_config_is_valid(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(GUIDE_CONFIG)
    config = load_edge_config(path)
    assert (config.api_base, config.store_id, len(config.cameras)) == ("https://api.winkai.in", "store_demo_001", 2)
    entrance, zone = config.cameras
    assert entrance.vision.entrance_line == [(960.0, 400.0), (960.0, 700.0)]
    assert entrance.vision.inside_point[0] > 960  # default store side agrees with GUIDE's [1200, 550]
    assert list(zone.vision.zones) == ["electronics"] and list(zone.vision.shelves) == ["shelf_promo"]
    assert entrance.api_key == zone.api_key == "wink_edge_abc123xyz..."
    assert config.buffer_dir == tmp_path / "buffers"


def test_banner_matches_the_guide():
    text = banner(parse_edge_config(guide_data()))
    for line in ["WINK STORE HELPER - EDGE RUNTIME", "Store ID: store_demo_001", "Cameras: 2",
                 "API Endpoint: https://api.winkai.in", "📹 CAMERA CONFIGURATION:", "1. Camera ID: cam_entrance_01",
                 "   Capabilities: entrance", "   🚪 Entrance tracking: Enabled", "2. Camera ID: cam_zone_01",
                 "   Capabilities: zones, shelves", "Zones: electronics", "   🛒 Shelves: shelf_promo",
                 "🚀 STARTING DETECTION..."]:
        assert line in text, line
    assert "pass@" not in text and "RTSP: rtsp://admin:***@192.168.1.10:554/stream1" in text


def test_optional_keys_and_per_camera_api_key():
    data = guide_data()
    data["cameras"][0].update(inside_point=[1200, 550], fps=6, api_key="wink_edge_camera_only")
    data["cameras"][1]["capabilities"].append("queues")
    data["cameras"][1].update(queues={"checkout": [[1300, 600], [1800, 600], [1800, 1000], [1300, 1000]]},
                              zone_types={"electronics": "entry"})
    config = parse_edge_config(data)
    assert config.cameras[0].api_key == "wink_edge_camera_only" and config.cameras[0].fps == 6
    assert config.cameras[1].api_key == "wink_edge_abc123xyz..."
    assert config.cameras[1].vision.zone_type("electronics") == "entry"
    assert list(config.cameras[1].vision.queues) == ["checkout"]


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.pop("api_base"), "api_base: required"),
    (lambda d: d.update(api_base="ftp://x"), "api_base:"),
    (lambda d: d.update(api_key="sk-123"), "api_key: must start with wink_edge_"),
    (lambda d: d.update(org_id="<org-uuid>"), "org_id: not a UUID"),
    (lambda d: d.update(cameras=[]), "cameras: expected a non-empty list"),
    (lambda d: d["cameras"][0].pop("rtsp"), "cameras[0] (cam_entrance_01).rtsp: required"),
    (lambda d: d["cameras"][0].update(capabilities=["teleport"]), "cameras[0] (cam_entrance_01).capabilities"),
    (lambda d: d["cameras"][0].pop("entrance_line"), "cameras[0] (cam_entrance_01).entrance_line: required"),
    (lambda d: d["cameras"][1]["zones"].update(electronics=[[1, 1], [2, 2]]),
     "cameras[1] (cam_zone_01).zones.electronics: polygon needs at least 3 points"),
    (lambda d: d["cameras"][1].update(camera_id="cam_entrance_01"), "cameras[1].camera_id: duplicate"),
    (lambda d: d["cameras"][0].update(screenshot_size="big"), "screenshot_size"),
])
def test_errors_name_the_field(change, field):
    data = guide_data()
    change(data)
    with pytest.raises(EdgeConfigError) as error:
        parse_edge_config(data)
    assert field in str(error.value)


def test_cli_reports_a_bad_config_in_one_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(GUIDE_CONFIG.replace(ORG, "<org-uuid>"))
    result = subprocess.run([sys.executable, "-m", "edge", "run", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: org_id: not a UUID ('<org-uuid>'); "
                                                  "use the organisation id of the seed output"]
    path.write_text("api_base: [unclosed")
    result = subprocess.run([sys.executable, "-m", "edge", "run", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr


def test_edge_collector_imports_no_django():
    code = ("import sys, edge.__main__, edge.collector, edge.selftest; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
