from django.contrib import admin

from analytics.models import (
    DailyMetric,
    EntranceEvent,
    HourlyMetric,
    Insight,
    Promotion,
    QueueEvent,
    ShelfEvent,
    SpikeAlert,
    StaleHour,
    ZoneEvent,
)


class ReadOnlyEventAdmin(admin.ModelAdmin):
    """Events are facts from cameras: viewable and searchable, never edited by hand."""

    list_filter = ["source", "store"]
    search_fields = ["event_id", "person_key", "camera_key"]
    date_hierarchy = "ts"
    list_select_related = ["store"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EntranceEvent)
class EntranceEventAdmin(ReadOnlyEventAdmin):
    list_display = ["ts", "store", "camera_key", "direction", "person_key", "source"]
    list_filter = ["direction", *ReadOnlyEventAdmin.list_filter]


@admin.register(ZoneEvent)
class ZoneEventAdmin(ReadOnlyEventAdmin):
    list_display = ["ts", "store", "camera_key", "zone_id", "zone_type", "dwell_seconds", "person_key"]
    list_filter = ["zone_type", *ReadOnlyEventAdmin.list_filter]


@admin.register(ShelfEvent)
class ShelfEventAdmin(ReadOnlyEventAdmin):
    list_display = ["ts", "store", "camera_key", "shelf_id", "dwell_seconds", "person_key"]


@admin.register(QueueEvent)
class QueueEventAdmin(ReadOnlyEventAdmin):
    list_display = ["ts", "store", "camera_key", "queue_id", "wait_seconds", "person_key"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "event_type", "start_date", "end_date", "analyzed_at"]
    list_filter = ["event_type", "store"]
    search_fields = ["name", "description"]
    date_hierarchy = "start_date"
    readonly_fields = ["analysis", "analyzed_at", "created_at"]


@admin.register(HourlyMetric)
class HourlyMetricAdmin(admin.ModelAdmin):
    list_display = ["store", "local_date", "local_hour", "scope", "scope_id", "footfall_in", "footfall_out",
                    "entries", "interactions", "served"]
    list_filter = ["scope", "store"]
    date_hierarchy = "local_date"


@admin.register(DailyMetric)
class DailyMetricAdmin(admin.ModelAdmin):
    list_display = ["store", "date", "scope", "scope_id", "footfall_in", "footfall_dod_pct", "footfall_wow_pct",
                    "footfall_vs_weekday_avg_pct"]
    list_filter = ["scope", "store"]
    date_hierarchy = "date"


@admin.register(SpikeAlert)
class SpikeAlertAdmin(admin.ModelAdmin):
    list_display = ["store", "start", "metric", "scope_id", "observed", "expected", "direction", "kind", "coverage"]
    list_filter = ["kind", "direction", "metric", "store"]
    date_hierarchy = "start"


@admin.register(Insight)
class InsightAdmin(admin.ModelAdmin):
    list_display = ["title", "store", "period_start", "period_end", "source", "created_at"]
    list_filter = ["source", "store"]
    search_fields = ["title", "summary"]
    readonly_fields = ["cited_numbers", "recommendations", "created_at", "trigger", "payload", "error"]


@admin.register(StaleHour)
class StaleHourAdmin(admin.ModelAdmin):
    """Hours waiting for re-aggregation after late events (drained every few minutes by beat)."""

    list_display = ["store", "hour_start", "marked_at"]
    list_filter = ["store"]
    date_hierarchy = "hour_start"
