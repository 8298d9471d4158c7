"""Heatmap storage: a camera runner adds grid increments; pages read a day or a range summed.

Writes (`camera_heatmap_add`) and reads (`camera_heatmap_for_range`) for the CameraHeatmap model; the grid
itself is `vision.heatmap.HeatmapGrid` (pure numpy).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cameras.localtime import local_date
from cameras.models import Camera, CameraHeatmap
from vision.heatmap import HeatmapError, HeatmapGrid, add_counts


@transaction.atomic
def camera_heatmap_add(camera: Camera, grid: HeatmapGrid | dict, at: dt.datetime | None = None) -> CameraHeatmap:
    """Add a grid increment to the camera's heatmap of the store-local day containing `at` (default: now).

    A grid of another shape than the stored one for that day (the stream's size changed) replaces it.
    """
    if isinstance(grid, dict):
        grid = HeatmapGrid.from_dict(grid)
    at = at or timezone.now()
    day = local_date(camera.store, at)
    row, _ = CameraHeatmap.objects.select_for_update().get_or_create(
        camera=camera, date=day,
        defaults={"cols": grid.cols, "rows": grid.rows, "counts": [0] * (grid.cols * grid.rows)},
    )
    increment = grid.counts.reshape(-1).tolist()
    if (row.cols, row.rows) != (grid.cols, grid.rows) or len(row.counts) != len(increment):
        row.cols, row.rows, row.counts = grid.cols, grid.rows, increment
    else:
        row.counts = add_counts(row.counts, increment)
    row.total = int(sum(row.counts))
    row.save()
    return row


def camera_heatmap_for_range(camera: Camera, first: dt.date, last: dt.date) -> dict | None:
    """The camera's heatmap summed over [first, last] (store-local dates) as {cols, rows, counts, total, days};
    days whose grid shape differs from the latest day's are skipped. None when nothing was recorded."""
    rows = list(CameraHeatmap.objects.filter(camera=camera, date__gte=first, date__lte=last).order_by("-date"))
    if not rows:
        return None
    latest = rows[0]
    counts = [0] * (latest.cols * latest.rows)
    days = 0
    for row in rows:
        if (row.cols, row.rows) != (latest.cols, latest.rows):
            continue
        try:
            counts = add_counts(counts, row.counts)
        except HeatmapError:
            continue
        days += 1
    return {"cols": latest.cols, "rows": latest.rows, "counts": counts, "total": int(sum(counts)), "days": days}
