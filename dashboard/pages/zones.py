"""The zone editor page. Drawing happens in static/js/zone_editor.js; every save goes through the zone API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from dashboard.pages.cameras import camera_for_user_or_404, camera_geometry
from zones.capture import screenshot_capture
from zones.models import Zone


@login_required
@ensure_csrf_cookie
def zone_editor(request, pk: int):
    camera = camera_for_user_or_404(request.user, pk)
    return render(request, "zones/editor.html", {
        "store": camera.store,
        "camera": camera,
        "geometry": camera_geometry(camera),
        "zone_types": Zone.ZoneType.choices,
    })


@login_required
@require_POST
def zone_screenshot_capture(request, pk: int):
    """Take the screenshot from the camera's own stream (JSON for the editor's script; CSRF-checked)."""
    camera = camera_for_user_or_404(request.user, pk)
    try:
        shot = screenshot_capture(camera)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        return JsonResponse({"error": f"{field}: {messages[0]}", "errors": error.message_dict}, status=400)
    return JsonResponse({"id": shot.pk, "img_width": shot.width, "img_height": shot.height}, status=201)
