"""The latest annotated frame of a running camera: what the pipeline sees (boxes, track ids, zones, the entrance
line), for the camera page.

A runner started with ``annotate_every_s`` (the demo's live camera) draws one analysed frame every few seconds
(`vision.annotate.draw_overlay`), encodes it as a small JPEG and keeps it in Django's cache (Redis, or the
embedded mode's file cache under var/), never on a public path: the only reader is the tenant-checked
`/cameras/<pk>/live.jpg` view. The entry expires when the runner stops writing it.
"""

from __future__ import annotations

import numpy as np
from django.core.cache import cache

KEY = "wink:camera-frame:v1:{pk}"
FRAME_TTL_S = 30
MAX_WIDTH = 960
JPEG_QUALITY = 75


def annotated_frame_encode(image: np.ndarray, pipeline, detections=()) -> bytes:
    """A JPEG of ``image`` (BGR, left untouched) with the pipeline's zones, line and tracks drawn on it."""
    import cv2

    from vision.annotate import draw_overlay

    frame = draw_overlay(image.copy(), pipeline.config, pipeline.tracks, live=pipeline.live_state(),
                         detections=detections or (), key_of=pipeline.person_key_of)
    h, w = frame.shape[:2]
    if w > MAX_WIDTH:
        frame = cv2.resize(frame, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


def annotated_frame_write(camera_pk: int, jpeg: bytes, ttl_s: float = FRAME_TTL_S) -> None:
    cache.set(KEY.format(pk=int(camera_pk)), jpeg, timeout=ttl_s)


def annotated_frame_read(camera_pk: int) -> bytes | None:
    value = cache.get(KEY.format(pk=int(camera_pk)))
    return value if isinstance(value, bytes) else None
