"""Geometry helpers: regions with boundary hysteresis and the entrance line."""

from __future__ import annotations

import math

from shapely import prepared
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon

from .types import Point


class LaneAxis:
    """A queue lane's long axis: the long side of the polygon's minimum rotated rectangle. People in a line
    stand along it; `along()` places a point on it, `extent` is the polygon's (min, max) there."""

    __slots__ = ("extent", "length", "ux", "uy", "width")

    def __init__(self, points: list[Point]):
        poly = Polygon(points)
        xs, ys = poly.minimum_rotated_rectangle.exterior.coords.xy
        edges = [(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) for i in range(2)]
        (ex, ey), (fx, fy) = sorted(edges, key=lambda e: -math.hypot(*e))
        self.length = math.hypot(ex, ey) or 1.0
        self.width = math.hypot(fx, fy)
        self.ux, self.uy = ex / self.length, ey / self.length
        along = [x * self.ux + y * self.uy for x, y in points]
        self.extent = (min(along), max(along))

    def along(self, x, y):
        return x * self.ux + y * self.uy


def scale_points(points: list[Point], screenshot_size: tuple[int, int], frame_size: tuple[int, int]) -> list[Point]:
    """Scale screenshot coordinates to frame pixels (GUIDE §2)."""
    sx = frame_size[0] / screenshot_size[0]
    sy = frame_size[1] / screenshot_size[1]
    return [(x * sx, y * sy) for x, y in points]


class Region:
    """A polygon with hysteresis: entering needs the point `margin` px inside the boundary,
    leaving needs it `margin` px outside. Jitter smaller than the margin cannot flip membership.
    The delay is symmetric (late in, late out), so stay durations keep no bias.
    """

    __slots__ = ("_exact", "_inner", "_outer", "margin", "poly")

    def __init__(self, points: list[Point], margin: float = 0.0):
        self.poly = Polygon(points)
        self.margin = float(margin)
        self._exact = prepared.prep(self.poly)
        # Keep the inner polygon non-empty for thin regions.
        m_in = min(self.margin, 0.25 * _inradius_bound(self.poly))
        inner = self.poly.buffer(-m_in) if m_in > 0 else self.poly
        self._inner = prepared.prep(inner if not inner.is_empty else self.poly)
        self._outer = prepared.prep(self.poly.buffer(self.margin) if self.margin > 0 else self.poly)

    def contains(self, p: Point) -> bool:
        return self._exact.contains(ShapelyPoint(p))

    def member(self, p: Point, was_inside: bool) -> bool:
        """Membership with hysteresis given the previous state."""
        pt = ShapelyPoint(p)
        if was_inside:
            return self._outer.contains(pt)
        return self._inner.contains(pt)


def _inradius_bound(poly: Polygon) -> float:
    minx, miny, maxx, maxy = poly.bounds
    return min(maxx - minx, maxy - miny) / 2.0


class Line:
    """The entrance segment with the inside side given by `inside_point`.

    `signed_distance` is positive on the store side.
    """

    __slots__ = ("a", "b", "length", "nx", "ny", "ux", "uy")

    def __init__(self, a: Point, b: Point, inside_point: Point):
        self.a, self.b = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
        dx, dy = self.b[0] - self.a[0], self.b[1] - self.a[1]
        self.length = math.hypot(dx, dy)
        self.ux, self.uy = dx / self.length, dy / self.length
        self.nx, self.ny = -self.uy, self.ux
        if self._raw(inside_point) < 0:
            self.nx, self.ny = -self.nx, -self.ny

    def _raw(self, p: Point) -> float:
        return (p[0] - self.a[0]) * self.nx + (p[1] - self.a[1]) * self.ny

    def signed_distance(self, p: Point) -> float:
        return self._raw(p)

    def crossing_param(self, p: Point, q: Point) -> float | None:
        """Position along the segment (0..1) where the move p→q crosses the infinite line,
        or None if the move does not cross it."""
        dp, dq = self._raw(p), self._raw(q)
        if (dp > 0) == (dq > 0) or dp == dq:
            return None
        s = dp / (dp - dq)
        x = p[0] + s * (q[0] - p[0])
        y = p[1] + s * (q[1] - p[1])
        return ((x - self.a[0]) * self.ux + (y - self.a[1]) * self.uy) / self.length
