"""The simulator's staff (vision/simulator_staff.py): ground truth apart, and the staff zones take them out."""

from __future__ import annotations

import json

from vision.config import load_camera_config
from vision.mot import iter_frames, read_det_txt
from vision.pipeline import EventPipeline
from vision.simulator_staff import simulate_staff

from .helpers import START


def test_staff_make_a_fifth_of_door_crossings_and_staff_zones_take_them_out(tmp_path):
    gt = simulate_staff(tmp_path, seed=3, noise="clean", duration=600, uniform_only=0.0)
    staff, customers, everyone = gt["staff"], gt["customers"], gt["all"]
    assert 0.15 <= staff["share_of_crossings"] <= 0.25
    assert everyone["footfall"]["in"] + everyone["footfall"]["out"] == (
        customers["footfall"]["in"] + customers["footfall"]["out"] + staff["crossings"])
    cam = json.loads((tmp_path / "camera.json").read_text())
    assert set(cam["staff_zones"]) == {"counter", "stockroom"}

    def replay(config: dict) -> dict:
        cfg = load_camera_config(config)
        pipe = EventPipeline(cfg, START)
        for _, t, dets in iter_frames(read_det_txt(tmp_path / "det.txt"), cfg.fps):
            pipe.update(t, dets)
        pipe.finish()
        return pipe.summary()

    with_zones = replay(cam)
    without = replay({k: v for k, v in cam.items() if k != "staff_zones"})
    truth_in = customers["footfall"]["in"]
    # Without staff zones every staff trip is a customer; with them, footfall is the customers' (clean detections).
    assert without["footfall"]["in"] - truth_in >= staff["crossings"] // 2 - 1
    assert abs(with_zones["footfall"]["in"] - truth_in) <= max(1, round(0.03 * truth_in))
    assert with_zones["staff"]["crossings"] >= staff["crossings"] - 2
    # Restocking: shelf interactions of staff are left out too.
    shelf_gt = customers["shelves"]["shelf_promo"]["interactions"]
    assert abs(with_zones["shelves"]["shelf_promo"]["interactions"] - shelf_gt) < abs(
        without["shelves"]["shelf_promo"]["interactions"] - shelf_gt)
