"""A `staff` zone (GUIDE §2 Staff) drawn in the zone editor/API reaches the pipeline config as `staff_zones`."""

from __future__ import annotations

import pytest

from vision.config import load_camera_config
from zones.tests.test_api import create_camera, upload_screenshot


@pytest.mark.django_db
def test_staff_zone_through_the_api_becomes_a_staff_zone_of_the_pipeline(api):
    camera = create_camera(api)
    upload_screenshot(api, camera["id"])
    created = api.post("/api/zones", {"camera_id": camera["id"], "name": "Counter", "ztype": "staff",
                                      "polygon_json": "[[1440,480],[1900,480],[1900,590],[1440,590]]"},
                       format="multipart")
    assert created.status_code == 201, created.content
    assert created.json()["ztype"] == "staff"
    bad = api.post("/api/zones", {"camera_id": camera["id"], "name": "X", "ztype": "backroom",
                                  "polygon_json": "[[1,1],[50,1],[50,50]]"}, format="multipart")
    assert bad.status_code == 400 and "ztype" in bad.json()["errors"]
    config = api.get(f"/api/cameras/{camera['id']}/config").json()
    assert config["staff_zones"] == {"counter": [[1440, 480], [1900, 480], [1900, 590], [1440, 590]]}
    assert "counter" not in config["zones"]
    parsed = load_camera_config(config)
    assert list(parsed.staff_zones) == ["counter"] and parsed.zones == {}
