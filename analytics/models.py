"""Events (the facts a camera saw) and what analytics derives from them.

Events are append-only and idempotent on `event_id`. A deleted camera leaves its events: the FK is
nulled and `camera_key` keeps the slug.
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


class MetricScope(models.TextChoices):
    STORE = "store", "Store"
    CAMERA = "camera", "Camera"
    ZONE = "zone", "Zone"
    SHELF = "shelf", "Shelf"
    QUEUE = "queue", "Queue"


class MetricFields(models.Model):
    """Numbers shared by hourly and daily aggregates (None where a metric does not apply)."""

    scope = models.CharField(max_length=10, choices=MetricScope.choices)
    scope_id = models.CharField(max_length=100, blank=True, help_text="camera/zone/shelf/queue slug; empty for store")
    footfall_in = models.PositiveIntegerField(default=0)
    footfall_out = models.PositiveIntegerField(default=0)
    unique_visitors = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    dwell_avg = models.FloatField(null=True, blank=True)
    dwell_median = models.FloatField(null=True, blank=True)
    interactions = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    wait_avg = models.FloatField(null=True, blank=True)
    wait_p90 = models.FloatField(null=True, blank=True)
    wait_max = models.FloatField(null=True, blank=True)
    peak_occupancy = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class HourlyMetric(MetricFields):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="hourly_metrics")
    hour_start = models.DateTimeField(help_text="UTC start of the store-local hour")
    local_date = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    # Camera scope only: did the camera report (heartbeat) during this hour? None = unknown (backfill).
    camera_online = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["hour_start"]
        constraints = [
            models.UniqueConstraint(fields=["store", "scope", "scope_id", "hour_start"], name="hourly_metric_unique")
        ]
        indexes = [
            models.Index(fields=["store", "scope", "local_date"], name="hourly_store_scope_date"),
            # Spike detection reads weeks of store+camera hours by time.
            models.Index(fields=["store", "scope", "hour_start"], name="hourly_store_scope_hour"),
        ]


class DailyMetric(MetricFields):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="daily_metrics")
    date = models.DateField(help_text="Store-local date")
    footfall_dod_pct = models.FloatField(null=True, blank=True, help_text="Day over day change of footfall in")
    footfall_wow_pct = models.FloatField(null=True, blank=True, help_text="Week over week change of footfall in")
    footfall_vs_weekday_avg_pct = models.FloatField(
        null=True, blank=True, help_text="Against the average of the same weekday over the last 4 weeks"
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["store", "scope", "scope_id", "date"], name="daily_metric_unique")
        ]
        indexes = [models.Index(fields=["store", "scope", "date"], name="daily_store_scope_date")]


class Promotion(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="promotions")
    name = models.CharField(max_length=200)
    event_type = models.CharField(max_length=50, default="promotion")
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.TextField(blank=True)
    control_stores = models.ManyToManyField(
        Store, blank=True, related_name="+", help_text="Comparable stores without the promotion (optional)"
    )
    analysis = models.JSONField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="promotion_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date} – {self.end_date})"


class SpikeAlert(models.Model):
    class Direction(models.TextChoices):
        UP = "up", "Up"
        DOWN = "down", "Down"

    class Kind(models.TextChoices):
        TRAFFIC = "traffic", "Traffic change"
        DATA_FAULT = "data_fault", "Data fault"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="spikes")
    start = models.DateTimeField()
    end = models.DateTimeField()
    metric = models.CharField(max_length=50)
    scope_id = models.CharField(max_length=100, blank=True)
    observed = models.FloatField()
    expected = models.FloatField()
    score = models.FloatField()
    direction = models.CharField(max_length=4, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    coverage = models.FloatField(default=1.0, help_text="Share of the period with working cameras (0..1)")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [models.UniqueConstraint(fields=["store", "metric", "scope_id", "start"], name="spike_unique")]


class Insight(models.Model):
    class Source(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        RULES = "rules", "Rule-based"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="insights")
    period_start = models.DateField()
    period_end = models.DateField()
    title = models.CharField(max_length=300)
    summary = models.TextField()
    recommendations = models.JSONField(default=list)
    cited_numbers = models.JSONField(default=dict, help_text="The figures the insight rests on")
    source = models.CharField(max_length=10, choices=Source.choices)
    model_name = models.CharField(max_length=100, blank=True)
    trigger = models.CharField(max_length=20, default="daily", help_text="daily job or on_demand")
    payload = models.JSONField(default=dict, blank=True, help_text="The aggregates sent (no images, no person keys)")
    error = models.TextField(blank=True, help_text="Why the rule-based fallback was used, if it was")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class StaleHour(models.Model):
    """A store-local hour whose aggregates must be recomputed (late or corrected events).

    The ingestion path only upserts rows here (cheap, no task per batch); the aggregation job drains them,
    so a late edge buffer re-aggregates exactly the hours it touches and nothing else.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField(help_text="UTC start of the store-local hour")
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["hour_start"]
        constraints = [models.UniqueConstraint(fields=["store", "hour_start"], name="stale_hour_unique")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.hour_start:%Y-%m-%d %H:%M}Z"
