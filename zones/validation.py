"""Geometry validation for zones and entrance lines drawn on a camera screenshot.

Size bounds (everything a user can send is bounded, finding 10):
- a screenshot side is 1..MAX_IMAGE_SIDE pixels (16384: beyond any camera; 8K is 7680) and a screenshot
  holds at most MAX_IMAGE_PIXELS (50 Mpx: 8K UHD is 33 Mpx; Pillow itself only warns from 89 Mpx);
- a polygon has at most MAX_POLYGON_POINTS points (200: the zone editor draws by clicking; the pipeline
  tests every person against every polygon edge each frame, so big polygons cost CPU on every frame);
- every coordinate is a finite number inside the screenshot.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from shapely.geometry import LineString, Point, Polygon
from shapely.validation import explain_validity

MAX_IMAGE_SIDE = 16384
MAX_IMAGE_PIXELS = 50_000_000
MAX_POLYGON_POINTS = 200


def check_image_size(width, height, fields: tuple[str, str] = ("screenshot_width", "screenshot_height")) -> None:
    for field, value in zip(fields, (width, height), strict=True):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IMAGE_SIDE:
            raise ValidationError({field: f"must be 1..{MAX_IMAGE_SIDE} pixels"})


def parse_points(value, field: str, minimum: int, maximum: int = MAX_POLYGON_POINTS) -> list[tuple[float, float]]:
    """Turn [[x, y], ...] into float pairs or raise a ValidationError naming the field."""
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: "must be a list of [x, y] points"})
    if len(value) > maximum:
        raise ValidationError({field: f"at most {maximum} points, got {len(value)}"})
    points: list[tuple[float, float]] = []
    for index, point in enumerate(value):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ValidationError({field: f"point {index} must be [x, y]"})
        if any(isinstance(c, bool) or not isinstance(c, (int, float, str)) for c in point):
            raise ValidationError({field: f"point {index} has a non-numeric coordinate"})
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({field: f"point {index} has a non-numeric coordinate"}) from None
        if not (math.isfinite(x) and math.isfinite(y)):  # NaN, inf
            raise ValidationError({field: f"point {index} has a non-finite coordinate"})
        points.append((x, y))
    if len(points) < minimum:
        raise ValidationError({field: f"needs at least {minimum} points, got {len(points)}"})
    return points


def _check_inside_screenshot(points, width: int, height: int, field: str) -> None:
    for index, (x, y) in enumerate(points):
        if not (0 <= x <= width and 0 <= y <= height):
            raise ValidationError(
                {field: f"point {index} ({x:g}, {y:g}) lies outside the {width}x{height} screenshot"}
            )


def validate_polygon(value, width: int, height: int, field: str = "polygon") -> list[tuple[float, float]]:
    check_image_size(width, height)
    points = parse_points(value, field, minimum=3)
    _check_inside_screenshot(points, width, height, field)
    polygon = Polygon(points)
    if not polygon.is_valid:
        raise ValidationError({field: f"polygon is not valid ({explain_validity(polygon)}); edges must not cross"})
    if polygon.area <= 0:
        raise ValidationError({field: "polygon has no area"})
    return points


def validate_line(start, end, inside_point, width: int, height: int) -> None:
    check_image_size(width, height)
    segment = parse_points([start, end], "line", minimum=2)
    _check_inside_screenshot(segment, width, height, "line")
    if LineString(segment).length == 0:
        raise ValidationError({"line": "the two ends of the entrance line must differ"})
    inside = parse_points([inside_point], "inside_point", minimum=1)
    _check_inside_screenshot(inside, width, height, "inside_point")
    if LineString(segment).distance(Point(inside[0])) < 1e-6:
        raise ValidationError({"inside_point": "must lie on the store side of the line, not on it"})
