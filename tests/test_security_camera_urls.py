"""Camera stream URLs: what the server will open, who may set them, and how they are shown.

- Finding 2: `file://`, `concat:`, `subfile:` ... camera URLs were accepted and "take a picture from the camera"
  opened them (local files leaked into the screenshot) and named the connection error (a port scanner). Now: one
  validator (rtsp/rtsps/http/https with a host), FFmpeg opens network streams under a protocol whitelist, stored
  rows are checked again before opening, and every capture failure reads the same; only organisation admins set
  URLs.
- Finding 4: `rtsp://u:p@cam.local:badport/s` was stored, then every camera list answered 500 (the masking raised).
- Finding 7 (camera URLs): passwords in the query string or as a lone userinfo were shown back in clear.
"""

from __future__ import annotations

import socket

import cv2
import numpy as np
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cameras.models import Camera, mask_url_password
from cameras.services import camera_create
from edge.collector import mask_password
from tests.factories import CameraFactory, OrganizationFactory, StoreFactory, UserFactory
from vision.sources import RtspSource, SourceError, mask_url

SECRET = "hunter2xyz"

REJECTED_URLS = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "File://localhost/etc/passwd",
    "concat:/etc/passwd|/etc/hosts",
    "concat:rtsp://cam.local/a|file:///etc/passwd",
    "subfile:,,start,0,end,0,,:/etc/passwd",
    "pipe:0",
    "data:video/mp4;base64,AAAAIGZ0eXBpc29t",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://cam.local/x",
    "/etc/passwd",
    " rtsp://cam.local/s",
    "rtsp://cam.local/s\n",
    "rtsp://cam local/s",
    "rtsp:///stream",
    "rtsp://u:p@cam.local:badport/s",
    "rtsp://cam.local:0/s",
    "rtsp://cam.local:65536/s",
    "rtsp://cam.local:/s",
    "rtsp://cam.local/" + "a" * 1000,
]


@pytest.fixture
def member(org_member):
    """A plain member (not an organisation admin) with an API client."""
    user, store = org_member
    client = APIClient()
    client.force_authenticate(user)
    return user, store, client


@pytest.fixture
def org_admin(org_member):
    user, store = org_member
    store.organization.admins.add(user)
    client = APIClient()
    client.force_authenticate(user)
    return user, store, client


def stored_bad_row(store, url: str, slug: str = "cam_bad") -> Camera:
    """A row written before validation existed: the ORM's save() runs no validators."""
    return Camera.objects.create(store=store, camera_id=slug, name="Legacy", rtsp_url=url)


# ------------------------------------------------------------------------------------- one validator


@pytest.mark.django_db
@pytest.mark.parametrize("url", REJECTED_URLS)
def test_api_rejects_camera_url(api, store, url):
    response = api.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "rtsp_url" in response.json()["errors"]
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", REJECTED_URLS)
def test_admin_form_rejects_camera_url(admin_user, client, store, url):
    client.force_login(admin_user)
    response = client.post(reverse("admin:cameras_camera_add"), {
        "store": store.pk, "camera_id": "door", "name": "Door", "enabled": "on", "capabilities": "[]",
        "rtsp_url": url, "frame_rate": "", "detection_interval": "", "min_dwell_seconds": "2.0", "anchor": "foot",
    })
    assert response.status_code == 200  # the form again, with the error; a save would redirect
    assert "rtsp_url" in response.context["adminform"].form.errors
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["file:///etc/passwd", "concat:/etc/passwd", "rtsp://u:p@cam.local:badport/s"])
def test_model_validation_rejects_camera_url(store, url):
    """The service (and so every import path that uses it) runs the model field's validator."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        camera_create(store=store, name="Door", rtsp_url=url)
    assert "rtsp_url" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "rtsp://192.168.1.10:554/s",
    "rtsp://admin:pa%40ss@10.0.0.5/Streaming/Channels/101",
    "RTSP://172.16.0.9/live",
    "rtsps://cam.example.com:322/s",
    "http://192.168.1.20/video.mjpg",
    "https://cam.example.com/live/index.m3u8",
    "rtsp://[fd00::10]:554/s",
])
def test_lan_and_network_stream_urls_are_accepted(org_admin, url):
    _, store, client = org_admin
    response = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": url},
                           format="json")
    assert response.status_code == 201, response.content
    assert Camera.objects.get(pk=response.json()["id"]).rtsp_url == url


# The detect stream (substream, issue #15): every rule of rtsp_url, naming detect_url.
MAIN = "rtsp://192.168.1.10:554/main"


@pytest.mark.django_db
@pytest.mark.parametrize("url", REJECTED_URLS)
def test_api_rejects_detect_url(api, store, url):
    response = api.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": MAIN,
                                         "detect_url": url}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["detect_url"]
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", REJECTED_URLS)
def test_admin_form_rejects_detect_url(admin_user, client, store, url):
    client.force_login(admin_user)
    response = client.post(reverse("admin:cameras_camera_add"), {
        "store": store.pk, "camera_id": "door", "name": "Door", "enabled": "on", "capabilities": "[]",
        "rtsp_url": MAIN, "detect_url": url, "frame_rate": "", "detection_interval": "", "min_dwell_seconds": "2.0",
        "anchor": "foot",
    })
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["detect_url"]
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["file:///etc/passwd", "concat:/etc/passwd", "rtsp://u:p@cam.local:badport/s"])
def test_model_validation_rejects_detect_url(store, url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        camera_create(store=store, name="Door", rtsp_url=MAIN, detect_url=url)
    assert list(error.value.message_dict) == ["detect_url"]


@pytest.mark.django_db
def test_detect_url_needs_the_main_stream(api, store):
    """Screenshots read the main stream: a detect stream alone is refused, naming detect_url."""
    from django.core.exceptions import ValidationError

    response = api.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "detect_url": MAIN},
                        format="json")
    assert response.status_code == 400 and "detect_url" in response.json()["errors"]
    with pytest.raises(ValidationError) as error:
        camera_create(store=store, name="Door", detect_url=MAIN)
    assert "detect_url" in error.value.message_dict
    camera = CameraFactory(store=store, rtsp_url=MAIN, detect_url="rtsp://192.168.1.10:554/sub")
    cleared = api.patch(f"/api/cameras/{camera.pk}", {"rtsp_url": ""}, format="json")
    assert cleared.status_code == 400 and "detect_url" in cleared.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "rtsp://192.168.1.10:554/s",
    "rtsp://admin:pa%40ss@10.0.0.5/Streaming/Channels/102",
    "RTSP://172.16.0.9/live",
    "rtsps://cam.example.com:322/s",
    "http://192.168.1.20/video.mjpg",
    "https://cam.example.com/live/index.m3u8",
    "rtsp://[fd00::10]:554/s",
])
def test_lan_and_network_detect_urls_are_accepted(org_admin, url):
    _, store, client = org_admin
    response = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": MAIN,
                                            "detect_url": url}, format="json")
    assert response.status_code == 201, response.content
    camera = Camera.objects.get(pk=response.json()["id"])
    assert (camera.rtsp_url, camera.detect_url, camera.analysed_url) == (MAIN, url, url)
    assert "detect_url" not in response.json()  # write-only


# ------------------------------------------------------------------------------------- who sets URLs


@pytest.mark.django_db
def test_plain_member_cannot_set_a_camera_url(member):
    _, store, client = member
    url = "rtsp://192.168.1.10:554/s"
    created = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": url},
                          format="json")
    assert created.status_code == 403
    assert not Camera.objects.exists()

    # without a URL a member may still create and edit the organisation's cameras
    plain = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id}, format="json")
    assert plain.status_code == 201, plain.content
    pk = plain.json()["id"]
    assert client.patch(f"/api/cameras/{pk}", {"name": "Front door"}, format="json").status_code == 200
    for method in (client.patch, client.put):
        response = method(f"/api/cameras/{pk}", {"name": "Front door", "rtsp_url": url}, format="json")
        assert response.status_code == 403, response.content
    assert Camera.objects.get(pk=pk).rtsp_url == ""


@pytest.mark.django_db
def test_plain_member_cannot_change_or_clear_an_existing_url(member):
    _, store, client = member
    camera = CameraFactory(store=store, rtsp_url=f"rtsp://admin:{SECRET}@192.168.1.10/s")
    for body in ({"rtsp_url": "rtsp://192.168.1.99/s"}, {"rtsp_url": ""},
                 {"rtsp_url": f"rtsp://admin:{SECRET}@192.168.1.10/s"}):  # no oracle for guesses of the password
        assert client.patch(f"/api/cameras/{camera.pk}", body, format="json").status_code == 403
    camera.refresh_from_db()
    assert camera.rtsp_url == f"rtsp://admin:{SECRET}@192.168.1.10/s"


@pytest.mark.django_db
def test_organisation_admin_sets_and_changes_the_url(org_admin):
    _, store, client = org_admin
    created = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id,
                                           "rtsp_url": "rtsp://192.168.1.10:554/s"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(f"/api/cameras/{pk}", {"rtsp_url": "rtsp://192.168.1.11:554/s"}, format="json")
    assert changed.status_code == 200, changed.content
    assert Camera.objects.get(pk=pk).rtsp_url == "rtsp://192.168.1.11:554/s"
    bad = client.patch(f"/api/cameras/{pk}", {"rtsp_url": "file:///etc/passwd"}, format="json")
    assert bad.status_code == 400 and "rtsp_url" in bad.json()["errors"]


@pytest.mark.django_db
def test_admin_of_another_organisation_cannot_set_urls_here(org_admin):
    user, _, client = org_admin
    elsewhere = StoreFactory()
    elsewhere.organization.members.add(user)  # a member there, admin only of the first organisation
    response = client.post("/api/cameras", {"name": "Door", "store_id": elsewhere.store_id,
                                            "rtsp_url": "rtsp://192.168.1.10/s"}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_plain_member_cannot_set_a_detect_url(member):
    _, store, client = member
    url = "rtsp://192.168.1.10:554/sub"
    created = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "detect_url": url},
                          format="json")
    assert created.status_code in (400, 403)  # 400: no main stream either; never created
    camera = CameraFactory(store=store, rtsp_url=MAIN)
    for method in (client.patch, client.put):
        response = method(f"/api/cameras/{camera.pk}", {"name": "Front door", "detect_url": url}, format="json")
        assert response.status_code == 403, response.content
    assert Camera.objects.get(pk=camera.pk).detect_url == ""
    assert Camera.objects.count() == 1


@pytest.mark.django_db
def test_plain_member_cannot_change_or_clear_an_existing_detect_url(member):
    _, store, client = member
    secret_url = f"rtsp://admin:{SECRET}@192.168.1.10/sub"
    camera = CameraFactory(store=store, rtsp_url=MAIN, detect_url=secret_url)
    for body in ({"detect_url": "rtsp://192.168.1.99/s"}, {"detect_url": ""}, {"detect_url": secret_url}):
        assert client.patch(f"/api/cameras/{camera.pk}", body, format="json").status_code == 403
    camera.refresh_from_db()
    assert camera.detect_url == secret_url


@pytest.mark.django_db
def test_organisation_admin_sets_changes_and_clears_the_detect_url(org_admin):
    _, store, client = org_admin
    created = client.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": MAIN,
                                           "detect_url": "rtsp://192.168.1.10:554/sub"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(f"/api/cameras/{pk}", {"detect_url": "rtsp://192.168.1.11:554/sub"}, format="json")
    assert changed.status_code == 200, changed.content
    assert Camera.objects.get(pk=pk).detect_url == "rtsp://192.168.1.11:554/sub"
    bad = client.patch(f"/api/cameras/{pk}", {"detect_url": "file:///etc/passwd"}, format="json")
    assert bad.status_code == 400 and "detect_url" in bad.json()["errors"]
    cleared = client.patch(f"/api/cameras/{pk}", {"detect_url": ""}, format="json")
    assert cleared.status_code == 200 and cleared.json()["detect_url_masked"] == ""
    assert Camera.objects.get(pk=pk).analysed_url == MAIN


@pytest.mark.django_db
def test_admin_of_another_organisation_cannot_set_detect_urls_here(org_admin):
    user, _, client = org_admin
    elsewhere = StoreFactory()
    elsewhere.organization.members.add(user)
    camera = CameraFactory(store=elsewhere, rtsp_url=MAIN)
    response = client.post("/api/cameras", {"name": "Door", "store_id": elsewhere.store_id, "rtsp_url": MAIN,
                                            "detect_url": "rtsp://192.168.1.10/sub"}, format="json")
    assert response.status_code == 403
    patched = client.patch(f"/api/cameras/{camera.pk}", {"detect_url": "rtsp://192.168.1.10/sub"}, format="json")
    assert patched.status_code == 403


# --------------------------------------------------------------------------- bad values already stored


@pytest.mark.django_db
def test_bad_port_is_a_400_naming_rtsp_url_and_stores_nothing(api, store):
    url = f"rtsp://u:{SECRET}@cam.local:badport/s"
    response = api.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": url}, format="json")
    assert response.status_code == 400
    assert "rtsp_url" in response.json()["errors"] and SECRET not in response.content.decode()
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    f"rtsp://u:{SECRET}@cam.local:badport/s",
    f"rtsp://u:{SECRET}@[fd00::1/s",
    f" rtsp://u:{SECRET}@cam.local/s",
    f"rtsp://u:{SECRET} x@cam.local/s",
    f"u:{SECRET}@cam.local/s",
])
def test_a_stored_bad_row_breaks_no_list(api, admin_user, client, org_member, url):
    owner, owner_store = org_member
    stored_bad_row(owner_store, url)
    CameraFactory(store=owner_store)
    other = UserFactory()
    StoreFactory(organization=OrganizationFactory()).organization.members.add(other)

    for user in (owner, other):
        reader = APIClient()
        reader.force_authenticate(user)
        response = reader.get("/api/cameras")
        assert response.status_code == 200, response.content
        assert SECRET not in response.content.decode()
    everyone = api.get("/api/cameras")
    assert everyone.status_code == 200 and SECRET not in everyone.content.decode()

    client.force_login(admin_user)
    changelist = client.get(reverse("admin:cameras_camera_changelist"))
    assert changelist.status_code == 200
    assert SECRET not in changelist.content.decode()
    bad = Camera.objects.get(camera_id="cam_bad")
    change = client.get(reverse("admin:cameras_camera_change", args=[bad.pk]))
    assert change.status_code == 200 and SECRET not in change.content.decode()


@pytest.mark.django_db
def test_bad_detect_port_is_a_400_naming_detect_url_and_stores_nothing(api, store):
    url = f"rtsp://u:{SECRET}@cam.local:badport/s"
    response = api.post("/api/cameras", {"name": "Door", "store_id": store.store_id, "rtsp_url": MAIN,
                                         "detect_url": url}, format="json")
    assert response.status_code == 400
    assert "detect_url" in response.json()["errors"] and SECRET not in response.content.decode()
    assert not Camera.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    f"rtsp://u:{SECRET}@cam.local:badport/s",
    f"rtsp://u:{SECRET}@[fd00::1/s",
    f" rtsp://u:{SECRET}@cam.local/s",
    f"rtsp://u:{SECRET} x@cam.local/s",
    f"u:{SECRET}@cam.local/s",
])
def test_a_stored_bad_detect_url_breaks_no_list_or_page(api, admin_user, client, org_member, url):
    owner, owner_store = org_member
    bad = Camera.objects.create(store=owner_store, camera_id="cam_bad", name="Legacy", rtsp_url=MAIN, detect_url=url)
    CameraFactory(store=owner_store)
    reader = APIClient()
    reader.force_authenticate(owner)
    for response in (reader.get("/api/cameras"), api.get("/api/cameras"), reader.get(f"/api/cameras/{bad.pk}")):
        assert response.status_code == 200, response.content
        assert SECRET not in response.content.decode()
    client.force_login(owner)
    page = client.get(reverse("camera-detail", args=[bad.pk]))
    assert page.status_code == 200 and SECRET not in page.content.decode()
    client.force_login(admin_user)
    for address in (reverse("admin:cameras_camera_changelist"), reverse("admin:cameras_camera_change", args=[bad.pk])):
        response = client.get(address)
        assert response.status_code == 200 and SECRET not in response.content.decode()


# ---------------------------------------------------------------------------------------------- masking


@pytest.mark.parametrize(("url", "masked"), [
    (f"rtsp://cam.local/live?password={SECRET}", "rtsp://cam.local/live?password=***"),
    (f"rtsp://cam.local/live?user=admin&PWD={SECRET}&channel=1", "rtsp://cam.local/live?user=admin&PWD=***&channel=1"),
    (f"http://cam.local/video.cgi?Pass={SECRET}", "http://cam.local/video.cgi?Pass=***"),
    (f"http://cam.local/video.cgi?passwd={SECRET}", "http://cam.local/video.cgi?passwd=***"),
    (f"https://cam.local/live?token={SECRET}", "https://cam.local/live?token=***"),
    (f"https://cam.local/live?key={SECRET}&x=1", "https://cam.local/live?key=***&x=1"),
    (f"https://cam.local/live?Secret={SECRET}", "https://cam.local/live?Secret=***"),
    (f"https://cam.local/live?auth={SECRET}", "https://cam.local/live?auth=***"),
    (f"https://cam.local/live?API_KEY={SECRET}", "https://cam.local/live?API_KEY=***"),
    (f"https://cam.local/live?access_token={SECRET}", "https://cam.local/live?access_token=***"),
    (f"rtsp://192.168.1.5:554/user=admin&password={SECRET}&channel=1",
     "rtsp://192.168.1.5:554/user=admin&password=***&channel=1"),
    (f"rtsp://{SECRET}@cam.local/s", "rtsp://***@cam.local/s"),
    (f"rtsp://admin:{SECRET}@cam.local/s?token={SECRET}", "rtsp://admin:***@cam.local/s?token=***"),
    (f"rtsp://u:{SECRET}@cam.local:badport/s", "rtsp://u:***@cam.local:badport/s"),
    (f"rtsp://u:{SECRET} x@cam.local/s", "rtsp://***"),
    (f"rtsp://u:{SECRET}@cam.local/s\r\n", "rtsp://***"),
    (f"u:{SECRET}@cam.local/s", "***"),
    ("rtsp://cam.local/live?channel=1&subtype=0", "rtsp://cam.local/live?channel=1&subtype=0"),
    ("file:///etc/passwd", "file:///etc/passwd"),
])
def test_camera_url_masking(url, masked):
    assert mask_url_password(url) == masked
    assert Camera(rtsp_url=MAIN, detect_url=url).masked_detect_url == masked  # the detect stream: same rules
    assert SECRET not in mask_password(url)  # the edge collector's banner
    if "://" in url:  # free text (error messages): every URL in it
        assert SECRET not in mask_url(url) and SECRET not in mask_url(f"error: {url} (refused)")


def test_masking_in_free_text_and_never_raising():
    text = f"cannot open rtsp://admin:{SECRET}@10.0.0.5/s?password={SECRET} (refused)"
    assert mask_url(text) == "cannot open rtsp://***:***@10.0.0.5/s?password=*** (refused)"
    for value in ("rtsp://[::1", "rtsp://u:p@h:99999999999999999999/s", "http://%zz@/", "\x00", "://@"):
        assert isinstance(mask_url_password(value), str) and isinstance(mask_url(value), str)


@pytest.mark.django_db
def test_api_and_admin_show_query_and_lone_userinfo_secrets_masked(api, admin_user, client, store):
    query = CameraFactory(store=store, camera_id="q", rtsp_url=f"rtsp://cam.local/live?password={SECRET}")
    lone = CameraFactory(store=store, camera_id="lone", rtsp_url=f"rtsp://{SECRET}@cam.local/s",
                         last_error=f"cannot open rtsp://admin:{SECRET}@cam.local/s?token={SECRET}")
    listing = api.get("/api/cameras")
    assert listing.status_code == 200 and SECRET not in listing.content.decode()
    assert api.get(f"/api/cameras/{lone.pk}").json()["rtsp_url_masked"] == "rtsp://***@cam.local/s"
    client.force_login(admin_user)
    assert SECRET not in client.get(reverse("admin:cameras_camera_changelist")).content.decode()
    for camera in (query, lone):
        page = client.get(reverse("admin:cameras_camera_change", args=[camera.pk])).content.decode()
        assert SECRET not in page
        assert 'type="password"' in page.split('name="rtsp_url"', 1)[0].rsplit("<input", 1)[1]


@pytest.mark.django_db
def test_api_admin_and_camera_page_show_the_detect_url_masked(api, admin_user, client, org_member):
    owner, store = org_member
    query = CameraFactory(store=store, camera_id="q", rtsp_url=MAIN,
                          detect_url=f"rtsp://cam.local/sub?password={SECRET}")
    lone = CameraFactory(store=store, camera_id="lone", rtsp_url=MAIN, detect_url=f"rtsp://{SECRET}@cam.local/sub")
    listing = api.get("/api/cameras")
    assert listing.status_code == 200 and SECRET not in listing.content.decode()
    detail = api.get(f"/api/cameras/{lone.pk}").json()
    assert detail["detect_url_masked"] == "rtsp://***@cam.local/sub" and "detect_url" not in detail
    client.force_login(owner)
    page = client.get(reverse("camera-detail", args=[query.pk])).content.decode()
    assert SECRET not in page and "detect stream rtsp://cam.local/sub?password=***" in page
    client.force_login(admin_user)
    assert SECRET not in client.get(reverse("admin:cameras_camera_changelist")).content.decode()
    for camera in (query, lone):
        page = client.get(reverse("admin:cameras_camera_change", args=[camera.pk])).content.decode()
        assert SECRET not in page
        assert 'type="password"' in page.split('name="detect_url"', 1)[0].rsplit("<input", 1)[1]


@pytest.mark.django_db
def test_admin_keeps_the_detect_url_when_left_empty_and_clears_it_when_asked(admin_user, client, store):
    secret_url = f"rtsp://admin:{SECRET}@192.168.1.10/sub"
    camera = CameraFactory(store=store, rtsp_url=MAIN, detect_url=secret_url)
    form = {"store": store.pk, "camera_id": camera.camera_id, "name": camera.name, "enabled": "on",
            "capabilities": "[]", "rtsp_url": "", "detect_url": "", "frame_rate": "", "detection_interval": "",
            "min_dwell_seconds": "2.0", "anchor": "foot"}
    client.force_login(admin_user)
    kept = client.post(reverse("admin:cameras_camera_change", args=[camera.pk]), form)
    assert kept.status_code == 302, kept.content
    camera.refresh_from_db()
    assert (camera.rtsp_url, camera.detect_url) == (MAIN, secret_url)
    cleared = client.post(reverse("admin:cameras_camera_change", args=[camera.pk]), {**form, "clear_detect_url": "on"})
    assert cleared.status_code == 302
    camera.refresh_from_db()
    assert (camera.rtsp_url, camera.detect_url) == (MAIN, "")


# -------------------------------------------------------------------------------- opening streams


def write_clip(path) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (64, 48))
    for i in range(8):
        writer.write(np.full((48, 64, 3), 20 * i, dtype=np.uint8))
    writer.release()
    return str(path)


@pytest.fixture
def opened(monkeypatch):
    """Records what cv2.VideoCapture is asked to open (still opening it)."""
    calls: list[str] = []
    real = cv2.VideoCapture

    def spy(target, *args):
        calls.append(str(target))
        return real(target, *args)

    monkeypatch.setattr(cv2, "VideoCapture", spy)
    return calls


def capture(client, camera):
    return client.post(reverse("zone-screenshot-capture", args=[camera.pk]))


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["file://", "", "concat:"])
def test_capture_never_opens_a_stored_local_file(client, org_member, tmp_path, opened, scheme):
    user, store = org_member
    clip = write_clip(tmp_path / "private.avi")
    camera = stored_bad_row(store, f"{scheme}{clip}")
    client.force_login(user)
    response = capture(client, camera)
    assert response.status_code == 400
    assert response.json()["errors"] == {"rtsp_url": ["could not read a frame from the camera"]}
    assert not any("private.avi" in target for target in opened)
    assert not camera.screenshots.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["file://", "", "concat:"])
def test_capture_never_opens_the_detect_url(client, org_member, tmp_path, opened, scheme):
    """Screenshots come from the main stream: a detect_url (here a stored local file) is never opened for them."""
    user, store = org_member
    clip = write_clip(tmp_path / "private.avi")
    camera = Camera.objects.create(store=store, camera_id="cam_sub", name="Sub",
                                   rtsp_url=f"rtsp://127.0.0.1:{free_port()}/s", detect_url=f"{scheme}{clip}")
    client.force_login(user)
    response = capture(client, camera)
    assert response.status_code == 400
    assert response.json()["errors"] == {"rtsp_url": ["could not read a frame from the camera"]}
    assert opened and not any("private.avi" in target for target in opened)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["file://", "", "concat:"])
def test_runner_never_opens_a_stored_local_detect_url(settings, tmp_path, opened, scheme):
    import redis

    from workers.runner import CameraRunner, ExitReason

    settings.CAMERA_ALLOW_FILE_SOURCES = False
    clip = write_clip(tmp_path / "private.avi")
    camera = CameraFactory(rtsp_url="rtsp://192.0.2.1/main", detect_url=f"{scheme}{clip}")
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    client.flushdb()  # this run's own Redis database (REDIS_URL): no lease left from an earlier run
    assert CameraRunner(camera.pk, client=client, max_seconds=1).run() == ExitReason.STOPPED
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ERROR and "stream URL refused" in camera.last_error
    assert not any("private.avi" in target for target in opened)


@pytest.mark.django_db
def test_capture_is_only_for_members_of_the_cameras_organisation(client, org_member, opened):
    _, store = org_member
    camera = CameraFactory(store=store, rtsp_url="rtsp://127.0.0.1:1/s")
    stranger = UserFactory()
    StoreFactory().organization.members.add(stranger)
    client.force_login(stranger)
    assert capture(client, camera).status_code == 404
    assert opened == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_capture_failures_all_read_the_same(client, org_member, tmp_path):
    """Refused port, unknown host, a reachable server that is no stream: one message, nothing to scan with."""
    import functools
    import http.server
    import threading

    user, store = org_member
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = [
        f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/s",  # connection refused
        f"rtsp://admin:{SECRET}@no-such-camera.invalid/s",  # unknown host
        f"http://127.0.0.1:{server.server_address[1]}/no-such-video",  # reachable, 404
    ]
    client.force_login(user)
    try:
        bodies = []
        for index, url in enumerate(urls):
            camera = CameraFactory(store=store, camera_id=f"cam_{index}", rtsp_url=url)
            response = capture(client, camera)
            assert response.status_code == 400
            bodies.append(response.json())
    finally:
        server.shutdown()
    assert bodies[0] == bodies[1] == bodies[2] == {
        "error": "rtsp_url: could not read a frame from the camera",
        "errors": {"rtsp_url": ["could not read a frame from the camera"]},
    }
    assert all(SECRET not in str(body) for body in bodies)


def test_ffmpeg_whitelist_keeps_network_opens_off_local_files(tmp_path):
    """Defence in depth: the workers' stream open refuses file:, concat:, subfile: even if such a URL got in."""
    clip = write_clip(tmp_path / "private.avi")
    for url in (f"file://{clip}", clip, f"concat:{clip}", f"subfile:,,start,0,end,0,,:{clip}"):
        with pytest.raises(SourceError):
            RtspSource(url, open_timeout_s=2).start(require_connection=True).close()


def test_tenants_never_see_why_a_stream_did_not_open(client, org_member):
    # Refused, timed out and unknown host would make a port scanner of the camera status: the organisation sees
    # one answer; the operator keeps the detail (worker log, Django admin).
    user, store = org_member
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    answers = set()
    for reason in ("connection refused by 10.0.0.7:554", "connection to 10.0.0.8:554 timed out",
                   "unknown host cam.internal"):
        camera = CameraFactory(store=store, last_error=f"cannot open stream rtsp://u:***@10.0.0.7/s: {reason}",
                               status=Camera.Status.ERROR)
        shown = api.get(f"/api/cameras/{camera.pk}").json()["last_error"]
        page = client.get(reverse("camera-detail", args=[camera.pk])).content.decode()
        assert reason not in shown and reason not in page
        assert "cannot open stream" in shown
        answers.add(shown)
    assert len(answers) == 1
