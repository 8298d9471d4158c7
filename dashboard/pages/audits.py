"""Count-audit pages: the entrance player (mark crossings), the occupancy counter, and the evidence frames
(served only here, signed in and tenant-checked: audit frames show the shop floor)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render

from audits.evidence import evidence_frame_path
from audits.selectors import audit_get_for_user, audit_status, camera_accuracy
from cameras.selectors import user_is_organization_admin
from dashboard.pages.cameras import camera_geometry


def audit_for_user_or_404(user, pk: int):
    audit = audit_get_for_user(user, pk)
    if audit is None:
        raise Http404("audit not found")
    return audit


@login_required
def audit_page(request, pk: int):
    audit = audit_for_user_or_404(request.user, pk)
    camera = audit.camera
    return render(request, "audits/audit.html", {
        "audit": audit,
        "camera": camera,
        "store": camera.store,
        "status": audit_status(audit),
        "can_submit": user_is_organization_admin(request.user, camera.store.organization),
        "accuracy": camera_accuracy(camera),
        "page_data": {
            "id": audit.pk, "kind": audit.kind, "status": audit_status(audit),
            "start": audit.start.isoformat(), "end": audit.end.isoformat(),
            "duration": (audit.end - audit.start).total_seconds(),
            "geometry": camera_geometry(camera), "result": audit.result or None,
        },
    })


@login_required
def audit_frame(request, pk: int):
    """One evidence frame (`?i=<seq>`, default the first), blurred and downscaled when it was recorded."""
    audit = audit_for_user_or_404(request.user, pk)
    seq = request.GET.get("i", "0")
    if not (seq.isascii() and seq.isdigit() and len(seq) < 9):
        raise Http404("no such frame")
    path = evidence_frame_path(audit.pk, int(seq))
    if path is None:
        raise Http404("no such frame")
    response = FileResponse(open(path, "rb"), content_type="image/jpeg")  # noqa: SIM115 (FileResponse closes it)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
