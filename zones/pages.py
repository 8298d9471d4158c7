"""The zone editor page. Drawing happens in static/js/zone_editor.js; every save goes through the zone API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from cameras.pages import camera_for_user_or_404, camera_geometry
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
