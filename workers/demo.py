"""Demo data for `make demo`: the real pipeline run on simulated store traffic.

The store simulator (vision/simulator.py) scripts shoppers and writes the detections a detector would
give; the real tracker, zone engine and event builder turn them into events, which go through the same
ingestion service as the API. Sessions are spread over today's past hours and the previous weeks, with
more of them on weekends and during a promotion, so trends, spikes and promotion pages have numbers.

The live camera (`cam_live_01`): a looping clip of real person pixels (vision.synthetic.demo_scene, written once
under var/demo/) run by the central-mode CameraRunner in a thread of the demo process, through the real
detector, tracker and zone engine, with in-process leases (no Redis) and an annotated frame for the camera page.
Its stream URL is the clip's path, stored here (the API accepts only rtsp/http URLs); the runner opens it only
where CAMERA_ALLOW_FILE_SOURCES is on, which scripts/demo.py sets for its own process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import tempfile
import threading
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

log = logging.getLogger(__name__)

FLOOR_CAMERA_ID = "cam_floor_01"
LIVE_CAMERA_ID = "cam_live_01"
LIVE_ANNOTATE_EVERY_S = 2.0
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


def demo_clip(directory: Path) -> Path:
    """The live camera's clip (and its ground truth, ``live.truth.json``) in ``directory``, written once."""
    from vision.synthetic import demo_scene

    video = Path(directory) / "live.mp4"
    if video.is_file() and video.stat().st_size > 0:
        return video
    scene = demo_scene()
    partial = Path(directory) / "live.partial.mp4"
    scene.write_video(partial)  # then renamed: an interrupted first run leaves no half clip behind
    (Path(directory) / "live.truth.json").write_text(json.dumps(scene.ground_truth(), indent=2))
    partial.replace(video)
    return video


@transaction.atomic
def demo_live_camera(store: Store, clip: Path) -> Camera:
    """The live camera, its zones and door line drawn on the clip's empty floor (screenshot = frame size)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vision.synthetic import demo_scene

    camera = store.cameras.filter(camera_id=LIVE_CAMERA_ID).first()
    if camera is None:
        scene = demo_scene()
        config = scene.camera_config(LIVE_CAMERA_ID)
        camera = camera_create(
            store=store, name="Live Demo Camera (looping clip)", camera_id=LIVE_CAMERA_ID, enabled=True,
            capabilities=["entrance", "zones", "shelves", "queue"], rtsp_url="",
        )
        size = tuple(config["screenshot_size"])
        upload = SimpleUploadedFile("live.png", _png(scene.background), content_type="image/png")
        screenshot_upload(camera=camera, file=upload, width=size[0], height=size[1])
        regions = [("zones", "general", "Shop floor"), ("shelves", "shelf", "Promo shelf"),
                   ("queues", "queue", "Checkout queue")]
        for key, ztype, name in regions:
            for zone_id, points in config[key].items():
                zone_create(camera=camera, name=name, ztype=ztype, polygon=points, screenshot_size=size,
                            zone_id=zone_id)
        start, end = config["entrance_line"]
        entrance_line_set(camera=camera, start=start, end=end, inside_point=config["inside_point"],
                          screenshot_size=size)
    if camera.rtsp_url != str(clip) or not camera.enabled:
        # A file path, which the camera API would refuse: set here, outside the API's validation.
        camera.rtsp_url, camera.enabled = str(clip), True
        camera.save(update_fields=["rtsp_url", "enabled"])
    return camera


def _png(image) -> bytes:
    import cv2

    ok, buffer = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buffer.tobytes()


class LiveDemoCamera:
    """The live camera's CameraRunner in a daemon thread; `stop()` sets its stop event and joins it (the
    runner closes the open visits, flushes events and the heatmap and releases its lease on the way out)."""

    def __init__(self, camera: Camera, *, client=None, engine=None, annotate_every_s: float = LIVE_ANNOTATE_EVERY_S):
        from workers import leases
        from workers.runner import CameraRunner

        self.camera = camera
        self.stop_event = threading.Event()
        self.runner = CameraRunner(camera.pk, engine=engine, stop_event=self.stop_event,
                                   client=client or leases.lease_client(), worker_name="make-demo",
                                   annotate_every_s=annotate_every_s)
        self.reason: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"wink-demo-{camera.camera_id}", daemon=True)

    def _run(self) -> None:
        try:
            self.reason = self.runner.run()
        except BaseException as exc:  # the web server keeps serving; say why the camera stopped
            self.error = exc
            log.exception("demo camera %s: runner crashed", self.camera.camera_id)

    def start(self) -> LiveDemoCamera:
        self.thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> bool:
        """True when the runner thread ended within ``timeout``."""
        self.stop_event.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()


def demo_live_prepare(store: Store, directory: Path) -> Camera:
    """The clip under ``directory`` (written on the first run) and the live camera pointing at it."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    return demo_live_camera(store, demo_clip(directory))
