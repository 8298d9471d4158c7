"""Plain data passed between the vision stages (no Django, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in frame pixels
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Detection:
    """One person box in frame pixels (xyxy) with the detector's confidence."""

    x1: float
    y1: float
    x2: float
    y2: float
    conf: float

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float, conf: float) -> Detection:
        return cls(float(x), float(y), float(x) + float(w), float(y) + float(h), float(conf))

    @property
    def box(self) -> Box:
        return (self.x1, self.y1, self.x2, self.y2)


@dataclass(slots=True)
class TrackState:
    """A tracked person as the tracker reports it after an update.

    `box` is the Kalman-filtered box when the track was matched at this step and the
    predicted box while it is lost; `det_box` is the raw detection it was matched to.
    """

    track_id: int
    box: Box
    conf: float
    confirmed: bool
    matched: bool = True  # matched to a detection at the latest update
    last_seen: float = 0.0  # time (s) of the latest matched detection
    first_seen: float = 0.0
    hits: int = 0
    det_box: Box | None = None
    # Observations (t, box) made before the track was confirmed: the event stage replays
    # them once on confirmation so that the first seconds of a person are not lost.
    pre_confirm: list[tuple[float, Box]] = field(default_factory=list)
    conf_sum: float = 0.0  # sum of confidences while tentative (confirmation needs strong evidence)

    @property
    def person_key(self) -> str:
        return f"t{self.track_id}"


def anchor_of(box: Box, anchor: str = "foot") -> Point:
    """Foot point (bottom-centre) of a box, or its centre when anchor == "center"."""
    x1, y1, x2, y2 = box
    if anchor == "center":
        return ((x1 + x2) / 2.0, (y1 + y2) / 2.0)
    return ((x1 + x2) / 2.0, y2)
