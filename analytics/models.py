"""What analytics derives from events (events/models.py): aggregates, promotions, spikes, insights."""

from __future__ import annotations

from django.db import models

from cameras.models import Store


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
    # Point of sale (pos app), store scope only; all None where the period has no POS data (GUIDE §2: an hour
    # with footfall but no POS data has no conversion, never 0). pos_footfall_in = footfall_in of the hours
    # that have POS data: conversion's denominator, so a day's uncovered hours never dilute it.
    transactions = models.PositiveIntegerField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    pos_footfall_in = models.PositiveIntegerField(null=True, blank=True)
    conversion_rate = models.FloatField(null=True, blank=True, help_text="transactions ÷ footfall in (0..1)")
    avg_transaction_value = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    revenue_per_visitor = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    # GUIDE §2 Staff: staff tracks add nothing above; counted here (store and camera scope; analytics/staff.py).
    staff_crossings = models.PositiveIntegerField(default=0, help_text="Entrance crossings of staff, left out")
    staff_seconds = models.FloatField(default=0.0, help_text="Seconds staff tracks were present (staff-hours × 3600)")
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
        # Transactions fell against footfall that held: staffing, stock-outs (POS data; analytics/spikes.py).
        CONVERSION = "conversion", "Conversion drop (footfall held)"

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
