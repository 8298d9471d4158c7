"""Where people stood: anchor points (feet) accumulated on a coarse grid. Pure numpy, no Django.

The grid is normalised to the frame (cell = frame_w / cols by frame_h / rows), so a heatmap gathered on a
1280x720 stream overlays a 1920x1080 screenshot of the same camera without rescaling. Counts are
person-samples: one per anchor point per detection frame.

Usage in a camera runner::

    heat = HeatmapGrid.for_frame(frame_w, frame_h)
    ... after each pipeline.update(t, detections): heat.add_tracks(pipeline.tracks, camera.anchor)
    ... every minute or so: if heat.total: cameras.heatmaps.camera_heatmap_add(camera, heat); heat.reset()
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .types import anchor_of

DEFAULT_COLS = 64
MAX_CELLS = 256 * 256


class HeatmapError(ValueError):
    """Raised for a grid that cannot be built or merged (bad size, mismatched shape)."""


class HeatmapGrid:
    __slots__ = ("cols", "counts", "frame_height", "frame_width", "rows")

    def __init__(self, frame_width: float, frame_height: float, cols: int = DEFAULT_COLS, rows: int | None = None):
        if not (frame_width > 0 and frame_height > 0):
            raise HeatmapError(f"frame size must be positive, got {frame_width}x{frame_height}")
        if rows is None:
            # Square-ish cells: keep the frame's aspect ratio.
            rows = max(1, round(cols * frame_height / frame_width))
        if cols < 1 or rows < 1 or cols * rows > MAX_CELLS:
            raise HeatmapError(f"grid must have 1..{MAX_CELLS} cells, got {cols}x{rows}")
        self.frame_width = float(frame_width)
        self.frame_height = float(frame_height)
        self.cols = int(cols)
        self.rows = int(rows)
        self.counts = np.zeros((self.rows, self.cols), dtype=np.int64)

    @classmethod
    def for_frame(cls, frame_width: float, frame_height: float, cols: int = DEFAULT_COLS) -> HeatmapGrid:
        return cls(frame_width, frame_height, cols=cols)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def add_points(self, points: Iterable[Sequence[float]]) -> int:
        """Count each (x, y) in frame pixels; points outside the frame are dropped. Returns how many counted."""
        array = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
        if array.size == 0:
            return 0
        finite = np.isfinite(array).all(axis=1)
        x, y = array[finite, 0], array[finite, 1]
        # Feet on the bottom edge (y == height) belong to the last row, not outside the frame.
        inside = (x >= 0) & (x <= self.frame_width) & (y >= 0) & (y <= self.frame_height)
        x, y = x[inside], y[inside]
        if x.size == 0:
            return 0
        col = np.minimum((x * self.cols / self.frame_width).astype(np.int64), self.cols - 1)
        row = np.minimum((y * self.rows / self.frame_height).astype(np.int64), self.rows - 1)
        np.add.at(self.counts, (row, col), 1)
        return int(x.size)

    def add_tracks(self, tracks: Iterable, anchor: str = "foot") -> int:
        """Count the anchor of every track matched to a detection at this step (TrackState-like objects)."""
        return self.add_points(
            anchor_of(t.box, anchor) for t in tracks if getattr(t, "matched", True) and getattr(t, "confirmed", True)
        )

    def merge(self, other: HeatmapGrid) -> None:
        if (other.cols, other.rows) != (self.cols, self.rows):
            raise HeatmapError(f"cannot merge a {other.cols}x{other.rows} grid into {self.cols}x{self.rows}")
        self.counts += other.counts

    def reset(self) -> None:
        self.counts[:] = 0

    def normalized(self) -> np.ndarray:
        """Counts scaled to 0..1 (the busiest cell is 1); all zeros when empty."""
        peak = self.counts.max() if self.counts.size else 0
        if peak <= 0:
            return np.zeros(self.counts.shape, dtype=np.float64)
        return self.counts / float(peak)

    def to_dict(self) -> dict:
        return {
            "cols": self.cols,
            "rows": self.rows,
            "frame_size": [self.frame_width, self.frame_height],
            "counts": self.counts.reshape(-1).tolist(),
            "total": self.total,
        }

    @classmethod
    def from_dict(cls, data: dict) -> HeatmapGrid:
        try:
            width, height = data["frame_size"]
            grid = cls(float(width), float(height), cols=int(data["cols"]), rows=int(data["rows"]))
            counts = np.asarray(data["counts"], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as error:
            raise HeatmapError(f"not a heatmap dict: {error}") from None
        if counts.size != grid.cols * grid.rows:
            raise HeatmapError(f"counts has {counts.size} cells, expected {grid.cols * grid.rows}")
        if (counts < 0).any():
            raise HeatmapError("counts must not be negative")
        grid.counts = counts.reshape(grid.rows, grid.cols)
        return grid


def add_counts(base: Sequence[int], extra: Sequence[int]) -> list[int]:
    """Cell-wise sum of two flat count lists of the same grid (used when storing increments)."""
    a = np.asarray(base, dtype=np.int64)
    b = np.asarray(extra, dtype=np.int64)
    if a.shape != b.shape:
        raise HeatmapError(f"count lists differ in size ({a.size} vs {b.size})")
    return (a + b).tolist()
