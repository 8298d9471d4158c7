"""Writes of the audits app: schedule a window, record the auditor's result, delete evidence.

Every bad input is an AuditInputError naming its field (the views turn it into a 400).
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits import evidence
from audits.models import Audit
from cameras.models import Camera
from events.models import EntranceEvent
from events.timebounds import TimeBoundError, parse_instant
from zones.models import EntranceLine, Zone

MAX_WINDOW = dt.timedelta(minutes=60)
MAX_AHEAD = dt.timedelta(days=7)
MATCH_SECONDS = 2.0  # a human mark and a system crossing of the same direction this close are the same crossing
MAX_MARKS = 5000
MAX_COUNTS = 2000
MAX_TOTAL = 100_000


class AuditInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def retention_days() -> int:
    return int(getattr(settings, "AUDIT_RETENTION_DAYS", 14))


def _instant(value, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        return parse_instant(value, field)
    except TimeBoundError as error:
        raise AuditInputError(field, error.message) from None


def audit_create(*, camera: Camera, kind: str, start=None, end=None, minutes=None, user=None,
                 upload_requested: bool = False, now: dt.datetime | None = None) -> Audit:
    """Schedule a window (past windows too: their system side comes from the stored events).
    ``minutes`` without ``start``: the next N minutes."""
    now = now or timezone.now()
    if kind not in Audit.Kind.values:
        raise AuditInputError("kind", f"expected one of {list(Audit.Kind.values)}")
    if minutes is not None:
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 60:
            raise AuditInputError("minutes", "expected a number of minutes in (0, 60]")
    if start is None and minutes is None:
        raise AuditInputError("start", "this field is required (or give minutes for a window starting now)")
    start = _instant(start, "start") if start is not None else now
    if end is None:
        if minutes is None:
            raise AuditInputError("end", "this field is required")
        end = start + dt.timedelta(minutes=minutes)
    else:
        end = _instant(end, "end")
    if end <= start:
        raise AuditInputError("end", "must be after start")
    if end - start > MAX_WINDOW:
        raise AuditInputError("end", "a window may last at most 60 minutes")
    if start > now + MAX_AHEAD:
        raise AuditInputError("start", "at most 7 days in the future")
    if start.year < 2000:
        raise AuditInputError("start", "before 2000-01-01")
    if kind == Audit.Kind.ENTRANCE and not EntranceLine.objects.filter(camera=camera).exists():
        raise AuditInputError("kind", f"camera {camera.camera_id!r} has no entrance line to audit")
    if kind == Audit.Kind.OCCUPANCY and not Zone.objects.filter(camera=camera).exists():
        raise AuditInputError("kind", f"camera {camera.camera_id!r} has no zones to audit")
    with transaction.atomic():
        Camera.objects.select_for_update().filter(pk=camera.pk).first()  # one schedule change per camera at a time
        overlapping = Audit.objects.filter(camera=camera, start__lt=end, end__gt=start).exclude(
            status=Audit.Status.DONE).first()
        if overlapping is not None:
            raise AuditInputError("start", f"overlaps audit {overlapping.pk} of this camera "
                                           f"({overlapping.start:%Y-%m-%d %H:%M}–{overlapping.end:%H:%M} UTC)")
        return Audit.objects.create(camera=camera, kind=kind, start=start, end=end, created_by=user,
                                    upload_requested=bool(upload_requested))


def audit_upload_request(audit: Audit) -> Audit:
    """Ask the camera's edge collector to upload this window's evidence (edge/audit.py polls for it)."""
    if audit.status != Audit.Status.DONE and not audit.upload_requested:
        audit.upload_requested = True
        audit.save(update_fields=["upload_requested"])
    return audit


# ------------------------------------------------------------------------------------------- the result


def accuracy(system: int | None, human: int | None) -> float | None:
    """GUIDE §2: 1 − |system − human| ÷ human; undefined (None) when the human counted nothing."""
    if system is None or not human:
        return None
    return round(1 - abs(system - human) / human, 4)


def system_crossings(audit: Audit) -> list[dict]:
    """The system's crossings of the window from the stored events (central or edge), oldest first."""
    rows = EntranceEvent.objects.filter(camera=audit.camera, ts__gte=audit.start, ts__lt=audit.end).order_by("ts")
    return [{"t": round((row.ts - audit.start).total_seconds(), 3), "direction": row.direction, "ts": row.ts}
            for row in rows.only("ts", "direction")]


def match_crossings(human: list[dict], system: list[dict], window: float = MATCH_SECONDS) -> list[tuple[int, int]]:
    """Pairs (human index, system index) of the same direction within ±window s, closest first (greedy on the
    sorted gaps: each mark and each crossing is used at most once)."""
    candidates = []
    for i, mark in enumerate(human):
        for j, crossing in enumerate(system):
            gap = abs(mark["t"] - crossing["t"])
            if mark["direction"] == crossing["direction"] and gap <= window:
                candidates.append((gap, i, j))
    used_h, used_s, pairs = set(), set(), []
    for _gap, i, j in sorted(candidates):
        if i not in used_h and j not in used_s:
            used_h.add(i)
            used_s.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def _count(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOTAL:
        raise AuditInputError(field, f"expected a whole number from 0 to {MAX_TOTAL}")
    return value


def _mark_time(audit: Audit, value, field: str) -> float:
    """A mark's time: seconds since the window start (a number) or an ISO 8601 instant."""
    if isinstance(value, bool):
        raise AuditInputError(field, "expected seconds since the window start or an ISO 8601 timestamp")
    if isinstance(value, (int, float)):
        t = float(value)
    else:
        t = (_instant(value, field) - audit.start).total_seconds()
    duration = (audit.end - audit.start).total_seconds()
    if not math.isfinite(t) or not -MATCH_SECONDS <= t <= duration + MATCH_SECONDS:
        raise AuditInputError(field, f"outside the window (0 to {duration:.0f} s)")
    return t


def _entrance_result(audit: Audit, data: dict) -> tuple[dict, dict]:
    marks_raw = data.get("marks")
    marks: list[dict] | None = None
    if marks_raw is not None:
        if not isinstance(marks_raw, list) or len(marks_raw) > MAX_MARKS:
            raise AuditInputError("marks", f"expected a list of at most {MAX_MARKS} marks")
        marks = []
        for k, mark in enumerate(marks_raw):
            if not isinstance(mark, dict):
                raise AuditInputError(f"marks[{k}]", "expected {\"t\", \"direction\"}")
            if mark.get("direction") not in ("in", "out"):
                raise AuditInputError(f"marks[{k}].direction", "expected \"in\" or \"out\"")
            marks.append({"t": _mark_time(audit, mark.get("t"), f"marks[{k}].t"), "direction": mark["direction"]})
    if marks is None and ("in" not in data or "out" not in data):
        raise AuditInputError("in" if "in" not in data else "out", "this field is required (or send marks)")
    human_in = _count(data["in"], "in") if "in" in data else sum(m["direction"] == "in" for m in marks)
    human_out = _count(data["out"], "out") if "out" in data else sum(m["direction"] == "out" for m in marks)
    system = system_crossings(audit)
    system_in = sum(c["direction"] == "in" for c in system)
    system_out = len(system) - system_in
    result = {
        "kind": audit.kind,
        "system": {"in": system_in, "out": system_out},
        "human": {"in": human_in, "out": human_out},
        "accuracy": {"in": accuracy(system_in, human_in), "out": accuracy(system_out, human_out)},
    }
    if marks is not None:
        pairs = match_crossings(marks, system)
        matched = len(pairs)
        result["matching"] = {
            "window_seconds": MATCH_SECONDS,
            "matched": matched,
            "missed": len(marks) - matched,  # marked by the auditor, not counted by the system
            "false": len(system) - matched,  # counted by the system, not marked
            "recall": round(matched / len(marks), 4) if marks else None,
            "precision": round(matched / len(system), 4) if system else None,
        }
    fields = {"system_in": system_in, "system_out": system_out, "human_in": human_in, "human_out": human_out}
    return result, fields


def _occupancy_result(audit: Audit, data: dict) -> tuple[dict, dict]:
    counts = data.get("counts")
    if not isinstance(counts, list) or not counts or len(counts) > MAX_COUNTS:
        raise AuditInputError("counts", f"expected a non-empty list of at most {MAX_COUNTS} counts")
    frames = [(_frame_offset(audit, r), r) for r in evidence.evidence_index(audit.pk)]
    if not frames:
        raise AuditInputError("counts", "this window has no evidence frames to compare with")
    zones = set(Zone.objects.filter(camera=audit.camera).values_list("zone_id", flat=True))
    pairs, per_zone = [], {}
    for k, item in enumerate(counts):
        if not isinstance(item, dict):
            raise AuditInputError(f"counts[{k}]", "expected {\"t\", \"zone_id\", \"people\"}")
        t = _mark_time(audit, item.get("t"), f"counts[{k}].t")
        zone_id = item.get("zone_id")
        if zone_id not in zones:
            raise AuditInputError(f"counts[{k}].zone_id", "not a zone of this camera")
        people = _count(item.get("people"), f"counts[{k}].people")
        offset, frame = min(frames, key=lambda item: abs(item[0] - t))
        if abs(offset - t) > 1.0:
            raise AuditInputError(f"counts[{k}].t", "no evidence frame within 1 s of this time")
        system = int(frame.get("zones", {}).get(zone_id, 0))
        pairs.append({"t": round(offset, 3), "zone_id": zone_id, "human": people, "system": system})
        zone = per_zone.setdefault(zone_id, {"human": 0, "system": 0, "abs_error": 0})
        zone["human"] += people
        zone["system"] += system
        zone["abs_error"] += abs(system - people)
    human = sum(p["human"] for p in pairs)
    system = sum(p["system"] for p in pairs)
    abs_error = sum(abs(p["system"] - p["human"]) for p in pairs)
    for zone in per_zone.values():
        zone["accuracy"] = round(1 - zone["abs_error"] / zone["human"], 4) if zone["human"] else None
    result = {
        "kind": audit.kind,
        "system": {"people": system}, "human": {"people": human},
        "accuracy": {"people": round(1 - abs_error / human, 4) if human else None},
        "zones": per_zone, "frames": pairs,
    }
    return result, {"system_people": system, "human_people": human, "people_abs_error": abs_error}


def _frame_offset(audit: Audit, frame: dict) -> float:
    """Seconds since the window start of an evidence frame (its wall time)."""
    try:
        return (parse_instant(frame["ts"], "ts") - audit.start).total_seconds()
    except (KeyError, TimeBoundError):
        return math.inf


def audit_result_submit(audit: Audit, data: dict, *, user=None, now: dt.datetime | None = None) -> dict:
    """The auditor's count against the system's: figures stored (they feed the published accuracy), the audit
    done, its evidence deleted. Submitting again replaces the result."""
    now = now or timezone.now()
    if not isinstance(data, dict):
        raise AuditInputError("body", "expected a JSON object")
    if now < audit.end:
        raise AuditInputError("end", "the window is not over yet")
    if audit.kind == Audit.Kind.ENTRANCE:
        result, fields = _entrance_result(audit, data)
    else:
        result, fields = _occupancy_result(audit, data)
    result["audit_id"] = audit.pk
    for name, value in fields.items():
        setattr(audit, name, value)
    audit.result = result
    audit.status = Audit.Status.DONE
    audit.finished_at = now
    audit.finished_by = user
    audit.save()
    audit_evidence_delete(audit, now=now)
    return result


def audit_evidence_delete(audit: Audit, now: dt.datetime | None = None) -> None:
    evidence.evidence_delete(audit.pk)
    if audit.evidence_deleted_at is None:
        audit.evidence_deleted_at = now or timezone.now()
        Audit.objects.filter(pk=audit.pk).update(evidence_deleted_at=audit.evidence_deleted_at)


def audit_evidence_cleanup(now: dt.datetime | None = None) -> dict:
    """The retention job: evidence of audits that are done or whose window ended more than AUDIT_RETENTION_DAYS
    ago is deleted, and so is any directory without its audit (a deleted camera)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    deleted = 0
    expired = Audit.objects.filter(evidence_deleted_at__isnull=True).filter(
        models_q_done_or_old(cutoff)).only("pk", "evidence_deleted_at")
    for audit in expired:
        deleted += evidence.evidence_exists(audit.pk)
        audit_evidence_delete(audit, now=now)
    orphans = 0
    root = evidence.audits_root()
    if root.is_dir():
        names = [p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit()]
        known = set(Audit.objects.filter(pk__in=[int(n) for n in names]).values_list("pk", flat=True))
        for name in names:
            if int(name) not in known:
                evidence.evidence_delete(int(name))
                orphans += 1
    return {"deleted": deleted, "orphans": orphans}


def models_q_done_or_old(cutoff: dt.datetime):
    from django.db.models import Q

    return Q(status=Audit.Status.DONE) | Q(end__lt=cutoff)
