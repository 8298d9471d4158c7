"""Detection plans (vision.tiling): region, scale, tiles, merging across seams; and the real detector through them."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from vision.config import ConfigError, parse_camera_config
from vision.tiling import (
    DEFAULT_SETTINGS,
    DetectSettings,
    PlanError,
    detection_plan,
    merge_tile_detections,
)
from vision.types import Detection

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media" / "mot17-02"


def cam(**extra):
    return parse_camera_config({"camera_id": "c1", **extra})


# ------------------------------------------------------------------------------------------ plans


def test_default_plan_runs_a_whole_1080p_frame_in_one_1280_pass():
    plan = detection_plan((1920, 1080), cam())
    assert plan.full_frame and plan.region == (0, 0, 1920, 1080)
    assert len(plan.tiles) == 1 and plan.input_size == (1280, 736)
    assert plan.scale == pytest.approx(2 / 3)
    assert plan.describe() == "1280x736/1 tile"


def test_a_720p_frame_runs_at_native_resolution():
    plan = detection_plan((1280, 720), None)
    assert plan.scale == 1.0 and plan.input_size == (1280, 736)


def test_auto_region_is_the_zones_plus_a_margin_at_native_scale():
    config = cam(screenshot_size=[1920, 1080], zones={"z": [[800, 500], [1200, 500], [1200, 900], [800, 900]]},
                 entrance_line=[[900, 950], [1100, 950]])
    plan = detection_plan((1920, 1080), config)
    m = 108  # 10% of the frame height; twice that above (heads over feet in the zone)
    assert plan.region == (800 - m, 500 - 2 * m, 1200 + m, 950 + m)
    assert not plan.full_frame and plan.scale == 1.0  # 616x774 px: under the pixel budget, native
    assert len(plan.tiles) == 1 and plan.input_size == (640, 800)


def test_region_follows_the_stream_size_not_the_screenshot():
    config = cam(screenshot_size=[1920, 1080], detect_region=[960, 540, 1920, 1080])
    assert detection_plan((1280, 720), config).region == (640, 360, 1280, 720)


def test_a_camera_without_zones_and_full_region_use_the_whole_frame():
    assert detection_plan((1920, 1080), cam()).full_frame
    config = cam(zones={"z": [[0, 0], [10, 0], [10, 10]]}, detect_region="full")
    assert detection_plan((1920, 1080), config).full_frame


def test_native_scale_over_the_input_limit_gives_overlapping_tiles_of_one_shape():
    plan = detection_plan((1920, 1080), cam(detect_scale=1.0))
    assert len(plan.tiles) > 1 and {t.size for t in plan.tiles} == {(640, 640)}
    xs = sorted({(t.x1, t.x2) for t in plan.tiles})
    assert xs[0][0] == 0 and xs[-1][1] == 1920
    for (_, a2), (b1, _) in pairwise(xs):
        assert a2 - b1 >= 0.25 * 640  # overlap of at least a quarter tile
    assert max(t.y2 for t in plan.tiles) == 1080
    corner = next(t for t in plan.tiles if t.x1 == 0 and t.y1 == 0)
    assert corner.inner == (False, False, True, True)


@pytest.mark.parametrize(("extra", "key"), [
    ({"detect_region": [0, 0, 2000, 500], "screenshot_size": [1920, 1080]}, "detect_region"),
    ({"detect_region": [500, 0, 100, 500]}, "detect_region"),
    ({"detect_tile": 1600}, "detect_tile"),
    ({"detect_tile": 100}, "detect_tile"),
    ({"detect_overlap": 0.9}, "detect_overlap"),
    ({"detect_scale": 0}, "detect_scale"),
    ({"detect_imgsz": 1000}, "detect_imgsz"),
])
def test_bad_detection_keys_are_refused_naming_the_key(extra, key):
    with pytest.raises(ConfigError, match=f"^{key}:"):
        cam(**extra)


def test_a_region_that_does_not_fit_the_frame_is_refused_when_the_frame_arrives():
    config = cam(detect_region=[0, 0, 1900, 1000])  # no screenshot size: frame pixels
    with pytest.raises(PlanError, match=r"^detect_region:"):
        detection_plan((1280, 720), config)


def test_a_plan_with_too_many_tiles_is_refused_naming_the_tile():
    with pytest.raises(PlanError, match=r"^detect_tile:"):
        detection_plan((3840, 2160), cam(detect_scale=2.0, detect_tile=160, detect_imgsz=160))


def test_detection_keys_survive_a_round_trip():
    config = cam(detect_region=[10, 20, 300, 400], detect_tile=512, detect_overlap=0.3)
    again = parse_camera_config(config.to_dict())
    assert again.detect == config.detect and again.detect != DEFAULT_SETTINGS


# ------------------------------------------------------------------------------------------ merging


def _two_tile_plan():
    settings = DetectSettings(scale=1.0, imgsz=640, tile=640, overlap=0.25)
    plan = detection_plan((1120, 640), None, settings)
    assert len(plan.tiles) == 2
    return plan


def test_a_person_straddling_a_seam_gives_exactly_one_box():
    plan = _two_tile_plan()
    left, right = plan.tiles
    assert left.x2 > right.x1  # they overlap
    person = (left.x2 - 60, 200.0, left.x2 + 40, 480.0)  # crosses the left tile's right edge
    # what each tile sees: the left one the person cut at its edge, the right one the whole person
    cut = Detection(person[0], person[1], float(left.x2), person[3], 0.7)
    whole = Detection(*person, 0.8)
    merged = merge_tile_detections(plan, [[cut], [whole]], iou=0.5)
    assert len(merged) == 1
    assert (merged[0].x1, merged[0].x2) == (person[0], person[2]) and merged[0].conf == 0.8


def test_a_cut_half_is_merged_even_when_its_iou_is_low():
    plan = _two_tile_plan()
    _, right = plan.tiles
    seam = float(right.x1)  # the right tile's left edge
    cut = Detection(seam, 100, seam + 30, 400, 0.6)  # a sliver of a person seen by the right tile
    whole = Detection(seam - 70, 100, seam + 30, 400, 0.9)  # the left tile saw all of them
    merged = merge_tile_detections(plan, [[whole], [cut]], iou=0.5)
    assert len(merged) == 1 and merged[0].x1 == seam - 70


def test_people_overlapping_inside_the_tile_overlap_but_away_from_seams_stay_apart():
    plan = _two_tile_plan()
    left, right = plan.tiles
    assert (right.x1, left.x2) == (480, 640)  # the band both tiles see
    a = Detection(500, 100, 560, 300, 0.9)  # seen by the left tile
    b = Detection(530, 120, 600, 320, 0.8)  # seen by the right tile, overlapping a (IoU ~0.3)
    c = Detection(540, 220, 570, 320, 0.7)  # a child in front of b: wholly inside it (IoS 1), IoU 0.2
    merged = merge_tile_detections(plan, [[a], [b, c]], iou=0.5)
    assert len(merged) == 3  # no seam cut any of them: NMS alone, which keeps them


def test_a_part_of_a_person_scored_on_its_own_is_dropped_but_a_child_in_front_stays():
    plan = detection_plan((1280, 720), None)
    assert len(plan.tiles) == 1
    adult = Detection(500, 100, 580, 400, 0.9)
    head = Detection(520, 105, 560, 160, 0.3)  # inside the adult's box, ends far above the adult's feet
    child = Detection(515, 260, 560, 398, 0.6)  # inside too, but standing on the same floor
    beside = Detection(575, 120, 640, 400, 0.5)  # overlaps the adult's edge only
    merged = merge_tile_detections(plan, [[adult, head, child, beside]], iou=0.5)
    assert sorted(d.conf for d in merged) == [0.5, 0.6, 0.9]


def test_boxes_of_tiles_land_in_frame_pixels():
    from vision.detectors import plan_crops

    plan = _two_tile_plan()
    image = np.zeros((640, 1120, 3), np.uint8)
    crops, boxes = plan_crops(image, plan)
    assert [c.shape for c in crops] == [(640, 640, 3)] * 2
    assert boxes[1].off_x == plan.tiles[1].x1 and boxes[1].scale == 1.0


# ------------------------------------------------------------------------------------------ real detector


@pytest.fixture(scope="module")
def detector():
    from vision.detectors import create_detector

    return create_detector(threads=2)


def test_real_people_straddling_seams_are_detected_once(detector):
    """Synthetic scene frames through a tiled plan: one box per person, as many as the single pass finds."""
    from vision.synthetic import default_scene

    scene = default_scene()
    settings = DetectSettings(scale=1.0, imgsz=416, tile=416, overlap=0.4)
    checked = 0
    for t in (2.0, 6.5, 11.0, 24.0, 26.5):
        frame = scene.render(round(t * scene.fps), t)
        h, w = frame.shape[:2]
        plan = detection_plan((w, h), None, settings)
        assert len(plan.tiles) > 2
        tiled = detector.detect_plan(frame, plan)
        whole = detector.detect_plan(frame, detection_plan((w, h), None))
        assert len(tiled) == len(whole) == len(scene.people_at(t))
        checked += any(_straddles(d, plan) for d in tiled)
    assert checked  # at least one person crossed a seam


def _straddles(d, plan) -> bool:
    return any(t.inner[2] and d.x1 < t.x2 < d.x2 for t in plan.tiles)


def test_default_plan_finds_more_real_people_than_the_640_letterbox(detector):
    """MOT17-02 (real frames, independent ground truth): recall of people at least half visible."""
    if not (MEDIA / "gt" / "gt.txt").is_file():
        pytest.skip(f"real footage absent: {MEDIA} (see shared/media/mot17-02/README.md)")
    import cv2

    from vision.det_score import load_gt, score_frames

    gt = load_gt(MEDIA / "gt" / "gt.txt")
    frames = [cv2.imread(str(p)) for p in sorted((MEDIA / "img1").glob("*.jpg"))]
    h, w = frames[0].shape[:2]
    plan = detector.plan_for((w, h), cam())
    planned = score_frames(gt, [detector.detect_plan(f, plan) for f in frames])
    baseline = score_frames(gt, [detector.detect_plan(f, None) for f in frames])  # 640 letterbox
    assert planned.recall > baseline.recall + 0.1, (planned, baseline)
    assert planned.precision > 0.6, planned
