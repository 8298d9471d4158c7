from django.contrib import admin, messages

from workers.alerts import alert_channel_test
from workers.models import AlertChannel, AlertNotice


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "masked_target", "enabled", "last_sent_at", "last_error"]
    list_filter = ["kind", "enabled", "store"]
    search_fields = ["store__store_id", "store__name"]
    list_select_related = ["store"]
    readonly_fields = ["last_sent_at", "last_error", "created_at"]
    actions = ["send_test_alert"]

    @admin.action(description="Send a test alert through the selected channels")
    def send_test_alert(self, request, queryset):
        for channel in queryset.select_related("store"):
            result = alert_channel_test(channel)
            if result.ok:
                self.message_user(request, f"{channel}: sent", messages.SUCCESS)
            else:
                self.message_user(request, f"{channel}: {result.error}", messages.ERROR)

    @admin.display(description="target")
    def masked_target(self, channel: AlertChannel) -> str:
        return channel.masked_target


@admin.register(AlertNotice)
class AlertNoticeAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "subject_key", "opened_at", "closed_at"]
    list_filter = ["kind", "store"]
    search_fields = ["subject_key", "store__store_id"]
    readonly_fields = ["store", "kind", "subject_key", "opened_at", "closed_at", "detail"]
