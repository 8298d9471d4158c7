from django.contrib import admin

from events.models import EntranceEvent, QueueEvent, ShelfEvent, StaffEvent, StaleHour, ZoneEvent


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


@admin.register(StaffEvent)
class StaffEventAdmin(ReadOnlyEventAdmin):
    """Staff marks and closes (GUIDE §2 Staff): read-only like every event; a wrong mark is fixed at the camera
    (staff zones, uniform switch), not by editing here, so the aggregates stay reproducible from the events."""

    list_display = ["ts", "store", "camera_key", "person_key", "zone_id", "enter_ts", "exit_ts", "dwell_seconds"]


@admin.register(StaleHour)
class StaleHourAdmin(admin.ModelAdmin):
    """Hours waiting for re-aggregation after late events (drained every few minutes by beat)."""

    list_display = ["store", "hour_start", "marked_at"]
    list_filter = ["store"]
    date_hierarchy = "hour_start"
