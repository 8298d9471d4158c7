"""Demo data for `make demo`: the real pipeline run on simulated store traffic.

The store simulator (vision/simulator.py) scripts shoppers and writes the detections a detector would
give; the real tracker, zone engine and event builder turn them into events, which go through the same
ingestion service as the API. Sessions are spread over today's past hours and the previous weeks, with
more of them on weekends and during a promotion, so trends, spikes and promotion pages have numbers.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from analytics.models import Promotion
from cameras.models import Camera, Store
from cameras.services import camera_create
from events.models import EntranceEvent
from events.services import events_record_batch
from vision.config import load_camera_config
from vision.driver import CollectSink, PipelineDriver
from vision.mot import iter_frames, read_det_txt
from vision.simulator import camera_config, simulate
from zones.selectors import camera_pipeline_config
from zones.services import entrance_line_set, screenshot_upload, zone_create

FLOOR_CAMERA_ID = "cam_floor_01"
FRAME_SIZE = (1280, 720)
SESSION_SECONDS = 300.0
OPEN_HOUR, CLOSE_HOUR = 9, 21
HISTORY_DAYS = 21


def _scene_screenshot(config: dict) -> Path:
    """A drawing of the simulated shop floor, used as the camera's zone-setup screenshot."""
    width, height = config["screenshot_size"]
    image = Image.new("RGB", (width, height), (206, 201, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 220, height], fill=(120, 125, 130))  # street
    for name, points in {**config["zones"], **config["shelves"], **config["queues"]}.items():
        draw.polygon([tuple(p) for p in points], outline=(60, 60, 60), width=3)
        draw.text((points[0][0] + 8, points[0][1] + 8), name, fill=(30, 30, 30))
    (x1, y1), (x2, y2) = config["entrance_line"]
    draw.line([x1, y1, x2, y2], fill=(200, 40, 40), width=6)
    path = Path(tempfile.mkdtemp(prefix="wink-demo-")) / "floor.png"
    image.save(path)
    return path


@transaction.atomic
def demo_floor_camera(store: Store) -> Camera:
    """A camera whose zones match the simulated floor: door line, electronics, promo shelf, checkout."""
    existing = store.cameras.filter(camera_id=FLOOR_CAMERA_ID).first()
    if existing is not None:
        return existing
    config = camera_config(4.0)
    camera = camera_create(
        store=store, name="Store Floor Camera (simulated)", camera_id=FLOOR_CAMERA_ID, enabled=False,
        capabilities=["entrance", "zones", "shelves", "queue"], rtsp_url="",
    )
    shot_path = _scene_screenshot(config)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("floor.png", shot_path.read_bytes(), content_type="image/png")
    size = tuple(config["screenshot_size"])
    screenshot_upload(camera=camera, file=upload, width=size[0], height=size[1])
    for zone_id, points in config["zones"].items():
        zone_create(camera=camera, name=zone_id.replace("_", " ").title(), ztype="general", polygon=points,
                    screenshot_size=size, zone_id=zone_id)
    for zone_id, points in config["shelves"].items():
        zone_create(camera=camera, name="Promo shelf", ztype="shelf", polygon=points, screenshot_size=size,
                    zone_id=zone_id)
    for zone_id, points in config["queues"].items():
        zone_create(camera=camera, name="Checkout queue", ztype="queue", polygon=points, screenshot_size=size,
                    zone_id=zone_id)
    start, end = config["entrance_line"]
    entrance_line_set(camera=camera, start=start, end=end, inside_point=config["inside_point"], screenshot_size=size)
    return camera


def _sessions(store: Store, now: dt.datetime, promo: tuple[dt.date, dt.date],
              history_days: int = HISTORY_DAYS) -> Iterator[dt.datetime]:
    """Start times (UTC) of simulated sessions: busier evenings, weekends and promotion days."""
    tz = store.tzinfo
    today = now.astimezone(tz).date()
    rng = random.Random(7)
    for offset in range(history_days, -1, -1):
        day = today - dt.timedelta(days=offset)
        hours = [11, 17]
        if day.weekday() >= 5:
            hours += [13, 19]
        if promo[0] <= day <= promo[1]:
            hours += [12, 15, 18]
        if offset == 0:
            # Today: the hours up to now, so the overview has numbers whatever the time of day.
            now_local = now.astimezone(tz)
            hours = list(range(OPEN_HOUR, CLOSE_HOUR)) if now_local.hour >= OPEN_HOUR + 3 else []
            hours = [h for h in hours if h < now_local.hour] or list(range(max(0, now_local.hour - 6), now_local.hour))
        for hour in sorted(set(hours)):
            start = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 20)), tzinfo=tz)
            if start + dt.timedelta(seconds=SESSION_SECONDS) <= now:
                yield start.astimezone(dt.UTC)


def _run_session(camera: Camera, start: dt.datetime, seed: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="wink-sim-") as folder:
        simulate(folder, seed=seed, fps=4.0, noise="realistic", duration=SESSION_SECONDS)
        frames = read_det_txt(Path(folder) / "det.txt")
    config = load_camera_config(camera_pipeline_config(camera))
    sink = CollectSink()
    driver = PipelineDriver(config, sink, start_time=start, frame_size=FRAME_SIZE, person_key_prefix=f"s{seed}-")
    driver.run_detections(iter_frames(frames, config.fps))
    return sink.events


def demo_data_generate(store: Store, progress=None, history_days: int = HISTORY_DAYS) -> dict:
    """Run the pipeline over simulated sessions and store their events; idempotent (event ids repeat)."""
    camera = demo_floor_camera(store)
    now = timezone.now()
    today = now.astimezone(store.tzinfo).date()
    promo_start = today - dt.timedelta(days=9)
    promo_end = promo_start + dt.timedelta(days=2)
    Promotion.objects.get_or_create(
        store=store, name="Weekend Sale", defaults={
            "event_type": "promotion", "start_date": promo_start, "end_date": promo_end,
            "description": "Demo promotion: 20% off electronics",
        },
    )
    if EntranceEvent.objects.filter(camera=camera, ts__date__gte=today - dt.timedelta(days=1)).exists():
        return {"sessions": 0, "accepted": 0, "skipped": True, "first_day": None, "last_day": today}
    starts = list(_sessions(store, now, (promo_start, promo_end), history_days))
    accepted = 0
    for index, start in enumerate(progress(starts) if progress else starts):
        events = _run_session(camera, start, seed=int(start.timestamp()) % 100000 + index)
        result = events_record_batch(store=store, camera=camera, events=events, source="import")
        accepted += result.accepted
    first_day = today - dt.timedelta(days=history_days)
    return {"sessions": len(starts), "accepted": accepted, "skipped": False, "first_day": first_day, "last_day": today}
