from django.contrib import admin

from analytics.models import DailyMetric, HourlyMetric, Insight, Promotion, SpikeAlert


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
