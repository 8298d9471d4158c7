"""Take the zone-setup screenshot from the camera itself: one frame of its stream, stored like an upload."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cameras.models import Camera, CameraScreenshot
from workers.vision.sources import mask_url, probe_stream_host
from zones.services import screenshot_upload

OPEN_TIMEOUT_S = 8.0
READ_TIMEOUT_S = 5.0
FRAMES_TO_SKIP = 3  # the first decoded frames of an RTSP stream are often grey or half-drawn


def _stream_path(url: str) -> str:
    return url[len("file://"):] if url.startswith("file://") else url


def camera_frame_grab(camera: Camera):
    """One BGR frame (numpy array) from the camera's stream; ValidationError naming `rtsp_url` if it fails."""
    import cv2

    url = camera.rtsp_url
    if not url:
        raise ValidationError({"rtsp_url": "this camera has no stream URL; upload a picture instead"})
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(OPEN_TIMEOUT_S * 1000),
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(READ_TIMEOUT_S * 1000)]
    capture = cv2.VideoCapture(_stream_path(url), cv2.CAP_FFMPEG, params)
    try:
        if not capture.isOpened():
            reason = probe_stream_host(url, timeout=3.0) if "://" in url and not url.startswith("file://") else None
            raise ValidationError({"rtsp_url": f"cannot open {mask_url(url)}: {reason or 'the stream did not open'}"})
        frame = None
        for _ in range(FRAMES_TO_SKIP + 1):
            ok, candidate = capture.read()
            if not ok:
                break
            frame = candidate
        if frame is None:
            raise ValidationError({"rtsp_url": f"no frame received from {mask_url(url)}"})
        return frame
    finally:
        capture.release()


def screenshot_capture(camera: Camera) -> CameraScreenshot:
    """Grab a frame and store it as the camera's latest screenshot (its size becomes the drawing space)."""
    import cv2

    frame = camera_frame_grab(camera)
    ok, encoded = cv2.imencode(".png", frame)
    if not ok:
        raise ValidationError({"rtsp_url": "the frame could not be encoded as PNG"})
    height, width = frame.shape[:2]
    upload = SimpleUploadedFile(f"{camera.camera_id}.png", encoded.tobytes(), content_type="image/png")
    return screenshot_upload(camera=camera, file=upload, width=int(width), height=int(height))
