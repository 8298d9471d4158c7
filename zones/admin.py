from django.contrib import admin

from cameras.services import camera_bump_config_version
from zones.models import EntranceLine, Zone


class BumpCameraConfigMixin:
    """Saving geometry in the admin must reach running workers like an API change does."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        camera_bump_config_version(obj.camera)

    def delete_model(self, request, obj):
        camera = obj.camera
        super().delete_model(request, obj)
        camera_bump_config_version(camera)


@admin.register(Zone)
class ZoneAdmin(BumpCameraConfigMixin, admin.ModelAdmin):
    list_display = ["zone_id", "name", "ztype", "camera", "screenshot_width", "screenshot_height", "updated_at"]
    list_filter = ["ztype", "camera__store", "camera"]
    search_fields = ["zone_id", "name", "camera__camera_id"]
    list_select_related = ["camera"]


@admin.register(EntranceLine)
class EntranceLineAdmin(BumpCameraConfigMixin, admin.ModelAdmin):
    list_display = ["camera", "start_x", "start_y", "end_x", "end_y", "inside_x", "inside_y", "updated_at"]
    list_filter = ["camera__store"]
    search_fields = ["camera__camera_id"]
