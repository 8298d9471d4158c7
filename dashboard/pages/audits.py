"""Count-audit pages: the entrance player (mark crossings), the occupancy counter, and the evidence frames
(served only here, signed in and tenant-checked: audit frames show the shop floor)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import redirect, render

from audits.evidence import evidence_frame_path
from audits.models import Audit
from audits.selectors import audit_get_for_user, audit_status, camera_accuracy
from audits.services import AuditInputError, audit_create
from cameras.selectors import camera_get_for_user, user_is_organization_admin
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


@login_required
def camera_audits(request, pk: int):
    """A camera's audits (members see the list) and, for organisation admins, a form to schedule one through
    audits.services.audit_create: a window given as start/end (UTC) or as the next N minutes."""
    camera = camera_get_for_user(request.user, str(pk))
    if camera is None:
        raise Http404("camera not found")
    is_admin = user_is_organization_admin(request.user, camera.store.organization)
    errors: dict[str, str] = {}
    form = {"kind": "", "start": "", "end": "", "minutes": ""}
    if request.method == "POST":
        if not is_admin:
            return HttpResponseForbidden("only organisation admins may schedule audits\n")
        form = {name: (request.POST.get(name) or "").strip()[:40] for name in form}
        try:
            audit_create(camera=camera, user=request.user, **_schedule_arguments(form))
        except AuditInputError as error:
            errors[error.field] = error.message
        else:
            return redirect("camera-audits", pk=camera.pk)
    audits = Audit.objects.filter(camera=camera).order_by("-start")[:100]
    rows = [{"audit": a, "status": audit_status(a)} for a in audits]
    return render(request, "audits/camera_audits.html", {
        "camera": camera, "store": camera.store, "rows": rows, "can_schedule": is_admin, "errors": errors,
        "form": form, "kinds": Audit.Kind.choices, "accuracy": camera_accuracy(camera),
    }, status=400 if errors else 200)


def _schedule_arguments(form: dict) -> dict:
    """The form's text as audit_create's arguments; 'minutes' wins over start/end when given (the next N min)."""
    arguments = {"kind": form["kind"]}
    if form["minutes"]:
        try:
            arguments["minutes"] = float(form["minutes"])
        except ValueError:
            raise AuditInputError("minutes", "expected a number of minutes in (0, 60]") from None
        return arguments
    arguments["start"] = form["start"] or None
    arguments["end"] = form["end"] or None
    return arguments
