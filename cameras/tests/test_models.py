import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cameras.models import Camera, mask_url_password
from tests.factories import CameraFactory, StoreFactory


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1"),
        ("rtsp://10.0.0.5/stream", "rtsp://10.0.0.5/stream"),
        ("rtsp://user:p%40ss@cam.local/live?x=1", "rtsp://user:***@cam.local/live?x=1"),
        ("", ""),
    ],
)
def test_mask_url_password(url, masked):
    assert mask_url_password(url) == masked


@pytest.mark.django_db
class TestStoreAndCamera:
    def test_store_rejects_unknown_timezone(self):
        store = StoreFactory.build(timezone="Mars/Olympus")
        store.organization.save()
        with pytest.raises(ValidationError) as error:
            store.full_clean()
        assert "timezone" in error.value.message_dict

    def test_store_accepts_iana_timezone(self):
        store = StoreFactory(timezone="Asia/Kolkata")
        store.full_clean()
        assert str(store.tzinfo) == "Asia/Kolkata"

    def test_camera_slug_unique_per_store_but_reusable_elsewhere(self):
        camera = CameraFactory(camera_id="cam_a")
        CameraFactory(camera_id="cam_a")  # another store: fine
        with pytest.raises(IntegrityError):
            Camera.objects.create(store=camera.store, camera_id="cam_a", name="dup")

    def test_unknown_capability_rejected(self):
        camera = CameraFactory(capabilities=["entrance"])
        camera.capabilities = ["entrance", "teleport"]
        with pytest.raises(ValidationError) as error:
            camera.full_clean()
        assert "capabilities" in error.value.message_dict

    def test_effective_rates_fall_back_to_settings(self, settings):
        settings.FRAME_RATE, settings.DETECTION_INTERVAL = 12.0, 3
        camera = CameraFactory(frame_rate=None, detection_interval=None)
        assert (camera.effective_frame_rate, camera.effective_detection_interval) == (12.0, 3)
        camera.frame_rate, camera.detection_interval = 8, 2
        assert (camera.effective_frame_rate, camera.effective_detection_interval) == (8, 2)
