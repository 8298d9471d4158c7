"""Detections in, retail events out: tracker → zone engine → event builder.

    pipe = EventPipeline(config, start_time=datetime(...), frame_size=(1280, 720))
    for t, dets in stream:            # t = seconds since start_time
        events += pipe.update(t, dets)
    events += pipe.finish()
    pipe.summary()

All geometry is scaled from screenshot to frame pixels once, here. The anchor of a person is taken
from the Kalman-filtered box (less jitter than the raw detection). Only observations (a detection
matched to a confirmed track; the detections that confirmed it are replayed on confirmation) feed
the zone engine; a lost track simply has no observations. Rules for stays, the stay hand-over of a
track dropped inside a region, line crossings and static objects: see zones.py; event conventions
(ids, timestamps, entry-zone footfall): see events.py.

Events come out when they are complete: an entrance event at the crossing, a stay event when the
person has left the region for 1 s (or when their track is dropped and nobody takes the stay over
within 10 s), so `update()` may return events about earlier moments.

Queues are first in, first out (`_first_in_line`): a queue event's enter_ts is the earliest entry among the
people still in the line when someone leaves it, so an identity passed from one person to the next inside a
dense line does not make one wait too long and the next too short (the max_wait error of identity swaps).

Identity changes in a queue lane (an elongated queue polygon) are not people joining or leaving: a stay that
ends with the anchor last inside the middle of the lane (away from its head and tail, LANE_END_SHARE) is passed
on like the stay of a dropped track (`_pass_on`), and a stay that begins by a jump (the anchor moved further and
faster than a person walks) may take such a stay over, like a track born inside.

A track that takes over the stay of a dropped track is the same person: its events carry that track's
person_key from then on (`_continues`), so unique visitors count them once.

`summary()["queues"][q]["flow_wait"]` (Little's law, see events.py): at every update the people in each
queue are counted (not static, anchor inside the queue polygon at their latest observation, seen within
the last OCCUPANCY_COAST_S, so a brief miss does not empty the queue) and the count x the seconds since
the previous update is summed; the seconds a person spent inside before their track was confirmed are
added at confirmation. No identities are involved, so the figure holds when they swap.

`summary()["unique_tracks"]` counts tracks that are persons: confirmed, not static, followed for at
least 1 s with 3 or more detections (a flicker is not a visitor), and not the continuation of a
dropped track (a track that took over a stay in the hand-over is the same person again).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .config import CameraConfig
from .events import SummaryAccumulator, at, entrance_event, iso, stay_event
from .geometry import LaneAxis, Line, Region
from .staff import StaffStage
from .tracker import Tracker
from .types import Box, Detection, Point, TrackState, anchor_of
from .zones import UNMOVED_STATIC_S, LineCounter, StaticFilter, StayMachine, StillState

FOOTFALL_WINDOW_S = 3600.0
ABSENCE_S = 1.0
ADOPT_SECONDS = 10.0
# Queue lanes (elongated queue polygons: length >= LANE_MIN_ASPECT x width). People leave a line at its head
# (served) or its tail (gave up): within LANE_END_SHARE of the lane's length from either end.
LANE_MIN_ASPECT = 1.5
LANE_END_SHARE = 0.2
# A track whose anchor moves more than JUMP_HEIGHTS person-heights in one step, faster than JUMP_SPEED heights
# per second (a brisk walk is ~0.7), changed person: it did not walk there.
JUMP_HEIGHTS = 0.3
JUMP_SPEED = 1.2
OCCUPANCY_COAST_S = 2.0


class _Orphan:
    """An open stay of a track the tracker dropped, waiting for a track born inside to take it."""

    __slots__ = ("end", "expires", "key", "live", "pk", "start")

    def __init__(self, key: tuple[str, str], pk: str, start: float, end: float, expires: float, live: bool = False):
        self.key, self.pk, self.start, self.end, self.expires = key, pk, start, end, expires
        self.live = live  # its track lives on (on someone else): whoever takes the stay keeps their own key


class _Person:
    __slots__ = (
        "alias", "continued", "first_t", "held", "last_footfall", "last_inside", "last_t", "line", "n_obs", "previous",
        "rekeys", "state", "stays", "still",
    )

    def __init__(self, state: TrackState):
        self.state = state
        self.stays: dict[tuple[str, str], StayMachine] = {}
        self.line: LineCounter | None = None
        self.still: StillState | None = None
        self.held: list[dict] = []
        self.last_footfall: float | None = None
        self.n_obs = 0
        self.first_t = 0.0
        self.last_t = 0.0
        self.continued = False  # took over the stay of a dropped track: the same person, not a new one
        self.last_inside: dict[tuple[str, str], Point] = {}  # per queue: the anchor's latest point inside
        self.previous: tuple[float, Point, float] | None = None  # (t, anchor, box height) of the last observation
        self.alias: str | None = None  # that dropped track's person_key, which this track's events carry on
        self.rekeys = 0  # times the track went on as another person (EventPipeline._rekey)


class EventPipeline:
    def __init__(
        self,
        config: CameraConfig,
        start_time: datetime,
        frame_size: tuple[int, int] | None = None,
        tracker: Tracker | None = None,
        person_key_prefix: str = "",
    ):
        # person_key = prefix + "t<track id>"; a prefix (e.g. a run or session id) keeps keys
        # distinct across pipeline restarts, whose track ids start again at 1.
        self.person_key_prefix = person_key_prefix
        self.raw_config = config
        self.config = config.scaled_to(frame_size)
        cfg = self.config
        self.frame_size = cfg.frame_size
        if start_time.tzinfo is None:
            start_time = start_time.replace(tzinfo=UTC)
        self.start_time = start_time
        self.tracker = tracker or Tracker(frame_size=self.frame_size)
        if self.tracker.frame_size is None:
            self.tracker.frame_size = self.frame_size
        if cfg.queues and hasattr(self.tracker, "set_queues"):  # queue-order association (tracker.py)
            self.tracker.set_queues(list(cfg.queues.values()))
        diag = math.hypot(*self.frame_size) if self.frame_size else 1468.6
        # Hysteresis margins scale with the image: ~7 px at 1280x720.
        self.margin = max(2.0, 0.005 * diag)
        self.band = max(3.0, 0.005 * diag)
        self.regions: list[tuple[str, str, Region]] = []
        for kind, polys in (("zone", cfg.zones), ("shelf", cfg.shelves), ("queue", cfg.queues)):
            for rid, pts in polys.items():
                self.regions.append((kind, rid, Region(pts, self.margin)))
        self.line = Line(cfg.entrance_line[0], cfg.entrance_line[1], cfg.inside_point) if cfg.entrance_line else None
        # Staff zones mark tracks as staff; the summary leaves their events out (see staff.py).
        self.staff = StaffStage(cfg.camera_id, self.start_time, cfg.staff_zones, self.margin)
        self.static = StaticFilter(cfg.static_seconds)
        self._people: dict[int, _Person] = {}
        self._acc = SummaryAccumulator(cfg.zones, cfg.shelves, cfg.queues)
        self._persons_counted: set[int] = set()
        self._split: set[int] = set()  # tracks a customer's for part of their life (_rekey)
        self._orphans: list[_Orphan] = []
        self._claimed: dict[int, int] = {}  # hotspot index -> the unmoved track seen on it now (_masked)
        self._lanes = {rid: axis for rid, pts in cfg.queues.items()
                       if (axis := LaneAxis(pts)).length >= LANE_MIN_ASPECT * axis.width}
        self._t = 0.0
        self._t_prev: float | None = None
        self._queue_keys = [("queue", rid) for kind, rid, _ in self.regions if kind == "queue"]
        if self._queue_keys:
            for _, rid in self._queue_keys:
                self._acc.add_queue_occupancy(rid, 0.0)

    # -- public API -------------------------------------------------------------------------

    @property
    def tracks(self) -> list[TrackState]:
        """Confirmed tracks now (including lost ones kept for re-association)."""
        return self.tracker.tracks

    def update(self, t: float, detections: Sequence[Detection]) -> list[dict]:
        self._t = float(t)
        out: list[dict] = []
        self.tracker.update(t, detections)
        self._claimed = self._claimed_hotspots()
        for st in self.tracker.tracks:
            if not st.matched:
                continue
            person = self._people.get(st.track_id)
            if person is None:
                person = self._people[st.track_id] = _Person(st)
                obs = st.pre_confirm or [(t, st.box)]
                st.pre_confirm = []
                for ot, ob in obs:
                    self._observe(person, ot, ob, out)
                self._backfill_occupancy(person)
            else:
                self._observe(person, t, st.box, out)
        for st in self.tracker.removed:
            person = self._people.pop(st.track_id, None)
            if person is not None:
                self._end(person, out)
        self._count_queues()
        if self._orphans:
            keep = []
            for o in self._orphans:
                if o.expires <= self._t:
                    ev = self._stay_event(o.key[0], o.key[1], o.pk, (o.start, o.end))
                    if ev is not None:
                        out.append(ev)
                else:
                    keep.append(o)
            self._orphans = keep
        return self._emit(out)

    def finish(self) -> list[dict]:
        out: list[dict] = []
        for person in list(self._people.values()):
            self._end(person, out, final=True)
        self._people.clear()
        for o in self._orphans:
            ev = self._stay_event(o.key[0], o.key[1], o.pk, (o.start, o.end))
            if ev is not None:
                out.append(ev)
        self._orphans = []
        return self._emit(out)

    def live_state(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {"zone": {}, "shelf": {}, "queue": {}}
        for kind, rid, _ in self.regions:
            counts[kind][rid] = 0
        people = 0
        for person in self._people.values():
            if not self._is_person_now(person):
                continue
            people += 1
            for (kind, rid), sm in person.stays.items():
                if sm.inside:
                    counts[kind][rid] += 1
        return {
            "ts": iso(at(self.start_time, self._t)),
            "people": people,
            "zones": counts["zone"],
            "shelves": counts["shelf"],
            "queues": counts["queue"],
        }

    def summary(self) -> dict[str, Any]:
        staff = self.staff.track_ids - self._split
        n = len(self._persons_counted - staff)
        for person in self._people.values():
            tid = person.state.track_id
            if tid not in self._persons_counted and tid not in staff and self._is_visitor(person):
                n += 1
        return self.staff.summary(self._acc, unique_tracks=n)

    # -- internals --------------------------------------------------------------------------

    def _emit(self, events: list[dict]) -> list[dict]:
        self.staff.account(events, self._acc)
        return events

    def _in_queue(self, person: _Person, key: tuple[str, str]) -> bool:
        sm = person.stays.get(key)
        still = person.still
        return (sm is not None and sm.inside and still is not None and not still.static and not still.suspect
                and self._t - person.state.last_seen <= OCCUPANCY_COAST_S)

    def _count_queues(self) -> None:
        """Little's law: people in each queue now x the seconds since the previous update."""
        if self._queue_keys and self._t_prev is not None and self._t > self._t_prev:
            dt = self._t - self._t_prev
            for key in self._queue_keys:
                n = sum(1 for person in self._people.values() if self._in_queue(person, key))
                if n:
                    self._acc.add_queue_occupancy(key[1], n * dt)
        self._t_prev = self._t

    def _backfill_occupancy(self, person: _Person) -> None:
        """A newly confirmed person already inside a queue: add the time before confirmation."""
        if self._t_prev is None:
            return
        for key in self._queue_keys:
            sm = person.stays.get(key)
            if sm is not None and sm.open and self._in_queue(person, key) and sm.start < self._t_prev:
                self._acc.add_queue_occupancy(key[1], self._t_prev - sm.start)

    def _is_person_now(self, person: _Person) -> bool:
        still = person.still
        if still is not None and (
            still.static or (still.held and (still.suspect or person.last_t - person.first_t >= UNMOVED_STATIC_S))
        ):
            return False
        return self._t - person.state.last_seen <= 1.0

    def _is_visitor(self, person: _Person, at_end: bool = False) -> bool:
        still = person.still
        if still is not None and (still.static or (still.held and not at_end)):
            return False
        return not person.continued and person.n_obs >= 3 and person.last_t - person.first_t >= 1.0

    def _observe(self, person: _Person, t: float, box: Box, out: list[dict]) -> None:
        cfg = self.config
        p = anchor_of(box, cfg.anchor)
        h = box[3] - box[1]
        if person.still is None:
            person.still = StillState(t, p, suspect=self.static.is_hotspot(p, h))
            person.first_t = t
        person.n_obs += 1
        person.last_t = t
        still = person.still
        if still.static:
            return
        change = still.observe(t, p, h, self.static)
        if change is not None:
            # A static object: forget everything it would have reported so far.
            person.stays.clear()
            person.held.clear()
            person.line = None
            if change == "static":
                return
        masked = self._masked(person, p, h)
        was_held = still.held
        pk = self._pk(person)
        events: list[dict] = []
        if self.staff.splits(pk, t, p):
            pk = self._rekey(person, pk, t, events)
        self.staff.observe(pk, person.state.track_id, t, p, events)
        if self.line is not None and not masked:
            if person.line is None:
                person.line = LineCounter(self.line, self.band)
            crossing = person.line.observe(t, p)
            if crossing is not None:
                events.append(entrance_event(cfg.camera_id, self.start_time, crossing[1], crossing[0], pk))
        for kind, rid, region in self.regions:
            sm = person.stays.get((kind, rid))
            if sm is None:
                sm = person.stays[(kind, rid)] = StayMachine(ABSENCE_S)
            member = (not masked) and region.member(p, sm.inside)
            closed, opened = sm.observe(t, member)
            if member and rid in self._lanes and kind == "queue":
                person.last_inside[(kind, rid)] = p
            if closed is not None:
                if kind == "queue" and not still.held and self._left_mid_lane(rid, person.last_inside.get((kind, rid))):
                    orphan = self._pass_on((kind, rid), closed, pk, live=True)
                    if orphan is not None:
                        self._orphans.append(orphan)
                else:
                    ev = self._stay_event(kind, rid, pk, closed)
                    if ev is not None:
                        events.append(ev)
            if opened and kind == "queue" and rid in self._lanes and self._jumped(person, t, p, h):
                # An identity that jumped onto someone in the line: continue the stay that lost them.
                sm.born_inside = True
                opened = not self._adopt_orphan((kind, rid), sm, person)
            if opened and t == person.first_t:
                sm.born_inside = True
                opened = not self._adopt_orphan((kind, rid), sm, person)
            if opened and kind == "zone" and self.line is None and cfg.zone_type(rid) == "entry":
                if person.last_footfall is None or t - person.last_footfall >= FOOTFALL_WINDOW_S:
                    person.last_footfall = t
                    events.append(
                        entrance_event(cfg.camera_id, self.start_time, t, "in", pk, source="entry_zone", zone_id=rid)
                    )
        person.previous = (t, p, h)
        if still.held:
            person.held.extend(events)
        else:
            if was_held or person.held:
                out.extend(person.held)
                person.held.clear()
            out.extend(events)

    def _left_mid_lane(self, rid: str, p: Point | None) -> bool:
        """The queue stay ended with the anchor last inside the middle of a lane, away from its head and tail,
        where nobody leaves a line: the identity left the person, who stays in the line under another."""
        axis = self._lanes.get(rid)
        if axis is None or p is None:
            return False
        a0, a1 = axis.extent
        end = LANE_END_SHARE * (a1 - a0)
        return a0 + end < axis.along(*p) < a1 - end

    @staticmethod
    def _jumped(person: _Person, t: float, p: Point, h: float) -> bool:
        """The anchor moved further and faster since the last observation than a person walks."""
        if person.previous is None:
            return False
        t0, p0, _ = person.previous
        step = math.dist(p, p0) / max(h, 1.0)
        return step > JUMP_HEIGHTS and step / max(t - t0, 1e-3) > JUMP_SPEED

    def _claimed_hotspots(self) -> dict[int, int]:
        """Known static spots whose object is seen there now: hotspot index -> the static or unmoved track on it."""
        claimed: dict[int, int] = {}
        if not self.static.hotspots:
            return claimed
        for st in self.tracker.tracks:
            person = self._people.get(st.track_id)
            still = person.still if person is not None else None
            if not st.matched or still is None or (still.moved and not still.static):
                continue
            for k in self.static.hotspots_at(anchor_of(st.box, self.config.anchor), st.box[3] - st.box[1]):
                claimed[k] = st.track_id
        return claimed

    def _masked(self, person: _Person, p: Point, h: float) -> bool:
        """The anchor sits on a known static object (mannequin, poster): its observations count for nothing
        there, so an identity swapped onto the object collects no dwell. Not while that object is seen on
        the spot under another track at the same time: then this is a person standing beside it."""
        if not self.static.hotspots:
            return False
        spots = self.static.hotspots_at(p, h)
        return bool(spots) and all(self._claimed.get(k, person.state.track_id) == person.state.track_id
                                   for k in spots)

    def _stay_event(self, kind: str, rid: str, pk: str, stay: tuple[float, float]) -> dict | None:
        start, end = stay
        if end - start < self.config.min_dwell_seconds:
            return None
        if kind == "queue":
            start = self._first_in_line(rid, start, end)
        ztype = self.config.zone_type(rid) if kind == "zone" else None
        return stay_event(self.config.camera_id, self.start_time, kind, rid, pk, start, end, ztype)

    def _first_in_line(self, rid: str, start: float, end: float) -> float:
        """The entry time of the person leaving a queue now: nobody overtakes in a line, so whoever leaves
        joined first. When a stay that is still open (its person seen in the line now or later) began before the
        closing one, the two swap entry times: an identity that passed from one person to the next inside the
        line would otherwise give one too-long wait and one too-short one. Counts and the sum of waits (so
        avg_wait) are unchanged; max_wait and each event's wait_seconds follow the order of the line."""
        first = None
        for other, sm in self._open_stays(("queue", rid)):
            if sm.start >= start or sm.last_inside < end or other.still is None or other.still.held:
                continue
            if other.state.track_id in self.staff.track_ids:
                continue
            if first is None or sm.start < first.start:
                first = sm
        if first is None:
            return start
        first.start, start = start, first.start
        return start

    def person_key_of(self, state: TrackState) -> str:
        """The person_key a live track's events carry (its own, or the dropped track's it continues)."""
        person = self._people.get(state.track_id)
        return self._pk(person) if person is not None else self.person_key_prefix + state.person_key

    def _pk(self, person: _Person) -> str:
        """The person_key of a person's events: its own, or that of the dropped track it continues."""
        return person.alias or self.person_key_prefix + person.state.person_key

    def mark_staff(self, state: TrackState, t: float, zone_id: str) -> list[dict]:
        """A staff mark from outside the zone engine (vision/uniform.py), an old track split first as at a staff
        zone. Returns the events to emit, already accounted: the old key's closed stays, then the mark."""
        person = self._people.get(state.track_id)
        if person is None:
            return []
        pk = self._pk(person)
        events: list[dict] = []
        if self.staff.splits(pk, t):
            pk = self._rekey(person, pk, t, events)
        mark = self.staff.mark(pk, state.track_id, t, zone_id)
        self._emit(events)
        return events + ([mark] if mark is not None else [])

    def in_staff_zone(self, state: TrackState) -> bool:
        """The track's anchor is in a staff zone now."""
        return self.staff.zone_at(anchor_of(state.box, self.config.anchor)) is not None

    def unmark_staff(self, state: TrackState, t: float) -> list[dict]:
        """A staff track that no longer looks like the uniform (vision/uniform.py): someone else from now, under
        a key of its own, a customer's unless marked again. Returns the events to emit, already accounted: the
        staff key's closed stays and its close."""
        person = self._people.get(state.track_id)
        if person is None or self.staff.marked_by(pk := self._pk(person)) is None:
            return []
        events: list[dict] = []
        self._rekey(person, pk, t, events)
        self._emit(events)
        return events

    def _rekey(self, person: _Person, pk: str, t: float, events: list[dict]) -> str:
        """The track goes on as another person from `t` (an old track marked staff, staff.STAFF_LINK_S, or a staff
        track unlike its uniform): its open stays end as `pk`'s, and its events carry a key of their own from now
        on. Returns that key."""
        for (kind, rid), sm in person.stays.items():
            stay = sm.close()
            if stay is not None and (ev := self._stay_event(kind, rid, pk, stay)) is not None:
                events.append(ev)
        self.staff.ended(pk, events)  # a staff mark closes; the kept-aside events of a customer count
        self._split.add(person.state.track_id)
        person.rekeys += 1
        person.alias = f"{self.person_key_prefix}{person.state.person_key}-{person.rekeys}"
        self.staff.begin(person.alias, t)
        return person.alias

    def _continues(self, person: _Person, pk: str, live: bool = False) -> None:
        """`person` took over a stay of the dropped track `pk`: the same person, not a new visitor. Its events
        from now on carry that person_key, so a zone's unique visitors count them once (not for a track marked
        staff already: its mark names its own key; nor when the track `pk` lives on, on someone else)."""
        own = self._pk(person)
        if own == pk:  # a track back on the stay it had left: nothing to continue
            return
        person.continued = True
        if not live and person.alias is None and self.staff.marked_by(own) is None:
            person.alias = pk
            self.staff.renamed(own, pk)

    def _pass_on(self, key: tuple[str, str], stay: tuple[float, float], pk: str,
                 live: bool = False) -> _Orphan | None:
        """A stay whose person the track lost: hand it to a track born inside the region since, or return it as
        an orphan to keep ADOPT_SECONDS for one (then it is reported as it is). `live`: the track goes on
        elsewhere."""
        if self._hand_over(key, stay, pk, live):
            return None
        return _Orphan(key, pk, stay[0], stay[1], self._t + ADOPT_SECONDS, live)

    def _adopt_orphan(self, key: tuple[str, str], sm: StayMachine, person: _Person) -> bool:
        """A stay opened by a track born inside: continue a waiting orphan stay of this region."""
        best = None
        for o in self._orphans:
            if o.key == key and (best is None or o.start < best.start):
                best = o
        if best is None:
            return False
        self._orphans.remove(best)
        sm.start = min(best.start, sm.start)
        sm.adopted = True
        self._continues(person, best.pk, best.live)
        return True

    def _open_stays(self, key: tuple[str, str]):
        """(person, stay machine) of every live person with an open stay in the region, static objects left out."""
        for person in self._people.values():
            sm = person.stays.get(key)
            if sm is not None and sm.open and not (person.still is not None and person.still.static):
                yield person, sm

    def _hand_over(self, key: tuple[str, str], stay: tuple[float, float], pk: str, live: bool = False) -> bool:
        """The stay of a dropped track: give it to a track born inside this region since."""
        best = best_person = None
        for other, sm in self._open_stays(key):
            if not sm.born_inside or sm.adopted:
                continue
            if best is None or sm.start < best.start:
                best, best_person = sm, other
        if best is None:
            return False
        best.start = stay[0]
        best.adopted = True
        self._continues(best_person, pk, live)
        return True

    def _end(self, person: _Person, out: list[dict], final: bool = False) -> None:
        self.staff.ended(self._pk(person), out)
        still = person.still
        if still is None or still.static:
            return
        events = list(person.held)
        pk = self._pk(person)
        orphans: list[_Orphan] = []
        for (kind, rid), sm in person.stays.items():
            stay = sm.close()
            if stay is None:
                continue
            if not final:
                # Dropped while inside: hand the stay over rather than count the person twice.
                orphan = self._pass_on((kind, rid), stay, pk)
                if orphan is not None:
                    orphans.append(orphan)
                continue
            ev = self._stay_event(kind, rid, pk, stay)
            if ev is not None:
                events.append(ev)
        if still.drop_at_end(person.last_t, person.first_t):
            if not still.suspect:
                self.static.hotspots.append((*still.first, person.state.box[3] - person.state.box[1]))
            return
        self._orphans.extend(orphans)
        if self._is_visitor(person, at_end=True):
            self._persons_counted.add(person.state.track_id)
        out.extend(events)


def run_pipeline(config: CameraConfig, frames, start_time: datetime, frame_size=None, tracker=None):
    """Convenience: run over an iterable of (t, detections); returns (events, pipeline)."""
    pipe = EventPipeline(config, start_time, frame_size=frame_size, tracker=tracker)
    events: list[dict] = []
    for t, dets in frames:
        events.extend(pipe.update(t, dets))
    events.extend(pipe.finish())
    return events, pipe
