"""Events (the facts a camera saw) and the stale-hour marks ingestion leaves for re-aggregation.

Events are append-only and idempotent on `event_id`. A deleted camera leaves its events: the FK is
nulled and `camera_key` keeps the slug.

These models moved here from the analytics app; their tables keep their names (`Meta.db_table`), see
migrations/0001_initial.py (state only).
"""

from __future__ import annotations

from django.db import models

from cameras.models import Camera, Store


class EventSource(models.TextChoices):
    EDGE = "edge", "Edge collector"
    CENTRAL = "central", "Central worker"
    IMPORT = "import", "Import / replay"


class BaseEvent(models.Model):
    event_id = models.UUIDField(unique=True)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    camera_key = models.CharField(max_length=100, help_text="Camera slug, kept if the camera is deleted")
    ts = models.DateTimeField()
    person_key = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.EDGE)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["ts"]


class EntranceEvent(BaseEvent):
    class Direction(models.TextChoices):
        IN = "in", "In"
        OUT = "out", "Out"

    direction = models.CharField(max_length=3, choices=Direction.choices)

    class Meta(BaseEvent.Meta):
        db_table = "entrance_events"
        indexes = [
            models.Index(fields=["store", "ts"], name="entrance_store_ts"),
            models.Index(fields=["camera", "ts"], name="entrance_camera_ts"),
        ]


class ZoneEvent(BaseEvent):
    zone_id = models.CharField(max_length=100)
    zone_type = models.CharField(max_length=10, default="general")
    enter_ts = models.DateTimeField()
    exit_ts = models.DateTimeField()
    dwell_seconds = models.FloatField()

    class Meta(BaseEvent.Meta):
        db_table = "zone_events"
        indexes = [
            models.Index(fields=["store", "ts"], name="zone_store_ts"),
            models.Index(fields=["camera", "ts"], name="zone_camera_ts"),
            models.Index(fields=["store", "zone_id", "ts"], name="zone_store_zone_ts"),
        ]


class ShelfEvent(BaseEvent):
    shelf_id = models.CharField(max_length=100)
    enter_ts = models.DateTimeField(null=True, blank=True)
    exit_ts = models.DateTimeField(null=True, blank=True)
    dwell_seconds = models.FloatField()

    class Meta(BaseEvent.Meta):
        db_table = "shelf_interactions"
        indexes = [
            models.Index(fields=["store", "ts"], name="shelf_store_ts"),
            models.Index(fields=["camera", "ts"], name="shelf_camera_ts"),
            models.Index(fields=["store", "shelf_id", "ts"], name="shelf_store_shelf_ts"),
        ]


class QueueEvent(BaseEvent):
    queue_id = models.CharField(max_length=100)
    enter_ts = models.DateTimeField()
    exit_ts = models.DateTimeField()
    wait_seconds = models.FloatField()

    class Meta(BaseEvent.Meta):
        db_table = "queue_events"
        indexes = [
            models.Index(fields=["store", "ts"], name="queue_store_ts"),
            models.Index(fields=["camera", "ts"], name="queue_camera_ts"),
            models.Index(fields=["store", "queue_id", "ts"], name="queue_store_queue_ts"),
        ]


class StaffEvent(BaseEvent):
    """A staff mark (GUIDE §2 Staff): every event of this camera_key and person_key is staff's, not a customer's.

    The mark has no exit_ts; the close at the track's end has exit_ts and dwell_seconds (seconds present).
    Aggregation (analytics/staff.py) leaves out the events of marked tracks and counts staff separately.
    """

    zone_id = models.CharField(max_length=100)
    enter_ts = models.DateTimeField(null=True, blank=True)
    exit_ts = models.DateTimeField(null=True, blank=True)
    dwell_seconds = models.FloatField(null=True, blank=True)

    class Meta(BaseEvent.Meta):
        db_table = "staff_events"
        indexes = [
            models.Index(fields=["store", "ts"], name="staff_store_ts"),
            # The exclusion lookup of every aggregated event: (store, camera, person).
            models.Index(fields=["store", "camera_key", "person_key"], name="staff_store_camera_person"),
        ]


class StaleHour(models.Model):
    """A store-local hour whose aggregates must be recomputed (late or corrected events).

    The ingestion path only upserts rows here (cheap, no task per batch); the aggregation job drains them,
    so a late edge buffer re-aggregates exactly the hours it touches and nothing else.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField(help_text="UTC start of the store-local hour")
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_stalehour"  # the table it had in the analytics app
        ordering = ["hour_start"]
        constraints = [models.UniqueConstraint(fields=["store", "hour_start"], name="stale_hour_unique")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.hour_start:%Y-%m-%d %H:%M}Z"
