"""Server-rendered pages for stores and cameras; thin, always tenant-scoped (another org's store is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from analytics.models import DailyMetric, MetricScope
from audits.selectors import camera_accuracy
from cameras.heatmaps import camera_heatmap_for_range
from cameras.localtime import local_today
from cameras.models import Camera, Store
from cameras.selectors import camera_list_for_user, screenshot_url, store_list_for_user
from dashboard.selectors import live_metrics
from workers.frames import annotated_frame_read
from workers.metrics import camera_detector_read
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


def camera_geometry(camera: Camera) -> dict:
    """Screenshot, zones and entrance line in the shape the page scripts draw (screenshot pixels)."""
    shot = camera.screenshots.order_by("-uploaded_at").first()
    line = entrance_line_for_camera(camera)
    return {
        "camera": {"id": camera.pk, "camera_id": camera.camera_id, "name": camera.name},
        "screenshot": (
            {"url": screenshot_url(shot), "width": shot.width, "height": shot.height}
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
    """Today's numbers for this camera: its zones from the live dashboard selector (the one behind
    GET /api/dashboard/live, so the overview and this page agree) and in/out from the daily aggregate."""
    live = live_metrics(camera.store, timezone.now())
    mine = next((c for c in live["cameras"] if c["camera_id"] == camera.camera_id), {})
    daily = DailyMetric.objects.filter(store=camera.store, date=today, scope=MetricScope.CAMERA,
                                       scope_id=camera.camera_id).first()
    counts = {
        # Online/offline as the dashboard API says it (offline after missed heartbeats), not the raw DB field.
        "status": mine.get("status", camera.status),
        "people_now": mine.get("people_now"),
        "footfall_in": daily.footfall_in if daily else None,
        "footfall_out": daily.footfall_out if daily else None,
    }
    zone_rows = []
    for zone in zone_list_for_camera(camera):
        if zone.ztype == "shelf":
            m = live["shelves"].get(zone.zone_id) or {}
            entries, visitors, avg = m.get("interactions"), None, m.get("avg_dwell")
        elif zone.ztype == "queue":
            m = live["queues"].get(zone.zone_id) or {}
            entries, visitors, avg = m.get("served"), None, m.get("avg_wait")
        else:
            m = live["zones"].get(zone.zone_id) or {}
            entries, visitors, avg = m.get("entries"), m.get("unique_visitors"), m.get("avg_dwell")
        zone_rows.append({"name": zone.name, "zone_id": zone.zone_id, "ztype": zone.ztype, "entries": entries,
                          "unique_visitors": visitors, "avg": avg})
    source = "Zones: live since midnight (store time)."
    source += (f" In/out: daily aggregate, updated {timezone.localtime(daily.computed_at, camera.store.tzinfo):%H:%M}."
               if daily else " In/out: not aggregated yet today.")
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
    today = local_today(camera.store)
    heatmap = camera_heatmap_for_range(camera, today - dt.timedelta(days=HEATMAP_DAYS[period] - 1), today)
    return render(request, "cameras/camera.html", {
        "store": camera.store,
        "camera": camera,
        "geometry": camera_geometry(camera),
        "heatmap": heatmap,
        "heatmap_period": period,
        "heatmap_periods": [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days")],
        "today": today,
        "detector": camera_detector_read(camera.pk),
        "audited": camera_accuracy(camera),  # count audits: the camera's measured accuracy (audits/selectors.py)
        **dict(zip(("counts", "zone_rows", "counts_source"), camera_today_counts(camera, today), strict=True)),
    })


@login_required
def camera_screenshot(request, pk: int):
    """A screenshot of the camera (`?v=<screenshot id>`, else the latest), behind the same tenancy check as the
    page: screenshots show the shop floor, and this is the only route that serves them (no public /media/)."""
    camera = camera_for_user_or_404(request.user, pk)
    shots = camera.screenshots.order_by("-uploaded_at")
    version = request.GET.get("v", "")
    if version.isascii() and version.isdigit() and len(version) < 19:
        shot = shots.filter(pk=int(version)).first()
    else:
        shot = shots.first()
    if shot is None or not shot.image:
        raise Http404("no screenshot")
    try:
        handle = shot.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("screenshot file missing") from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def camera_live_frame(request, pk: int):
    """The runner's latest annotated frame (boxes, track ids, zones; workers/frames.py) as a JPEG, behind the
    page's tenancy check; 404 while no runner publishes one (only the demo's live camera does)."""
    camera = camera_for_user_or_404(request.user, pk)
    jpeg = annotated_frame_read(camera.pk)
    if jpeg is None:
        raise Http404("no live frame")
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
