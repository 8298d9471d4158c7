"""Alert notifications: where a store's alerts go (e-mail, Slack, Discord, generic webhook) and open notices."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from alerts.targets import AlertTargetError, alert_target_mask, alert_target_validate
from cameras.fields import EncryptedTextField
from cameras.models import Store


class AlertChannel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        SLACK = "slack", "Slack incoming webhook"
        DISCORD = "discord", "Discord webhook"
        WEBHOOK = "webhook", "Generic JSON webhook"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="alert_channels")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Webhook URLs embed their secret token: encrypted at rest like RTSP URLs (cameras/fields.py).
    target = EncryptedTextField(
        max_length=2000, help_text="E-mail addresses (comma-separated) or the webhook URL"
    )
    enabled = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workers_alertchannel"  # created by the workers app, which these models left (0003)
        ordering = ["store__store_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.store.store_id}"

    @property
    def recipients(self) -> list[str]:
        return [item.strip() for item in self.target.split(",") if item.strip()]

    @property
    def masked_target(self) -> str:
        """The only form of the target shown anywhere (admin, API, logs): webhook paths hold the secret."""
        return alert_target_mask(self.kind, self.target)

    def clean(self) -> None:
        if self.kind == self.Kind.EMAIL:
            if not self.recipients:
                raise ValidationError({"target": "give at least one e-mail address"})
            for address in self.recipients:
                try:
                    validate_email(address)
                except ValidationError:
                    raise ValidationError({"target": f"{address!r} is not an e-mail address"}) from None
        else:
            # Slack/Discord on their official hosts only; generic webhooks to public addresses only (SSRF).
            try:
                alert_target_validate(self.kind, self.target)
            except AlertTargetError as error:
                raise ValidationError({"target": str(error)}) from None


class AlertNotice(models.Model):
    """An open (or closed) condition that was notified once: e.g. one camera outage."""

    class Kind(models.TextChoices):
        CAMERA_OFFLINE = "camera_offline", "Camera offline"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="alert_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_key = models.CharField(max_length=100, help_text="What the notice is about, e.g. the camera slug")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "workers_alertnotice"
        ordering = ["-opened_at"]
        constraints = [
            # At most one open notice per condition: a second check in the same outage finds it and stays quiet.
            models.UniqueConstraint(
                fields=["store", "kind", "subject_key"], condition=models.Q(closed_at__isnull=True),
                name="alert_notice_one_open",
            )
        ]

    def __str__(self) -> str:
        state = "open" if self.closed_at is None else "closed"
        return f"{self.get_kind_display()} {self.subject_key} ({state})"
