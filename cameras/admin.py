from django import forms
from django.contrib import admin
from knox.models import AuthToken

from cameras.models import Camera, CameraScreenshot, EdgeKey, Organization, Store
from vision.urls import mask_url


class StoreInline(admin.TabularInline):
    model = Store
    extra = 0
    fields = ["store_id", "name", "timezone"]
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "id", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "admins"]
    inlines = [StoreInline]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["store_id", "name", "organization", "timezone", "created_at"]
    list_filter = ["organization", "timezone"]
    search_fields = ["store_id", "name", "organization__name"]
    list_select_related = ["organization"]


class CameraAdminForm(forms.ModelForm):
    """The stored RTSP URL is never sent to the browser (the page shows it masked): the field is write-only, leave
    it empty to keep the current URL. A new URL passes the model field's validator (cameras/validation.py)."""

    rtsp_url = forms.CharField(
        label="New stream URL", required=False, strip=False, max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only: leave empty to keep the current URL (shown masked above). rtsp://, rtsps://, "
                  "http:// or https:// with a host.",
    )

    detect_url = forms.CharField(
        label="New detect stream URL", required=False, strip=False, max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Optional substream to detect on (e.g. 640x360 at 5 fps). Write-only: leave empty to keep the "
                  "current one (shown masked above); tick 'Clear detect stream' to detect on the main stream again.",
    )
    clear_detect_url = forms.BooleanField(label="Clear detect stream", required=False)

    class Meta:
        model = Camera
        fields = ["store", "camera_id", "name", "enabled", "capabilities", "rtsp_url", "detect_url", "frame_rate",
                  "detection_interval", "min_dwell_seconds", "anchor"]

    def clean_rtsp_url(self):
        value = self.cleaned_data.get("rtsp_url", "")
        if not value and self.instance.pk:
            return self.instance.rtsp_url
        return value

    def clean_detect_url(self):
        value = self.cleaned_data.get("detect_url", "")
        if not value and self.instance.pk and not self.data.get("clear_detect_url"):
            return self.instance.detect_url
        return value


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraAdminForm
    list_display = ["camera_id", "name", "store", "enabled", "status", "last_heartbeat", "masked_rtsp_url",
                    "masked_detect_url"]
    list_filter = ["enabled", "status", "store__organization", "store"]
    search_fields = ["camera_id", "name", "store__store_id", "store__name"]
    list_select_related = ["store"]
    readonly_fields = ["masked_rtsp_url", "masked_detect_url", "status", "last_heartbeat", "masked_last_error",
                       "config_version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["store", "camera_id", "name", "enabled", "capabilities"]}),
        ("Stream", {"fields": ["masked_rtsp_url", "rtsp_url", "masked_detect_url", "detect_url", "clear_detect_url",
                               "frame_rate", "detection_interval"]}),
        ("Analytics", {"fields": ["min_dwell_seconds", "anchor"]}),
        ("Status", {"fields": ["status", "last_heartbeat", "masked_last_error", "config_version", "created_at",
                               "updated_at"]}),
    ]

    @admin.display(description="RTSP URL")
    def masked_rtsp_url(self, camera: Camera) -> str:
        return camera.masked_rtsp_url

    @admin.display(description="Detect stream URL")
    def masked_detect_url(self, camera: Camera) -> str:
        return camera.masked_detect_url or "(main stream)"

    @admin.display(description="Last error")
    def masked_last_error(self, camera: Camera) -> str:
        return mask_url(camera.last_error)


@admin.register(CameraScreenshot)
class CameraScreenshotAdmin(admin.ModelAdmin):
    list_display = ["camera", "width", "height", "uploaded_at"]
    list_filter = ["camera__store"]
    search_fields = ["camera__camera_id"]


@admin.register(EdgeKey)
class EdgeKeyAdmin(admin.ModelAdmin):
    """Keys are created through the API or seed_demo (shown once); the admin can only revoke them."""

    list_display = ["prefix", "camera", "store", "organization", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["store", "organization"]
    search_fields = ["prefix", "camera__camera_id", "store__store_id"]
    readonly_fields = ["id", "organization", "store", "camera", "prefix", "created_at", "last_used_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).")


# API tokens (knox): replace knox's own admin, which lists digests and can mint tokens, with a revoke-only list.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py issue_admin_token` (shown once); here only their prefix, owner and dates
    are listed, and deleting one revokes it."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_filter = ["expiry"]
    search_fields = ["token_key", "user__username"]
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = fields
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
