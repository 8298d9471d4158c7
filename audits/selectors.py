"""Reads of the audits app: a user's audits, and a camera's published (audited) accuracy."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import QuerySet
from django.utils import timezone

from audits.models import Audit
from cameras.models import Camera
from cameras.selectors import camera_list_for_user

Z95 = 1.959963984540054


def audit_list_for_user(user) -> QuerySet[Audit]:
    return Audit.objects.filter(camera__in=camera_list_for_user(user)).select_related("camera", "camera__store")


def audit_get_for_user(user, pk) -> Audit | None:
    text = str(pk)
    if not text.isdigit() or len(text) > 18:
        return None
    return audit_list_for_user(user).filter(pk=int(text)).first()


def audit_status(audit: Audit, now=None) -> str:
    """scheduled (window not over), ready (over, not yet audited) or done."""
    if audit.status == Audit.Status.DONE:
        return Audit.Status.DONE
    return Audit.Status.READY if (now or timezone.now()) >= audit.end else Audit.Status.SCHEDULED


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float]:
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def pooled_accuracy(pairs: list[tuple[int, int]]) -> dict | None:
    """Accuracy pooled over audits, (system, human) per audit: 1 − Σ|system − human| ÷ Σhuman, with a 95% interval.

    Interval: Wilson score on the pooled counts, taking every human-counted crossing (or person) as one trial and
    min(Σ|s − h|, Σh) of them as errors. Why not a t-interval over per-audit accuracies: a camera has few audits
    (often one or two), where a t-interval is undefined or absurdly wide, while each audit holds tens to hundreds
    of counted people; Wilson stays inside [0, 1] and behaves at accuracies near 100%. It is optimistic when
    a window's misses and false counts cancel; the entrance audit's recall/precision (matched crossings) shows
    that case separately."""
    human = sum(h for _s, h in pairs)
    if human <= 0:
        return None
    errors = min(human, sum(abs(s - h) for s, h in pairs))
    low, high = wilson_interval(human - errors, human)
    return {"accuracy": round(1 - errors / human, 4), "ci_low": round(low, 4), "ci_high": round(high, 4),
            "human": human, "errors": errors, "audits": len(pairs)}


def camera_accuracy(camera: Camera) -> dict:
    """GET /api/cameras/{id}/accuracy: the camera's audited accuracy, or audits: 0 (never audited)."""
    done = list(Audit.objects.filter(camera=camera, status=Audit.Status.DONE).order_by("start"))
    entrance = [a for a in done if a.kind == Audit.Kind.ENTRANCE and a.human_in is not None]
    occupancy = [a for a in done if a.kind == Audit.Kind.OCCUPANCY and a.human_people is not None]
    body = {
        "camera": camera.pk, "camera_id": camera.camera_id,
        "audits": len(done), "entrance_audits": len(entrance), "occupancy_audits": len(occupancy),
        "in": pooled_accuracy([(a.system_in, a.human_in) for a in entrance]),
        "out": pooled_accuracy([(a.system_out, a.human_out) for a in entrance]),
        # occupancy errors are already |s − h| summed over frame×zone pairs per audit
        "occupancy": _pooled_occupancy(occupancy),
        "interval": "Wilson 95% on pooled counts",
        "last_audit": done[-1].end if done else None,
    }
    body["summary"] = accuracy_sentence(body)
    return body


def _pooled_occupancy(audits: list[Audit]) -> dict | None:
    human = sum(a.human_people for a in audits)
    if human <= 0:
        return None
    errors = min(human, sum(a.people_abs_error or 0 for a in audits))
    low, high = wilson_interval(human - errors, human)
    return {"accuracy": round(1 - errors / human, 4), "ci_low": round(low, 4), "ci_high": round(high, 4),
            "human": human, "errors": errors, "audits": len(audits)}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".rstrip("0").rstrip(".")


def _pooled_parts(body: dict) -> list[tuple[str, str, int]]:
    """(what, "97.2% … (95% CI 94–99%)" pieces, audits) of a camera_accuracy body: entrance pools in and out."""
    parts = []
    entrance = [body[d] for d in ("in", "out") if body.get(d)]
    if entrance:
        human = sum(e["human"] for e in entrance)
        errors = sum(e["errors"] for e in entrance)
        low, high = wilson_interval(human - errors, human)
        parts.append(("entrance", _pct(1 - errors / human), f"{low * 100:.0f}–{high * 100:.0f}",
                      body["entrance_audits"]))
    if body.get("occupancy"):
        occ = body["occupancy"]
        parts.append(("occupancy", _pct(occ["accuracy"]), f"{occ['ci_low'] * 100:.0f}–{occ['ci_high'] * 100:.0f}",
                      body["occupancy_audits"]))
    return parts


def _audits(n: int) -> str:
    return f"{n} audit{'s' if n != 1 else ''}"


def accuracy_sentence(body: dict) -> str:
    """One line for pages and insights, e.g. 'entrance counts audited 97.2% accurate (95% CI 94–99%) over 3 audits'."""
    if not body["audits"]:
        return "counts not audited yet"
    names = {"entrance": "entrance counts", "occupancy": "zone occupancy"}
    parts = [f"{names[what]} audited {pct}% accurate (95% CI {ci}%) over {_audits(n)}"
             for what, pct, ci, n in _pooled_parts(body)]
    return "; ".join(parts) if parts else "audited, but no person was counted in the audited windows"


def camera_accuracy_map(cameras) -> dict[int, dict]:
    """camera pk → camera_accuracy body, for pages and exports listing several cameras."""
    return {camera.pk: camera_accuracy(camera) for camera in cameras}


def store_audited_accuracy(store) -> list[dict]:
    """Per camera of the store: its audited accuracy in the shape the insights payload cites (percentages), or
    audits: 0 with 'counts not audited yet'."""
    rows = []
    for camera in Camera.objects.filter(store=store).order_by("camera_id"):
        body = camera_accuracy(camera)
        row = {"camera_id": camera.camera_id, "audits": body["audits"], "summary": body["summary"]}
        for key in ("in", "out", "occupancy"):
            if body.get(key):
                row[f"{key}_accuracy_pct"] = round(body[key]["accuracy"] * 100, 1)
                row[f"{key}_ci_low_pct"] = round(body[key]["ci_low"] * 100)
                row[f"{key}_ci_high_pct"] = round(body[key]["ci_high"] * 100)
        rows.append(row)
    return rows


ACCURACY_CSV_HEADER = [
    "store_id", "camera_id", "audits", "entrance_audits", "occupancy_audits",
    "in_accuracy", "in_ci_low", "in_ci_high", "in_human",
    "out_accuracy", "out_ci_low", "out_ci_high", "out_human",
    "occupancy_accuracy", "occupancy_ci_low", "occupancy_ci_high", "occupancy_human",
    "last_audit_utc", "summary",
]


def store_accuracy_rows(store) -> list[list]:
    """Per camera of the store, the pooled accuracy as CSV cells (fractions 0..1; empty = not audited)."""
    rows = []
    for camera in Camera.objects.filter(store=store).order_by("camera_id"):
        body = camera_accuracy(camera)
        row = [store.store_id, camera.camera_id, body["audits"], body["entrance_audits"], body["occupancy_audits"]]
        for key in ("in", "out", "occupancy"):
            part = body.get(key)
            row += [part["accuracy"], part["ci_low"], part["ci_high"], part["human"]] if part else ["", "", "", ""]
        last = body["last_audit"]
        row += [last.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if last else "", body["summary"]]
        rows.append(row)
    return rows


def accuracy_badge(body: dict) -> str:
    """The short per-camera label of the store overview, e.g. 'entrance audited 97.2% (95% CI 94–99%), 3 audits'
    or 'not audited yet'. Entrance pools in and out, as accuracy_sentence does."""
    if not body["audits"]:
        return "not audited yet"
    parts = [f"{what} audited {pct}% (95% CI {ci}%), {_audits(n)}" for what, pct, ci, n in _pooled_parts(body)]
    return "; ".join(parts) if parts else "audited, nobody counted"
