"""Serializers of the alert-channel API (alerts/views.py): targets are write-only and read back masked."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from alerts.models import AlertChannel
from cameras.selectors import store_list_for_user


class AlertChannelSerializer(serializers.ModelSerializer):
    store_id = serializers.SlugField(write_only=True, help_text="The store's slug, e.g. store_demo_001")
    store = serializers.SlugRelatedField(slug_field="store_id", read_only=True)
    target = serializers.CharField(write_only=True, max_length=2000,
                                   help_text="E-mail addresses (comma-separated) or the webhook URL")
    target_masked = serializers.CharField(source="masked_target", read_only=True)

    class Meta:
        model = AlertChannel
        fields = ["id", "store", "store_id", "kind", "target", "target_masked", "enabled", "last_sent_at",
                  "last_error", "created_at"]
        read_only_fields = ["last_sent_at", "last_error", "created_at"]

    def validate_store_id(self, value: str):
        store = store_list_for_user(self.context["request"].user).filter(store_id=value).first()
        if store is None:
            raise serializers.ValidationError(f"unknown store {value!r}")
        return store

    def validate(self, attrs):
        store = attrs.pop("store_id", None)
        if store is not None:
            attrs["store"] = store
        channel = AlertChannel(**{**self._current(), **attrs})
        try:
            channel.clean()
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {"store": self.instance.store, "kind": self.instance.kind, "target": self.instance.target}


class TestResultSerializer(serializers.Serializer):
    sent = serializers.BooleanField(help_text="Whether the channel accepted the test alert; nothing more is said")
