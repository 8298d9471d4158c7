"""Seeded data for the browser tests: two organisations, a store with cameras, events, metrics and a heatmap."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from analytics.models import DailyMetric, HourlyMetric, Insight, MetricScope, Promotion
from cameras.heatmaps import camera_heatmap_add
from cameras.models import Camera, CameraScreenshot, Organization, Store
from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent
from vision.heatmap import HeatmapGrid
from zones.models import EntranceLine, Zone

PASSWORD = "Wink-e2e-pass-1"
SHOT_SIZE = (1280, 720)
FLOOR_GREY = (120, 124, 130)


@dataclass
class Seed:
    store: Store
    floor: Camera
    door: Camera
    other_store: Store
    other_camera: Camera
    alice: object
    bob: object
    footfall_in: int
    footfall_out: int
    event_ts: object  # when today's seeded events happened


def screenshot_png(size=SHOT_SIZE) -> bytes:
    """A plain shop-floor picture: grey floor, two shelf blocks, a counter; flat colours so tests can sample pixels."""
    image = Image.new("RGB", size, FLOOR_GREY)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle([int(w * 0.05), int(h * 0.08), int(w * 0.30), int(h * 0.22)], fill=(160, 110, 60))
    draw.rectangle([int(w * 0.70), int(h * 0.08), int(w * 0.95), int(h * 0.22)], fill=(160, 110, 60))
    draw.rectangle([int(w * 0.72), int(h * 0.70), int(w * 0.97), int(h * 0.80)], fill=(70, 70, 80))
    draw.line([(int(w * 0.02), int(h * 0.95)), (int(w * 0.40), int(h * 0.95))], fill=(230, 230, 230), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _event_id() -> uuid.UUID:
    return uuid.uuid4()


def _base(store: Store, camera: Camera, ts: dt.datetime, person: str) -> dict:
    return {"event_id": _event_id(), "store": store, "camera": camera, "camera_key": camera.camera_id, "ts": ts,
            "person_key": person, "source": "central"}


def seed_all(suffix: str | None = None) -> Seed:
    suffix = suffix or uuid.uuid4().hex[:8]
    users = get_user_model().objects
    alice = users.create_user(username=f"alice_{suffix}", password=PASSWORD)
    bob = users.create_user(username=f"bob_{suffix}", password=PASSWORD)
    org_a = Organization.objects.create(name="Riverside Retail", slug=f"riverside-{suffix}")
    org_b = Organization.objects.create(name="Other Retail", slug=f"other-{suffix}")
    org_a.members.add(alice)
    org_b.members.add(bob)
    store = Store.objects.create(organization=org_a, store_id=f"riverside_{suffix}", name="Riverside Market",
                                 timezone="Europe/Paris")
    other_store = Store.objects.create(organization=org_b, store_id=f"other_{suffix}", name="Other Shop")
    now = timezone.now()
    floor = Camera.objects.create(store=store, camera_id="cam_floor", name="Shop floor",
                                  capabilities=["zones", "queue"], status=Camera.Status.ONLINE, last_heartbeat=now)
    door = Camera.objects.create(store=store, camera_id="cam_door", name="Front door", capabilities=["entrance"],
                                 status=Camera.Status.ONLINE, last_heartbeat=now - dt.timedelta(hours=2))
    other_camera = Camera.objects.create(store=other_store, camera_id="cam_other", name="Other camera")

    shot = CameraScreenshot(camera=floor, width=SHOT_SIZE[0], height=SHOT_SIZE[1])
    shot.image.save("floor.png", ContentFile(screenshot_png()), save=True)
    Zone.objects.create(camera=floor, zone_id="electronics", name="Electronics", ztype="general",
                        polygon=[[80, 200], [420, 200], [420, 520], [80, 520]], screenshot_width=1280,
                        screenshot_height=720)
    Zone.objects.create(camera=floor, zone_id="shelf_promo", name="Promo shelf", ztype="shelf",
                        polygon=[[900, 60], [1210, 60], [1210, 170], [900, 170]], screenshot_width=1280,
                        screenshot_height=720)
    Zone.objects.create(camera=floor, zone_id="checkout", name="Checkout", ztype="queue",
                        polygon=[[900, 480], [1250, 480], [1250, 600], [900, 600]], screenshot_width=1280,
                        screenshot_height=720)
    EntranceLine.objects.create(camera=door, start_x=100, start_y=650, end_x=500, end_y=650, inside_x=300,
                                inside_y=450, screenshot_width=1280, screenshot_height=720)

    # Today's events, a minute old (well inside the store-local day except in the first minute after midnight).
    ts = max(now - dt.timedelta(minutes=1), timezone.localtime(now, store.tzinfo).replace(hour=0, minute=0, second=1))
    footfall_in, footfall_out = 7, 3
    for i in range(footfall_in):
        EntranceEvent.objects.create(direction="in", **_base(store, door, ts, f"t{i}"))
    for i in range(footfall_out):
        EntranceEvent.objects.create(direction="out", **_base(store, door, ts, f"t{i}"))
    for i, dwell in enumerate([30.0, 45.0, 60.0, 90.0, 15.0]):
        ZoneEvent.objects.create(zone_id="electronics", zone_type="general", enter_ts=ts - dt.timedelta(seconds=dwell),
                                 exit_ts=ts, dwell_seconds=dwell, **_base(store, floor, ts, f"t{i % 3}"))
    for i, dwell in enumerate([5.0, 12.0, 8.0, 20.0]):
        ShelfEvent.objects.create(shelf_id="shelf_promo", enter_ts=ts - dt.timedelta(seconds=dwell), exit_ts=ts,
                                  dwell_seconds=dwell, **_base(store, floor, ts, f"t{i}"))
    for i, wait in enumerate([40.0, 60.0, 110.0]):
        QueueEvent.objects.create(queue_id="checkout", enter_ts=ts - dt.timedelta(seconds=wait), exit_ts=ts,
                                  wait_seconds=wait, **_base(store, floor, ts, f"t{i}"))
    # The same weekday last week, for the comparison.
    for i in range(5):
        EntranceEvent.objects.create(direction="in", **_base(store, door, ts - dt.timedelta(days=7), f"w{i}"))

    today = timezone.localtime(now, store.tzinfo).date()
    for back in range(1, 21):
        day = today - dt.timedelta(days=back)
        footfall = 120 + 40 * (day.weekday() >= 5) + (back * 7) % 23
        if 6 <= back <= 10:  # the promotion below lifted footfall by about a third
            footfall = round(footfall * 1.35)
        DailyMetric.objects.create(store=store, scope=MetricScope.STORE, scope_id="", date=day, footfall_in=footfall,
                                   footfall_out=footfall - 4, dwell_avg=50 + back % 9, wait_avg=40 + back % 5,
                                   peak_occupancy=18 + back % 6, footfall_wow_pct=(back % 7) * 2.5 - 6)
    for hour in range(9, 13):
        start = dt.datetime.combine(today, dt.time(hour), tzinfo=store.tzinfo).astimezone(dt.UTC)
        HourlyMetric.objects.create(store=store, scope=MetricScope.STORE, scope_id="", hour_start=start,
                                    local_date=today, local_hour=hour, footfall_in=10 + hour, footfall_out=8 + hour,
                                    dwell_avg=42.5)
    seed_hourly_history(store, door, today)
    yesterday = today - dt.timedelta(days=1)
    Insight.objects.create(store=store, period_start=yesterday, period_end=yesterday,
                           title="Saturday traffic peaked at 15:00", source="rules",
                           summary="Footfall was 18% above the usual Saturday; the checkout queue peaked at 4 minutes.",
                           recommendations=[{"text": "Open a second till between 14:00 and 16:00", "priority": "high"}],
                           cited_numbers=[{"label": "footfall_in", "value": 164, "unit": "people"}])
    promotion = Promotion.objects.create(store=store, name="Autumn sale", start_date=today - dt.timedelta(days=10),
                                         end_date=today - dt.timedelta(days=6), description="20% off electronics")
    from analytics.promotions import promotion_analyze

    promotion_analyze(promotion)

    grid = HeatmapGrid.for_frame(*SHOT_SIZE)
    points = [(250 + (i % 17) * 6, 380 + (i % 11) * 5) for i in range(400)]
    points += [(1050 + (i % 9) * 10, 540 + (i % 5) * 8) for i in range(250)]
    grid.add_points(points)
    camera_heatmap_add(floor, grid, now)

    return Seed(store=store, floor=floor, door=door, other_store=other_store, other_camera=other_camera, alice=alice,
                bob=bob, footfall_in=footfall_in, footfall_out=footfall_out, event_ts=ts)


SPIKE_DAYS_AGO, FAULT_DAYS_AGO = 3, 4


def seed_hourly_history(store: Store, door: Camera, today: dt.date) -> None:
    """Five weeks of steady hours (10:00-18:00, ~20 in per hour), one real spike and one camera outage.

    Three days ago at 15:00 footfall jumps to 80 (traffic); four days ago at 12:00 the door camera sent no
    heartbeat and counted nothing (a data fault, not a drop in traffic).
    """
    rows = []
    for back in range(1, 36):
        day = today - dt.timedelta(days=back)
        for hour in range(10, 19):
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=store.tzinfo).astimezone(dt.UTC)
            value = 20 + (back + hour) % 3
            online = True
            if back == SPIKE_DAYS_AGO and hour == 15:
                value = 80
            if back == FAULT_DAYS_AGO and hour == 12:
                value, online = 0, False
            common = {"store": store, "hour_start": start, "local_date": day, "local_hour": hour,
                      "footfall_in": value, "footfall_out": max(0, value - 2)}
            rows.append(HourlyMetric(scope=MetricScope.STORE, scope_id="", **common))
            rows.append(HourlyMetric(scope=MetricScope.CAMERA, scope_id=door.camera_id, camera_online=online, **common))
    HourlyMetric.objects.bulk_create(rows)


def seed_live_state(seed: Seed) -> None:
    """What a running worker would publish: people in view now (read by the live dashboard API)."""
    from events.live import live_state_write

    live_state_write(seed.store.store_id, "cam_floor",
                     {"people": 6, "zones": {"electronics": 2}, "queues": {"checkout": 1}}, ttl=600)
