"""Server-rendered pages for stores and cameras; thin, always tenant-scoped (another org's store is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from cameras.heatmaps import camera_heatmap_for_range
from cameras.models import Camera, Store
from cameras.selectors import camera_list_for_user, store_list_for_user
from zones.selectors import entrance_line_for_camera, zone_list_for_camera

HEATMAP_DAYS = {"today": 1, "7d": 7, "30d": 30}


def store_for_user_or_404(user, store_id: str) -> Store:
    store = store_list_for_user(user).filter(store_id=store_id).first()
    if store is None:
        # Same answer for "does not exist" and "not yours": no store slugs leak across organisations.
        raise Http404("store not found")
    return store


def camera_for_user_or_404(user, pk: int) -> Camera:
    camera = camera_list_for_user(user).select_related("store", "store__organization").filter(pk=pk).first()
    if camera is None:
        raise Http404("camera not found")
    return camera


def store_today(store: Store) -> dt.date:
    return timezone.localtime(timezone.now(), store.tzinfo).date()


def camera_geometry(camera: Camera) -> dict:
    """Screenshot, zones and entrance line in the shape the page scripts draw (screenshot pixels)."""
    shot = camera.screenshots.order_by("-uploaded_at").first()
    line = entrance_line_for_camera(camera)
    return {
        "camera": {"id": camera.pk, "camera_id": camera.camera_id, "name": camera.name},
        "screenshot": (
            {"url": f"/cameras/{camera.pk}/screenshot?v={shot.pk}", "width": shot.width, "height": shot.height}
            if shot else None
        ),
        "zones": [
            {"id": z.pk, "zone_id": z.zone_id, "name": z.name, "ztype": z.ztype, "polygon": z.polygon,
             "screenshot_size": [z.screenshot_width, z.screenshot_height]}
            for z in zone_list_for_camera(camera)
        ],
        "line": (
            {"line": line.segment, "inside_point": line.inside_point,
             "screenshot_size": [line.screenshot_width, line.screenshot_height]}
            if line else None
        ),
    }


def camera_today_counts(camera: Camera, today: dt.date) -> tuple[dict | None, list[dict], str]:
    """Today's stored daily aggregates for this camera and its zones (the rows the analytics jobs write)."""
    from analytics.models import DailyMetric, MetricScope

    zones = list(zone_list_for_camera(camera))
    rows = {
        (m.scope, m.scope_id): m
        for m in DailyMetric.objects.filter(store=camera.store, date=today).filter(
            models.Q(scope=MetricScope.CAMERA, scope_id=camera.camera_id)
            | models.Q(scope__in=[MetricScope.ZONE, MetricScope.SHELF, MetricScope.QUEUE],
                       scope_id__in=[z.zone_id for z in zones])
        )
    }
    cam = rows.get((MetricScope.CAMERA, camera.camera_id))
    counts = {"footfall_in": cam.footfall_in, "footfall_out": cam.footfall_out} if cam else None
    scope_of = {"shelf": MetricScope.SHELF, "queue": MetricScope.QUEUE}
    zone_rows = []
    for zone in zones:
        m = rows.get((scope_of.get(zone.ztype, MetricScope.ZONE), zone.zone_id))
        if zone.ztype == "shelf":
            entries, visitors, avg = (m.interactions, None, m.dwell_avg) if m else (None, None, None)
        elif zone.ztype == "queue":
            entries, visitors, avg = (m.served, None, m.wait_avg) if m else (None, None, None)
        else:
            entries, visitors, avg = (m.entries, m.unique_visitors, m.dwell_avg) if m else (None, None, None)
        zone_rows.append({"name": zone.name, "ztype": zone.ztype, "entries": entries, "unique_visitors": visitors,
                          "avg": avg})
    updated = max((m.computed_at for m in rows.values()), default=None)
    source = (f"From today's aggregates, updated {timezone.localtime(updated, camera.store.tzinfo):%H:%M}."
              if updated else "No aggregates for today yet.")
    return counts, zone_rows, source


@login_required
def home(request):
    stores = list(store_list_for_user(request.user).order_by("name"))
    if len(stores) == 1:
        return redirect("store-overview", store_id=stores[0].store_id)
    return render(request, "cameras/store_list.html", {"stores": stores})


@login_required
def camera_detail(request, pk: int):
    camera = camera_for_user_or_404(request.user, pk)
    period = request.GET.get("heatmap", "today")
    if period not in HEATMAP_DAYS:
        period = "today"
    today = store_today(camera.store)
    heatmap = camera_heatmap_for_range(camera, today - dt.timedelta(days=HEATMAP_DAYS[period] - 1), today)
    return render(request, "cameras/camera.html", {
        "store": camera.store,
        "camera": camera,
        "geometry": camera_geometry(camera),
        "heatmap": heatmap,
        "heatmap_period": period,
        "heatmap_periods": [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days")],
        "today": today,
        **dict(zip(("counts", "zone_rows", "counts_source"), camera_today_counts(camera, today), strict=True)),
    })


@login_required
def camera_screenshot(request, pk: int):
    """The latest screenshot, behind the same tenancy check as the page (screenshots show the shop floor)."""
    camera = camera_for_user_or_404(request.user, pk)
    shot = camera.screenshots.order_by("-uploaded_at").first()
    if shot is None or not shot.image:
        raise Http404("no screenshot")
    try:
        handle = shot.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("screenshot file missing") from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=300"
    return response
