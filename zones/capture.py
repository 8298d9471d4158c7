"""Take the zone-setup screenshot from the camera itself: one frame of its stream, stored like an upload.

The stream is opened by the workers' one network-open function (vision.sources.open_network_capture:
FFmpeg protocol whitelist, never a local file), and only for a URL that passes the camera URL rules again (rows
stored before those rules existed). Whatever fails, the user reads one message: which failure it was (refused,
unreachable, no frame, not a stream URL) would make this a port scanner; the details go to the server log, masked.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cameras.models import Camera, CameraScreenshot
from vision.sources import SourceError, open_network_capture
from vision.urls import mask_stream_url, stream_url_problem
from zones.services import screenshot_upload

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 8.0
READ_TIMEOUT_S = 5.0
FRAMES_TO_SKIP = 3  # the first decoded frames of an RTSP stream are often grey or half-drawn
CAPTURE_FAILED = "could not read a frame from the camera"


def _failed(camera: Camera, detail: str) -> ValidationError:
    log.warning("screenshot capture for camera %s (%s) failed: %s", camera.pk, mask_stream_url(camera.rtsp_url), detail)
    return ValidationError({"rtsp_url": CAPTURE_FAILED})


def camera_frame_grab(camera: Camera):
    """One BGR frame (numpy array) from the camera's stream; ValidationError naming `rtsp_url` if it fails."""
    url = camera.rtsp_url
    if not url:
        raise ValidationError({"rtsp_url": "this camera has no stream URL; upload a picture instead"})
    problem = stream_url_problem(url)
    if problem:  # stored before validation existed (file://, concat:, a bad port ...): never opened
        raise _failed(camera, f"stream URL refused without opening it: {problem}")
    try:
        capture = open_network_capture(url, OPEN_TIMEOUT_S, READ_TIMEOUT_S, diagnose=False)
    except SourceError as exc:  # message already masked
        raise _failed(camera, str(exc)) from None
    try:
        frame = None
        for _ in range(FRAMES_TO_SKIP + 1):
            ok, candidate = capture.read()
            if not ok:
                break
            frame = candidate
        if frame is None:
            raise _failed(camera, "the stream opened but sent no frame")
        return frame
    finally:
        capture.release()


def screenshot_capture(camera: Camera) -> CameraScreenshot:
    """Grab a frame and store it as the camera's latest screenshot (its size becomes the drawing space)."""
    import cv2

    frame = camera_frame_grab(camera)
    ok, encoded = cv2.imencode(".png", frame)
    if not ok:
        raise _failed(camera, "the frame could not be encoded as PNG")
    height, width = frame.shape[:2]
    upload = SimpleUploadedFile(f"{camera.camera_id}.png", encoded.tobytes(), content_type="image/png")
    return screenshot_upload(camera=camera, file=upload, width=int(width), height=int(height))
