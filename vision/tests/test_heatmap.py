"""Heatmap grid: foot points binned on a coarse grid normalised to the frame (pure numpy)."""

import numpy as np
import pytest

from vision.heatmap import HeatmapError, HeatmapGrid, add_counts


def test_points_land_in_their_cells_and_outside_points_are_dropped():
    grid = HeatmapGrid(1280, 720, cols=16)  # 80 px cells, 9 rows
    assert (grid.cols, grid.rows) == (16, 9)
    counted = grid.add_points([(0, 0), (79.9, 79.9), (80, 0), (1280, 720), (-1, 5), (5, 721), (float("nan"), 3)])
    assert counted == 4
    assert grid.counts[0, 0] == 2  # (0, 0) and (79.9, 79.9)
    assert grid.counts[0, 1] == 1
    assert grid.counts[8, 15] == 1  # feet on the bottom-right edge belong to the last cell
    assert grid.total == 4


def test_empty_input_and_reset():
    grid = HeatmapGrid.for_frame(640, 480)
    assert grid.add_points([]) == 0
    grid.add_points(np.array([[10.0, 10.0], [20.0, 20.0]]))
    assert grid.total == 2
    grid.reset()
    assert grid.total == 0 and not grid.normalized().any()


def test_round_trip_merge_and_normalise():
    a = HeatmapGrid(100, 100, cols=4, rows=4)
    a.add_points([(10, 10)] * 3 + [(90, 90)])
    b = HeatmapGrid.from_dict(a.to_dict())
    assert np.array_equal(a.counts, b.counts) and b.total == 4
    b.merge(a)
    assert b.counts[0, 0] == 6 and b.normalized()[0, 0] == 1.0 and b.normalized()[3, 3] == pytest.approx(2 / 6)
    assert add_counts([1, 2], [3, 4]) == [4, 6]


@pytest.mark.parametrize("bad", [
    {"cols": 2, "rows": 2, "frame_size": [10, 10], "counts": [1, 2, 3]},
    {"cols": 2, "rows": 2, "frame_size": [10, 10], "counts": [1, -2, 3, 4]},
    {"cols": 2, "rows": 2, "counts": [1, 2, 3, 4]},
    {"cols": 0, "rows": 2, "frame_size": [10, 10], "counts": []},
])
def test_bad_dicts_are_refused(bad):
    with pytest.raises(HeatmapError):
        HeatmapGrid.from_dict(bad)


def test_mismatched_grids_do_not_merge_and_sizes_are_checked():
    with pytest.raises(HeatmapError):
        HeatmapGrid(100, 100, cols=4).merge(HeatmapGrid(100, 100, cols=8))
    with pytest.raises(HeatmapError):
        HeatmapGrid(0, 100)
    with pytest.raises(HeatmapError):
        add_counts([1, 2], [1])


def test_tracks_count_their_foot_point_when_matched():
    from vision.types import TrackState

    grid = HeatmapGrid(100, 100, cols=10, rows=10)
    seen = TrackState(track_id=1, box=(10, 10, 30, 55), conf=0.9, confirmed=True)
    lost = TrackState(track_id=2, box=(60, 60, 80, 95), conf=0.9, confirmed=True, matched=False)
    tentative = TrackState(track_id=3, box=(60, 60, 80, 95), conf=0.9, confirmed=False)
    assert grid.add_tracks([seen, lost, tentative]) == 1
    assert grid.counts[5, 2] == 1  # feet at (20, 55)
    assert grid.add_tracks([seen], anchor="center") == 1 and grid.counts[3, 2] == 1  # centre (20, 32.5)
