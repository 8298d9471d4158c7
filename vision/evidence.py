"""Audit evidence frames, made safe before they exist anywhere: downscaled, heads blurred, JPEG-encoded.

Shared by the central recorder (audits/recorder.py) and the edge collector (edge/audit.py). Pure: numpy and
OpenCV only. The head is the top HEAD_FRACTION of every detected person's box (feet-anchored boxes of standing
people: the head and shoulders sit in the top quarter); it is pixelated and then blurred, which leaves nothing
of a face to recover at ≤ 960 px, and the blur is applied to the pixels that are encoded: nothing unblurred is
ever written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

INDEX = "index.jsonl"  # one JSON line per analysed frame of the window (frame_record)
MAX_WIDTH = 960
HEAD_FRACTION = 0.3
JPEG_QUALITY = 75

Box = tuple[float, float, float, float]


def evidence_scale(width: int, max_width: int = MAX_WIDTH) -> float:
    return min(1.0, max_width / float(width))


def head_box(box: Box, scale: float, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The head region of a person box (frame pixels) in the downscaled image, clipped; None if empty."""
    x1, y1, x2, y2 = (v * scale for v in box)
    w, h = size
    pad = 0.1 * (x2 - x1)  # a head turned sideways may stick out of a tight box
    xa, xb = max(0, int(x1 - pad)), min(w, int(np.ceil(x2 + pad)))
    ya, yb = max(0, int(y1 - 0.05 * (y2 - y1))), min(h, int(np.ceil(y1 + HEAD_FRACTION * (y2 - y1))))
    if xb <= xa or yb <= ya:
        return None
    return xa, ya, xb, yb


def redact_frame(image: np.ndarray, boxes: Iterable[Box], max_width: int = MAX_WIDTH) -> tuple[np.ndarray, float]:
    """The frame downscaled to ≤ max_width with every head region pixelated and blurred; and the scale used."""
    import cv2

    h, w = image.shape[:2]
    scale = evidence_scale(w, max_width)
    if scale < 1.0:
        out = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    else:
        out = image.copy()
    size = (out.shape[1], out.shape[0])
    for box in boxes:
        region = head_box(box, scale, size)
        if region is None:
            continue
        xa, ya, xb, yb = region
        patch = out[ya:yb, xa:xb]
        ph, pw = patch.shape[:2]
        block = max(4, min(pw, ph) // 4)
        small = cv2.resize(patch, (max(1, pw // block), max(1, ph // block)), interpolation=cv2.INTER_AREA)
        patch = cv2.resize(small, (pw, ph), interpolation=cv2.INTER_NEAREST)
        k = max(3, (min(pw, ph) // 3) | 1)
        out[ya:yb, xa:xb] = cv2.GaussianBlur(patch, (k, k), 0)
    return out, scale


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def evidence_frame(image: np.ndarray, boxes: Iterable[Box], max_width: int = MAX_WIDTH) -> tuple[bytes, float]:
    """JPEG bytes of the redacted frame, and the scale from frame pixels to evidence pixels."""
    redacted, scale = redact_frame(image, boxes, max_width)
    return encode_jpeg(redacted), scale


def frame_record(seq: int, wall_iso: str, t: float, counts: dict, boxes: Iterable[Box], scale: float,
                 events: list[dict]) -> dict:
    """One line of a window's index.jsonl: what the system saw on this frame (its own counts, the boxes in
    evidence pixels, the crossings and stays it emitted here)."""
    return {
        "seq": seq,
        "ts": wall_iso,
        "t": round(t, 3),
        "file": f"frames/{seq:06d}.jpg",
        "people": counts.get("people", 0),
        "zones": dict(counts.get("zones", {})),
        "boxes": [[round(v * scale, 1) for v in box] for box in boxes],
        "events": [_event_summary(e) for e in events],
    }


def _event_summary(event: dict) -> dict:
    keep = ("type", "direction", "zone_id", "ts", "enter_ts", "exit_ts", "dwell_seconds", "person_key")
    return {k: event[k] for k in keep if k in event}


def read_index(directory: Path) -> list[dict]:
    """A window's frame records in ``seq`` order; [] when there is none. A torn last line (a crash mid-write)
    is skipped."""
    try:
        lines = (Path(directory) / INDEX).read_text().splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("seq"), int):
            records.append(record)
    records.sort(key=lambda r: r["seq"])
    return records


class EvidenceDirectory:
    """Appends one window's frames (``frames/``) and index lines to a directory, up to ``max_bytes``: past it
    frames stop and the index (the system's counts, small, and what the result needs) goes on. Reopened after
    a restart inside the window, it goes on after the last frame. Used by audits/ (central) and edge/audit.py."""

    def __init__(self, directory: Path, max_bytes: int):
        self.directory = Path(directory)
        (self.directory / "frames").mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        existing = read_index(self.directory)
        self.seq = existing[-1]["seq"] + 1 if existing else 0
        self.frames = self.bytes = 0
        for root, _dirs, files in os.walk(self.directory):
            for name in files:
                self.bytes += (Path(root) / name).stat().st_size
                self.frames += name.endswith(".jpg")

    def write(self, jpeg: bytes, record: dict) -> bool:
        """Write one frame (if there is room; atomically) and its index line; returns whether the frame was kept."""
        kept = self.bytes + len(jpeg) <= self.max_bytes
        if kept:
            path = self.directory / record["file"]
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(jpeg)
            os.replace(tmp, path)
            self.frames += 1
            self.bytes += len(jpeg)
        else:
            record = dict(record, file=None)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with open(self.directory / INDEX, "a") as handle:
            handle.write(line)
        self.bytes += len(line)
        self.seq += 1
        return kept
