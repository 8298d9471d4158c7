"""The deployment guide v1 management calls, as written there plus the Bearer header."""

import io
import json

import pytest
from PIL import Image
from rest_framework.test import APIClient

from cameras.models import Camera, Store
from zones.models import Zone


def png_bytes(width: int = 64, height: int = 36) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 140)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "shot.png"
    return buffer


def create_camera(api: APIClient, **overrides) -> dict:
    body = {"name": "Entrance Camera", "rtsp_url": "rtsp://username:password@camera-ip:554/stream", "enabled": True}
    body.update(overrides)
    response = api.post("/api/cameras", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def upload_screenshot(api: APIClient, camera_ref, width=1920, height=1080):
    return api.post(
        "/api/zones/screenshot",
        {"camera_id": str(camera_ref), "file": png_bytes(width, height), "img_width": str(width),
         "img_height": str(height)},
        format="multipart",
    )


@pytest.mark.django_db
class TestCameraCreate:
    def test_guide_call_creates_camera_in_default_store_and_masks_password(self, api, settings):
        settings.STORE_ID, settings.STORE_NAME = "store_mumbai", "Mumbai Store"
        data = create_camera(api)
        assert isinstance(data["id"], int)
        assert data["camera_id"] == "entrance_camera"
        assert data["store"] == "store_mumbai"
        assert "password" not in json.dumps(data)
        assert data["rtsp_url_masked"] == "rtsp://username:***@camera-ip:554/stream"
        camera = Camera.objects.get(pk=data["id"])
        assert camera.rtsp_url == "rtsp://username:password@camera-ip:554/stream"
        assert Store.objects.get(store_id="store_mumbai").name == "Mumbai Store"

    def test_listing_never_returns_the_password(self, api):
        create_camera(api)
        listing = api.get("/api/cameras")
        assert listing.status_code == 200
        assert "password" not in listing.content.decode()

    def test_same_name_gets_a_unique_slug(self, api):
        first, second = create_camera(api), create_camera(api)
        assert first["camera_id"] != second["camera_id"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"rtsp_url": "rtsp://x/y", "enabled": True}, "name"),
            ({"name": "Cam", "rtsp_url": "ftp://x/y"}, "rtsp_url"),
            ({"name": "Cam", "enabled": "maybe"}, "enabled"),
            ({"name": "Cam", "capabilities": ["teleport"]}, "capabilities"),
            ({"name": "Cam", "store_id": "no_such_store"}, "store_id"),
        ],
    )
    def test_bad_input_names_the_field(self, api, body, field):
        response = api.post("/api/cameras", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert response.json()["error"].startswith(field)

    def test_malformed_json_is_400(self, api):
        response = api.post("/api/cameras", "{not json", content_type="application/json")
        assert response.status_code == 400

    def test_missing_or_wrong_token_is_401(self, db):
        anonymous = APIClient()
        assert anonymous.post("/api/cameras", {"name": "x"}, format="json").status_code == 401
        anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
        assert anonymous.post("/api/cameras", {"name": "x"}, format="json").status_code == 401


@pytest.mark.django_db
class TestScreenshotUpload:
    def test_upload_by_numeric_id_and_by_slug(self, api):
        camera = create_camera(api)
        by_id = upload_screenshot(api, camera["id"])
        assert by_id.status_code == 201, by_id.content
        assert (by_id.json()["img_width"], by_id.json()["img_height"]) == (1920, 1080)
        by_slug = upload_screenshot(api, camera["camera_id"], 1280, 720)
        assert by_slug.status_code == 201
        assert Camera.objects.get(pk=camera["id"]).screenshots.count() == 2

    def test_errors_name_the_field(self, api):
        camera = create_camera(api)
        not_image = io.BytesIO(b"plain text, not a picture")
        not_image.name = "shot.png"
        cases = [
            ({"camera_id": "999999", "file": png_bytes(), "img_width": "1920", "img_height": "1080"}, "camera_id"),
            ({"camera_id": camera["id"], "img_width": "1920", "img_height": "1080"}, "file"),
            ({"camera_id": camera["id"], "file": not_image, "img_width": "1920", "img_height": "1080"}, "file"),
            ({"camera_id": camera["id"], "file": png_bytes(), "img_width": "wide", "img_height": "1080"}, "img_width"),
            ({"camera_id": camera["id"], "file": png_bytes(), "img_width": "1920", "img_height": "0"}, "img_height"),
        ]
        for body, field in cases:
            response = api.post("/api/zones/screenshot", body, format="multipart")
            assert response.status_code == 400, (field, response.content)
            assert field in response.json()["errors"], (field, response.json())

    def test_oversized_upload_is_413(self, api, settings):
        settings.MAX_SCREENSHOT_BYTES = 2048
        camera = create_camera(api)
        big = io.BytesIO()
        Image.effect_noise((256, 256), 64).convert("RGB").save(big, format="PNG")
        big.seek(0)
        big.name = "big.png"
        response = api.post(
            "/api/zones/screenshot",
            {"camera_id": camera["id"], "file": big, "img_width": "256", "img_height": "256"},
            format="multipart",
        )
        assert response.status_code == 413
        assert "file" in response.json()["error"]


@pytest.mark.django_db
class TestZoneCreate:
    def test_guide_call_creates_zone_and_bumps_camera_config(self, api):
        camera = create_camera(api)
        assert upload_screenshot(api, camera["id"]).status_code == 201
        version_before = Camera.objects.get(pk=camera["id"]).config_version
        response = api.post(
            "/api/zones",
            {"camera_id": "1" if camera["id"] == 1 else str(camera["id"]), "name": "Entrance Zone", "ztype": "entry",
             "polygon_json": "[[100,100],[400,100],[400,300],[100,300]]"},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["zone_id"] == "entrance_zone"
        assert data["ztype"] == "entry"
        assert data["screenshot_size"] == [1920, 1080]
        assert data["polygon"] == [[100, 100], [400, 100], [400, 300], [100, 300]]
        assert Camera.objects.get(pk=camera["id"]).config_version > version_before
        listed = api.get("/api/zones", {"camera_id": camera["camera_id"]})
        assert [z["zone_id"] for z in listed.json()] == ["entrance_zone"]

    def test_urlencoded_form_works_too(self, api):
        camera = create_camera(api)
        upload_screenshot(api, camera["id"])
        response = api.post(
            "/api/zones",
            {"camera_id": camera["id"], "name": "Queue", "ztype": "queue", "polygon_json": "[[1,1],[50,1],[50,50]]"},
        )
        assert response.status_code == 201

    @pytest.mark.parametrize(
        ("overrides", "field", "fragment"),
        [
            ({"polygon_json": "[[100,100],[400,100]]"}, "polygon_json", "at least 3"),
            ({"polygon_json": "[[0,0],[100,100],[100,0],[0,100]]"}, "polygon_json", "not valid"),
            ({"polygon_json": "[[0,0],[5000,0],[0,50]]"}, "polygon_json", "outside"),
            ({"polygon_json": "[[0,0],[10,"}, "polygon_json", "JSON"),
            ({"ztype": "lounge"}, "ztype", ""),
            ({"name": ""}, "name", ""),
            ({"camera_id": "cam_nowhere"}, "camera_id", "unknown"),
        ],
    )
    def test_bad_zone_is_400_naming_the_field(self, api, overrides, field, fragment):
        camera = create_camera(api)
        upload_screenshot(api, camera["id"])
        body = {"camera_id": camera["id"], "name": "Zone", "ztype": "general",
                "polygon_json": "[[100,100],[400,100],[400,300]]"}
        body.update(overrides)
        response = api.post("/api/zones", body, format="multipart")
        assert response.status_code == 400, response.content
        payload = response.json()
        assert field in payload["errors"]
        assert fragment in payload["error"]
        assert Zone.objects.count() == 0

    def test_zone_without_screenshot_needs_a_size(self, api):
        camera = create_camera(api)
        body = {"camera_id": camera["id"], "name": "Z", "ztype": "general", "polygon_json": "[[1,1],[50,1],[50,50]]"}
        response = api.post("/api/zones", body, format="multipart")
        assert response.status_code == 400
        assert "screenshot" in response.json()["error"]
        body.update(img_width=640, img_height=480)
        assert api.post("/api/zones", body, format="multipart").status_code == 201

    def test_update_and_delete_zone(self, api):
        camera = create_camera(api)
        upload_screenshot(api, camera["id"])
        zone = api.post("/api/zones", {"camera_id": camera["id"], "name": "Z", "ztype": "shelf",
                                       "polygon_json": "[[1,1],[50,1],[50,50]]"}, format="multipart").json()
        bad = api.patch(f"/api/zones/{zone['id']}", {"polygon_json": [[0, 0], [9, 9], [9, 0], [0, 9]]}, format="json")
        assert bad.status_code == 400
        assert "polygon_json" in bad.json()["errors"]
        good = api.patch(f"/api/zones/{zone['id']}", {"name": "Promo shelf"}, format="json")
        assert good.status_code == 200 and good.json()["name"] == "Promo shelf"
        assert api.delete(f"/api/zones/{zone['id']}").status_code == 204
        assert not Zone.objects.exists()

    def test_entrance_line_and_pipeline_config(self, api):
        camera = create_camera(api)
        upload_screenshot(api, camera["id"])
        api.post("/api/zones", {"camera_id": camera["id"], "name": "Electronics", "ztype": "general",
                                "polygon_json": "[[300,200],[800,200],[800,600],[300,600]]"}, format="multipart")
        api.post("/api/zones", {"camera_id": camera["id"], "name": "Shelf promo", "ztype": "shelf",
                                "polygon_json": "[[100,100],[500,100],[500,400],[100,400]]"}, format="multipart")
        on_line = api.post("/api/zones/line", {"camera_id": camera["id"], "line_json": "[[960,400],[960,700]]",
                                               "inside_point_json": "[960,550]"}, format="multipart")
        assert on_line.status_code == 400 and "inside_point" in on_line.json()["errors"]
        line = api.post("/api/zones/line", {"camera_id": camera["id"], "line_json": "[[960,400],[960,700]]",
                                            "inside_point_json": "[1200,550]"}, format="multipart")
        assert line.status_code == 201, line.content
        config = api.get(f"/api/cameras/{camera['id']}/config").json()
        assert config["screenshot_size"] == [1920, 1080]
        assert config["zones"] == {"electronics": [[300, 200], [800, 200], [800, 600], [300, 600]]}
        assert config["shelves"] == {"shelf_promo": [[100, 100], [500, 100], [500, 400], [100, 400]]}
        assert config["entrance_line"] == [[960, 400], [960, 700]]
        assert config["inside_point"] == [1200, 550]


@pytest.mark.django_db
def test_other_organisations_cameras_are_invisible(api, org_member):
    foreign = create_camera(api)
    user, _ = org_member
    member = APIClient()
    member.force_authenticate(user)
    assert foreign["id"] not in [c["id"] for c in member.get("/api/cameras").json()]
    response = member.post("/api/zones", {"camera_id": foreign["id"], "name": "Z", "ztype": "general",
                                          "polygon_json": "[[1,1],[50,1],[50,50]]", "img_width": 100,
                                          "img_height": 100}, format="multipart")
    assert response.status_code == 400
    assert "camera_id" in response.json()["errors"]
    assert member.post("/api/cameras", {"name": "sneaky"}, format="json").status_code == 403
