"""Geometry validation for zones and entrance lines drawn on a camera screenshot."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from shapely.geometry import LineString, Point, Polygon
from shapely.validation import explain_validity


def parse_points(value, field: str, minimum: int) -> list[tuple[float, float]]:
    """Turn [[x, y], ...] into float pairs or raise a ValidationError naming the field."""
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: "must be a list of [x, y] points"})
    points: list[tuple[float, float]] = []
    for index, point in enumerate(value):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ValidationError({field: f"point {index} must be [x, y]"})
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            raise ValidationError({field: f"point {index} has a non-numeric coordinate"}) from None
        if x != x or y != y:  # NaN
            raise ValidationError({field: f"point {index} has a non-numeric coordinate"})
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
    points = parse_points(value, field, minimum=3)
    _check_inside_screenshot(points, width, height, field)
    polygon = Polygon(points)
    if not polygon.is_valid:
        raise ValidationError({field: f"polygon is not valid ({explain_validity(polygon)}); edges must not cross"})
    if polygon.area <= 0:
        raise ValidationError({field: "polygon has no area"})
    return points


def validate_line(start, end, inside_point, width: int, height: int) -> None:
    segment = parse_points([start, end], "line", minimum=2)
    _check_inside_screenshot(segment, width, height, "line")
    if LineString(segment).length == 0:
        raise ValidationError({"line": "the two ends of the entrance line must differ"})
    inside = parse_points([inside_point], "inside_point", minimum=1)
    _check_inside_screenshot(inside, width, height, "inside_point")
    if LineString(segment).distance(Point(inside[0])) < 1e-6:
        raise ValidationError({"inside_point": "must lie on the store side of the line, not on it"})
