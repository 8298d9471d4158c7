"""MOTChallenge text I/O (GUIDE §3).

det.txt:    frame,-1,x,y,w,h,conf,-1,-1,-1   (frames from 1; a frame without rows has no people)
tracks.txt: frame,id,x,y,w,h,conf,-1,-1,-1
Frame n is at t = (n - 1) / fps seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from .types import Detection, TrackState


class MotFormatError(ValueError):
    """A malformed det.txt line; the message names the file and line."""


def read_det_txt(path: str | Path) -> dict[int, list[Detection]]:
    path = Path(path)
    if not path.is_file():
        raise MotFormatError(f"{path}: file not found")
    frames: dict[int, list[Detection]] = defaultdict(list)
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.replace(" ", "").split(",")
            if len(parts) < 7:
                raise MotFormatError(f"{path.name} line {lineno}: expected frame,-1,x,y,w,h,conf,...")
            try:
                frame = int(float(parts[0]))
                x, y, w, h, conf = (float(v) for v in parts[2:7])
            except ValueError:
                raise MotFormatError(f"{path.name} line {lineno}: not a number") from None
            if frame < 1:
                raise MotFormatError(f"{path.name} line {lineno}: frame numbers start at 1")
            if w <= 0 or h <= 0:
                continue  # degenerate box: nothing to track
            frames[frame].append(Detection.from_xywh(x, y, w, h, conf))
    return dict(frames)


def iter_frames(frames: dict[int, list[Detection]], fps: float, last_frame: int | None = None
                ) -> Iterator[tuple[int, float, list[Detection]]]:
    """Every frame from 1 to the last one, with its time in seconds (empty frames included)."""
    last = last_frame if last_frame is not None else max(frames, default=0)
    for n in range(1, last + 1):
        yield n, (n - 1) / fps, frames.get(n, [])


def write_det_txt(fh: TextIO, frame: int, detections: Iterable[Detection]) -> None:
    for d in detections:
        fh.write(f"{frame},-1,{d.x1:.2f},{d.y1:.2f},{d.x2 - d.x1:.2f},{d.y2 - d.y1:.2f},{d.conf:.3f},-1,-1,-1\n")


def write_tracks(fh: TextIO, frame: int, tracks: Iterable[TrackState], matched_only: bool = True) -> None:
    for s in tracks:
        if not s.confirmed or (matched_only and not s.matched):
            continue
        x1, y1, x2, y2 = s.box
        fh.write(f"{frame},{s.track_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{s.conf:.3f},-1,-1,-1\n")
