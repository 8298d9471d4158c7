"""Reads for the camera workers."""

from __future__ import annotations

from dataclasses import dataclass

from cameras.models import Camera


@dataclass(frozen=True)
class CameraRuntime:
    """What a running camera polls to notice changes (one cheap query)."""

    enabled: bool
    config_version: int
    rtsp_url: str
    frame_rate: float
    detection_interval: int
    detect_url: str = ""  # the detect stream (substream) the runner reads when set


def camera_for_runner(camera_pk: int) -> Camera | None:
    return Camera.objects.select_related("store").filter(pk=camera_pk).first()


def camera_runtime(camera_pk: int) -> CameraRuntime | None:
    """None when the camera was deleted."""
    camera = Camera.objects.filter(pk=camera_pk).only(
        "enabled", "config_version", "rtsp_url", "detect_url", "frame_rate", "detection_interval"
    ).first()
    if camera is None:
        return None
    return CameraRuntime(camera.enabled, camera.config_version, camera.rtsp_url,
                         camera.effective_frame_rate, camera.effective_detection_interval, camera.detect_url)


def camera_pks_to_run() -> list[int]:
    """Enabled cameras with a stream to read: the set the supervisor keeps running."""
    return list(Camera.objects.filter(enabled=True).exclude(rtsp_url="").order_by("pk").values_list("pk", flat=True))


def camera_find(reference: str, store_id: str | None = None) -> list[Camera]:
    """Cameras matching a slug (or a numeric pk), optionally within one store."""
    cameras = Camera.objects.select_related("store")
    if store_id:
        cameras = cameras.filter(store__store_id=store_id)
    if reference.isdigit():
        found = list(cameras.filter(pk=int(reference)))
        if found:
            return found
    return list(cameras.filter(camera_id=reference))
