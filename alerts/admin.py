from django import forms
from django.contrib import admin, messages

from alerts.models import AlertChannel, AlertNotice
from alerts.services import alert_channel_test


class AlertChannelForm(forms.ModelForm):
    """The target is write-only: the form never renders the stored value (webhook URLs hold their secret in the
    path); the current one is shown masked next to it, and a blank field keeps it."""

    target = forms.CharField(
        required=False, max_length=2000, widget=forms.TextInput(attrs={"autocomplete": "off", "size": 80}),
        help_text="E-mail addresses (comma-separated) or the webhook URL. Write-only: leave blank to keep the "
                  "current target (shown masked above).",
    )

    class Meta:
        model = AlertChannel
        fields = ["store", "kind", "target", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["target"] = ""  # never send the stored secret to the browser

    def clean_target(self) -> str:
        value = (self.cleaned_data.get("target") or "").strip()
        if not value:
            if self.instance.pk:
                return self.instance.target
            raise forms.ValidationError("give the e-mail addresses or the webhook URL")
        return value


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    form = AlertChannelForm
    list_display = ["store", "kind", "masked_target", "enabled", "last_sent_at", "last_error"]
    list_filter = ["kind", "enabled", "store"]
    search_fields = ["store__store_id", "store__name"]
    list_select_related = ["store"]
    fields = ["store", "kind", "masked_target", "target", "enabled", "last_sent_at", "last_error", "created_at"]
    readonly_fields = ["masked_target", "last_sent_at", "last_error", "created_at"]
    actions = ["send_test_alert"]

    @admin.action(description="Send a test alert through the selected channels")
    def send_test_alert(self, request, queryset):
        for channel in queryset.select_related("store"):
            if alert_channel_test(channel).ok:
                self.message_user(request, f"{channel}: sent", messages.SUCCESS)
            else:  # only sent / not sent: the target's answer goes to the server log, masked
                self.message_user(request, f"{channel}: not sent", messages.ERROR)

    @admin.display(description="current target")
    def masked_target(self, channel: AlertChannel) -> str:
        return channel.masked_target if channel.pk else "—"


@admin.register(AlertNotice)
class AlertNoticeAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "subject_key", "opened_at", "closed_at"]
    list_filter = ["kind", "store"]
    search_fields = ["subject_key", "store__store_id"]
    readonly_fields = ["store", "kind", "subject_key", "opened_at", "closed_at", "detail"]
