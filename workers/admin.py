from django.contrib import admin

from workers.models import AlertChannel, AlertNotice


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "masked_target", "enabled", "last_sent_at", "last_error"]
    list_filter = ["kind", "enabled", "store"]
    search_fields = ["store__store_id", "store__name"]
    list_select_related = ["store"]
    readonly_fields = ["last_sent_at", "last_error", "created_at"]

    @admin.display(description="target")
    def masked_target(self, channel: AlertChannel) -> str:
        return channel.masked_target


@admin.register(AlertNotice)
class AlertNoticeAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "subject_key", "opened_at", "closed_at"]
    list_filter = ["kind", "store"]
    search_fields = ["subject_key", "store__store_id"]
    readonly_fields = ["store", "kind", "subject_key", "opened_at", "closed_at", "detail"]
