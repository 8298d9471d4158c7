"""Staff exclusion (GUIDE §2 Staff): staff zones mark tracks; customer metrics leave marked tracks out.

A track whose anchor enters a `staff_zones` polygon (entering needs the anchor `margin` px inside, as for
zones) is staff for the rest of the track; a track older than STAFF_LINK_S there is split first (below).
Nothing is held back until that is known: an entrance `in` crossing is emitted at once (live numbers stay
live), and a `staff` event marks the track when it enters the staff zone. Every consumer leaves out all
events of a marked (camera, person_key), those before the mark included: this summary, `customer_summary`
(offline), and the server's aggregation (analytics).

Two `staff` events per staff track, both with deterministic ids (vision.events.event_id):
- the mark, when the anchor enters the staff zone: ts = that moment, enter_ts = the track's first sighting;
- the close, when the track ends: ts = exit_ts = its last sighting, enter_ts = its first sighting,
  dwell_seconds = the time it was present (staff-seconds present). The close carries `exit_ts`; the mark
  does not.

Summary: a live track's events are kept aside until the track ends (it may still turn out to be staff),
then added to the customer summary unless the track was marked; a summary taken mid-run folds the
kept-aside events of unmarked tracks into a copy. Staff figures: tracks marked, their entrance crossings
(in and out) left out, and their seconds present (from the close events).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .events import SummaryAccumulator, at, event_id, iso
from .geometry import Region
from .types import Point

STAFF_CLOSE_KEY = "close"
# A staff zone marks the whole track, its door crossing included, only while the track is young: staff walk from
# the door to the counter or the stock room in seconds. An older track that reaches a staff zone has more often
# lost its customer to a staff member walking past (identities swap where paths cross, at the counter above all)
# than followed a staff member round the shop first: it is split there (EventPipeline._rekey), what it did
# before stays a customer's, and the rest of the track is staff's under a key of its own.
STAFF_LINK_S = 45.0


def staff_event(camera_id: str, start: datetime, t: float, person_key: str, zone_id: str, first_t: float,
                last_t: float | None = None) -> dict[str, Any]:
    """The mark (last_t None) or the close (last_t = the track's last sighting) of a staff track."""
    ts = iso(at(start, t if last_t is None else last_t))
    ev: dict[str, Any] = {
        "event_id": event_id(camera_id, "staff", zone_id if last_t is None else STAFF_CLOSE_KEY, person_key, ts),
        "type": "staff",
        "ts": ts,
        "zone_id": zone_id,
        "person_key": person_key,
        "enter_ts": iso(at(start, first_t)),
    }
    if last_t is not None:
        ev["exit_ts"] = ts
        ev["dwell_seconds"] = round(max(0.0, last_t - first_t), 3)
    return ev


class StaffStage:
    """Per-camera staff marking (called from EventPipeline) and the customer/staff split of its summary."""

    def __init__(self, camera_id: str, start_time: datetime, staff_zones: dict[str, list[Point]], margin: float,
                 split: bool | None = None):
        self.camera_id = camera_id
        self.start_time = start_time
        self.regions = [(zid, Region(pts, margin)) for zid, pts in staff_zones.items()]
        self._first: dict[str, float] = {}  # live person_key -> first sighting
        self._last: dict[str, float] = {}
        self._zone: dict[str, str] = {}  # live staff person_key -> the staff zone that marked it
        self.track_ids: set[int] = set()  # tracker ids marked staff (unique_tracks leaves them out)
        self.staff: set[str] = set()  # person_keys marked (from the events emitted)
        self._pending: dict[str, list[dict]] = {}  # live person_key -> events not yet in the summary
        self._ended: list[str] = []
        self._queued: list[dict] = []  # marks made outside update() (the uniform stage), accounted at the next emit
        self.tracks = 0
        self.crossings = 0
        self.seconds = 0.0
        # Split the summary into customers and staff: by default only where staff zones exist (the summary of
        # a camera without them keeps the GUIDE §3 shape).
        self.enabled = bool(self.regions) if split is None else split

    def observe(self, pk: str, track_id: int, t: float, p: Point, events: list[dict]) -> None:
        """One observation of a track; appends the mark to `events` when the track enters a staff zone."""
        if not self.regions:
            return
        first = self._first.setdefault(pk, t)
        self._last[pk] = t
        if pk in self._zone:
            return
        zid = self.zone_at(p)
        if zid is not None:
            self._zone[pk] = zid
            self.track_ids.add(track_id)
            events.append(staff_event(self.camera_id, self.start_time, t, pk, zid, first))

    def zone_at(self, p: Point) -> str | None:
        """The staff zone an anchor at `p` is in, if any."""
        return next((zid for zid, region in self.regions if region.member(p, False)), None)

    def splits(self, pk: str, t: float, p: Point | None = None) -> bool:
        """An unmarked track older than STAFF_LINK_S, entering a staff zone now (anchor `p`) or marked by its
        uniform (`p` None): it is split before the mark (EventPipeline._rekey)."""
        first = self._first.get(pk)
        if first is None or pk in self._zone or t - first <= STAFF_LINK_S:
            return False
        return p is None or self.zone_at(p) is not None

    def begin(self, pk: str, t: float) -> None:
        """A live track's new key (EventPipeline._rekey), first seen now."""
        self._first.setdefault(pk, t)
        self._last[pk] = t

    def marked_by(self, pk: str) -> str | None:
        """The zone that marked a live track ("uniform" for the uniform model), None if it is not staff."""
        return self._zone.get(pk)

    def mark(self, pk: str, track_id: int, t: float, zone_id: str) -> dict | None:
        """Mark a live track as staff from outside the zone engine (vision/uniform.py); returns the event to emit,
        None when it is marked already or not live."""
        if not self.enabled or pk in self._zone or pk not in self._first:
            return None
        self._zone[pk] = zone_id
        self.track_ids.add(track_id)
        ev = staff_event(self.camera_id, self.start_time, t, pk, zone_id, self._first[pk])
        self._queued.append(ev)
        return ev

    def renamed(self, old: str, new: str) -> None:
        """A live customer track's events carry another person_key from now on (it continues a dropped track,
        pipeline._continues): its sightings and kept-aside events move to that key."""
        for d in (self._first, self._last, self._pending):
            if old in d:
                d[new] = d.pop(old)

    def ended(self, pk: str, out: list[dict]) -> None:
        """The track ended: a staff track gets its close event; its kept-aside events are settled at the next emit."""
        if not self.enabled:
            return
        first = self._first.pop(pk, None)
        last = self._last.pop(pk, None)
        zid = self._zone.pop(pk, None)
        if zid is not None and first is not None and last is not None:
            out.append(staff_event(self.camera_id, self.start_time, first, pk, zid, first, last))
        self._ended.append(pk)

    def account(self, events: list[dict], acc: SummaryAccumulator) -> None:
        """Route emitted events into the customer summary `acc`, the staff figures, or aside (live tracks)."""
        if not self.enabled:
            for ev in events:
                acc.add(ev)
            return
        for ev in self._queued:
            self._mark(ev)
        self._queued.clear()
        for ev in events:
            if ev.get("type") == "staff":
                self._mark(ev)
        for ev in events:
            if ev.get("type") == "staff":
                continue
            pk = ev.get("person_key")
            if pk in self.staff:
                self._count_staff(ev)
            elif pk in self._first:
                self._pending.setdefault(pk, []).append(ev)
            else:
                acc.add(ev)
        for pk in self._ended:
            kept = self._pending.pop(pk, [])
            if pk not in self.staff:
                for ev in kept:
                    acc.add(ev)
        self._ended.clear()

    def summary(self, acc: SummaryAccumulator, unique_tracks: int | None = None) -> dict[str, Any]:
        if not self.enabled:
            return acc.result(unique_tracks=unique_tracks)
        if self._pending:
            acc = copy.deepcopy(acc)
            for kept in self._pending.values():
                for ev in kept:
                    acc.add(ev)
        out = acc.result(unique_tracks=unique_tracks)
        out["staff"] = self.figures()
        return out

    def figures(self) -> dict[str, Any]:
        return {"tracks": self.tracks, "crossings": self.crossings, "seconds": round(self.seconds, 2)}

    def _mark(self, ev: dict) -> None:
        pk = ev.get("person_key")
        if pk is None:
            return
        if pk not in self.staff:
            self.staff.add(pk)
            self.tracks += 1
            for kept in self._pending.pop(pk, []):
                self._count_staff(kept)
        if ev.get("exit_ts") is not None:
            self.seconds += float(ev.get("dwell_seconds") or 0.0)

    def _count_staff(self, ev: dict) -> None:
        if ev.get("type") == "entrance":
            self.crossings += 1


def customer_summary(events: Iterable[dict[str, Any]], config: Any = None) -> dict[str, Any]:
    """GUIDE §3 summary of a finished event list with staff tracks left out, plus the `staff` figures."""
    events = list(events)
    stage = StaffStage("", datetime(2000, 1, 1, tzinfo=UTC), {}, 0.0, split=True)
    acc = SummaryAccumulator(*(() if config is None else (config.zones, config.shelves, config.queues)))
    stage.account(events, acc)
    return stage.summary(acc)
