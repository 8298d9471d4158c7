"""Reads for zones, including the camera configuration the vision pipeline runs on (GUIDE §3)."""

from __future__ import annotations

from cameras.models import Camera
from cameras.selectors import camera_list_for_user
from zones.models import EntranceLine, Zone


def zone_get_for_user(user, pk: int) -> Zone | None:
    """A zone by id, only if its camera is one of the caller's (by camera primary key, never by slug)."""
    return Zone.objects.select_related("camera").filter(pk=pk, camera__in=camera_list_for_user(user)).first()


def _scale_points(points, from_size: tuple[int, int], to_size: tuple[int, int]) -> list[list[float]]:
    sx, sy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    return [[round(x * sx, 3), round(y * sy, 3)] for x, y in points]


def camera_pipeline_config(camera: Camera) -> dict:
    """The camera as a GUIDE §3 camera config. Geometry stays in one screenshot coordinate space:
    zones drawn on screenshots of another size are rescaled to the reference (most common) size."""
    zones = list(Zone.objects.filter(camera=camera).order_by("zone_id"))
    line = EntranceLine.objects.filter(camera=camera).first()
    sizes = [(z.screenshot_width, z.screenshot_height) for z in zones]
    if line is not None:
        sizes.append((line.screenshot_width, line.screenshot_height))
    shot = camera.screenshots.order_by("-uploaded_at").first()
    if shot is not None:
        sizes.append((shot.width, shot.height))
    reference = max(set(sizes), key=sizes.count) if sizes else None

    config: dict = {
        "camera_id": camera.camera_id,
        "fps": camera.effective_frame_rate / camera.effective_detection_interval,
        "min_dwell_seconds": camera.min_dwell_seconds,
        "anchor": camera.anchor,
        "zones": {},
        "zone_types": {},
        "shelves": {},
        "queues": {},
    }
    if reference:
        config["screenshot_size"] = list(reference)
    for zone in zones:
        points = _scale_points(zone.polygon, (zone.screenshot_width, zone.screenshot_height), reference)
        if zone.ztype == Zone.ZoneType.SHELF:
            config["shelves"][zone.zone_id] = points
        elif zone.ztype == Zone.ZoneType.QUEUE:
            config["queues"][zone.zone_id] = points
        elif zone.ztype == Zone.ZoneType.STAFF:  # GUIDE §2 Staff: tracks entering it are staff
            config.setdefault("staff_zones", {})[zone.zone_id] = points
        else:
            config["zones"][zone.zone_id] = points
            config["zone_types"][zone.zone_id] = zone.ztype
    if line is not None:
        size = (line.screenshot_width, line.screenshot_height)
        config["entrance_line"] = _scale_points(line.segment, size, reference)
        config["inside_point"] = _scale_points([line.inside_point], size, reference)[0]
    return config


def zone_list_for_camera(camera: Camera):
    return Zone.objects.filter(camera=camera).order_by("zone_id")


def entrance_line_for_camera(camera: Camera) -> EntranceLine | None:
    return EntranceLine.objects.filter(camera=camera).first()


