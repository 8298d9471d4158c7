"""Zone engine building blocks: stays, entrance-line crossings, static-object filter.

Rules (GUIDE §2, plus the choices documented here):

Stays (`StayMachine`): membership of the anchor uses `geometry.Region` hysteresis (enter when
`margin` px inside, leave when `margin` px outside). A stay closes when the anchor has been observed
outside for at least `absence_seconds` (1 s) since its last inside observation; shorter absences are
bridged. While a track is lost (no detection) nothing is observed: if the track is re-found inside,
the stay simply continues (an occluded person in a queue keeps waiting); if it is re-found outside or
dropped by the tracker, the stay ends at its last inside observation. Duration = last inside − first
inside; a stay counts when duration >= min_dwell_seconds.

Stay hand-over (EventPipeline): a stay counts one entry and one exit across the boundary. When the
tracker drops a track while its stay is open (the person was lost inside: occlusion, a queue), the
stay is not closed at once: if a track was born inside the same region since (the same person under
a new identity, usually) it takes the stay over and continues it; otherwise the stay waits
`ADOPT_SECONDS` (10 s) for such a newborn track before it is reported as it was. So a fragmented
identity inside a zone or queue neither adds an entry nor cuts a wait short. Identities may still mix
inside a crowded queue, but every counted stay keeps one real entry time and one real exit time, so
the counts and the average wait (sum of exits − sum of entries over the stays) stay right.

Entrance line (`LineCounter`): the anchor's signed distance to the line is positive on the store
side. A side is only assigned when the anchor is at least `band` px away from the line; a crossing is
counted when the assigned side flips (−→+ = in, +→− = out) and the move between the last point on
the old side and the new point crosses the segment itself (2% of its length at its ends). Jitter
inside the band changes nothing; one flip gives one count.

Static objects (`StaticFilter`, `StillState`): a mannequin or a poster is a track that does not move.
1. Never moved: until a track's anchor has moved more than 2 x radius (radius = max(6 px, 10% of the
   box height)) from where the track was first seen, its events are held back. Once it moves they are
   released. If it ends without ever moving after `UNMOVED_STATIC_S` (30 s) or more, it was a static
   object: its events are dropped and its spot is remembered. A short unmoved track (a person seen
   briefly) keeps its events.
2. Still for long: a track whose anchor stays within `radius` of a reference point for
   `static_seconds` (camera config, default 300 s) becomes static — e.g. an identity that jumped onto
   a mannequin: its open stays are discarded and it produces no further events.
3. Static spots: the place of an object found by rule 1 (after `SPOT_SECONDS`, 60 s, unmoved) or 2
   is remembered (anchor within max(8 px, 12% of its height), height within -20%/+25%). An
   observation of any track that matches a static spot counts as outside every zone and is ignored
   by the line counter, so an identity that swaps onto a mannequin does not collect dwell there; a
   track that appears on a static spot and ends without moving is dropped whatever its length.
Static and held tracks are not people in live state and not unique tracks.
"""

from __future__ import annotations

import math

from .geometry import Line
from .types import Point

UNMOVED_STATIC_S = 30.0
# GUIDE §2 counts crossings of the segment itself: a walk past the end of the door line (along a wall, a
# path that turns there) is no crossing. A wide tolerance counted such walks (it was 15% of the length:
# +37% "in" on a held-out wide scene with clean detections); 2% only absorbs rounding.
LINE_END_TOLERANCE = 0.02
SPOT_SECONDS = 60.0


class StayMachine:
    __slots__ = ("absence", "adopted", "born_inside", "inside", "last_inside", "start")

    def __init__(self, absence_seconds: float = 1.0):
        self.inside = False  # hysteresis membership at the latest observation
        self.start: float | None = None
        self.last_inside: float | None = None
        self.absence = absence_seconds
        self.born_inside = False  # the open stay began at the track's first observation
        self.adopted = False  # the open stay continues the stay of a track that died inside

    @property
    def open(self) -> bool:
        return self.start is not None

    def observe(self, t: float, member: bool) -> tuple[tuple[float, float] | None, bool]:
        """Feed one observation. Returns (closed stay (start, end) or None, opened_now)."""
        self.inside = member
        closed = None
        opened = False
        if member:
            if self.start is None:
                self.start = t
                opened = True
            self.last_inside = t
        elif self.start is not None and t - self.last_inside >= self.absence:
            closed = (self.start, self.last_inside)
            self.start = None
            self.last_inside = None
            self.born_inside = self.adopted = False
        return closed, opened

    def close(self) -> tuple[float, float] | None:
        self.inside = False
        if self.start is None:
            return None
        out = (self.start, self.last_inside)
        self.start = None
        self.last_inside = None
        self.born_inside = self.adopted = False
        return out


class LineCounter:
    __slots__ = ("band", "last_d", "last_point", "last_t", "line", "side")

    def __init__(self, line: Line, band: float):
        self.line = line
        self.band = band
        self.side = 0  # 0 unknown, +1 store side, -1 street side
        self.last_point: Point | None = None
        self.last_t = 0.0
        self.last_d = 0.0

    def observe(self, t: float, p: Point) -> tuple[str, float] | None:
        """Returns ("in"|"out", crossing time) when a counted crossing completes."""
        d = self.line.signed_distance(p)
        new_side = 1 if d >= self.band else (-1 if d <= -self.band else 0)
        if new_side == 0:
            return None
        result = None
        if self.side != 0 and new_side != self.side and self.last_point is not None:
            s = self.line.crossing_param(self.last_point, p)
            if s is not None and -LINE_END_TOLERANCE <= s <= 1 + LINE_END_TOLERANCE:
                frac = self.last_d / (self.last_d - d) if self.last_d != d else 1.0
                tc = self.last_t + frac * (t - self.last_t)
                result = ("in" if new_side > 0 else "out", tc)
        self.side = new_side
        self.last_point = p
        self.last_t = t
        self.last_d = d
        return result


class StaticFilter:
    """Per-camera memory of static spots plus per-track stillness state."""

    def __init__(self, static_seconds: float = 300.0, min_radius: float = 6.0, rel_radius: float = 0.10):
        self.static_seconds = static_seconds
        self.min_radius = min_radius
        self.rel_radius = rel_radius
        self.hotspots: list[tuple[float, float, float]] = []  # x, y, box height

    def radius(self, h: float) -> float:
        return max(self.min_radius, self.rel_radius * h)

    def is_hotspot(self, p: Point, h: float) -> bool:
        """Anchor and box height match a known static object (where no person can stand)."""
        return bool(self.hotspots_at(p, h))

    def hotspots_at(self, p: Point, h: float) -> list[int]:
        """Indices of the known static spots whose anchor and box height match (one object can have several)."""
        return [k for k, (x, y, hh) in enumerate(self.hotspots)
                if 0.8 <= h / max(hh, 1.0) <= 1.25 and math.dist(p, (x, y)) <= max(8.0, 0.12 * hh)]


class StillState:
    """Per-track stillness: reference point, since when, whether it ever moved."""

    __slots__ = ("first", "first_t", "moved", "ref", "since", "spot_added", "static", "suspect")

    def __init__(self, t: float, p: Point, suspect: bool):
        self.ref = p
        self.since = t
        self.first = p
        self.first_t = t
        self.moved = False
        self.static = False
        self.suspect = suspect
        self.spot_added = False

    def observe(self, t: float, p: Point, h: float, filt: StaticFilter) -> str | None:
        """Returns "static" when the track becomes static, "spot" when it reveals a static spot."""
        r = filt.radius(h)
        if math.dist(p, self.ref) > r:
            self.ref = p
            self.since = t
        if not self.moved and math.dist(p, self.first) > 2 * r:
            self.moved = True
        if not self.static and t - self.since >= filt.static_seconds:
            self.static = True
            filt.hotspots.append((p[0], p[1], h))
            return "static"
        if not self.moved and not self.spot_added and t - self.first_t >= SPOT_SECONDS:
            # Never moved for a minute since it appeared: a mannequin/poster. Remember the spot so
            # that an identity swapped onto it later does not collect dwell there.
            self.spot_added = True
            if not filt.is_hotspot(p, h):
                filt.hotspots.append((p[0], p[1], h))
            return "spot"
        return None

    @property
    def held(self) -> bool:
        return not self.moved

    def drop_at_end(self, t_end: float, t_first: float) -> bool:
        """An unmoved track that ends: a static object if it lasted or sat on a static spot."""
        return not self.moved and (self.suspect or t_end - t_first >= UNMOVED_STATIC_S)
