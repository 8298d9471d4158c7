"""Alert channels over the API (`/api/alert-channels`), scoped to the stores the caller can see.

Store managers (organisation members, not staff) configure their own store's e-mail/Slack/Discord/webhook
channels here; targets are write-only (webhook URLs hold secrets) and read back masked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cameras.selectors import store_list_for_user
from workers.alerts import alert_channel_test
from workers.models import AlertChannel


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


class DeliverySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)


@extend_schema(tags=["alerts"])
class AlertChannelViewSet(viewsets.ModelViewSet):
    """Where a store's alerts go (camera offline, spikes). Staff see every store; members their organisation's."""

    serializer_class = AlertChannelSerializer
    filterset_fields = ["kind", "enabled", "store__store_id"]

    def get_queryset(self):
        return (AlertChannel.objects.filter(store__in=store_list_for_user(self.request.user))
                .select_related("store").order_by("id"))

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message through this channel now; `ok` says whether it was delivered."""
        result = alert_channel_test(self.get_object())
        return Response({"ok": result.ok, "error": result.error}, status=status.HTTP_200_OK)
