"""Alert channels over the API (`/api/alert-channels`), scoped to the stores the caller can see.

Organisation members list their stores' channels; only organisation admins (and staff) create, change, delete
or test them. Targets are write-only (webhook URLs hold secrets) and read back masked; Slack/Discord targets must
be on the official hosts and generic webhooks on public addresses (workers/alert_targets.py). The test action
answers only whether the alert was sent, never what the target said.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from cameras.selectors import store_list_for_user, user_is_organization_admin
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


class TestResultSerializer(serializers.Serializer):
    sent = serializers.BooleanField(help_text="Whether the channel accepted the test alert; nothing more is said")


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
ADMINS_ONLY = "only organisation admins may change alert channels"


@extend_schema(tags=["alerts"])
class AlertChannelViewSet(viewsets.ModelViewSet):
    """Where a store's alerts go (camera offline, spikes). Staff see every store; members their organisation's
    (read-only); organisation admins change them."""

    serializer_class = AlertChannelSerializer
    filterset_fields = ["kind", "enabled", "store__store_id"]

    def get_queryset(self):
        return (AlertChannel.objects.filter(store__in=store_list_for_user(self.request.user))
                .select_related("store").order_by("id"))

    def _require_admin(self, store) -> None:
        if not user_is_organization_admin(self.request.user, store.organization):
            raise PermissionDenied(ADMINS_ONLY)

    def create(self, request, *args, **kwargs):
        # Before validation: a member learns nothing about which targets would be accepted.
        reference = request.data.get("store_id") if hasattr(request.data, "get") else None
        store = None
        if isinstance(reference, str) and SLUG.fullmatch(reference):  # anything else: the serializer says 400
            store = store_list_for_user(request.user).filter(store_id=reference).first()
        if store is not None:
            self._require_admin(store)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        self._require_admin(serializer.validated_data["store"])
        serializer.save()

    def update(self, request, *args, **kwargs):
        self._require_admin(self.get_object().store)
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        self._require_admin(serializer.validated_data.get("store", serializer.instance.store))
        serializer.save()

    def perform_destroy(self, instance):
        self._require_admin(instance.store)
        instance.delete()

    @extend_schema(request=None, responses=TestResultSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test message through this channel now; `sent` says whether it was delivered (nothing else)."""
        channel = self.get_object()
        self._require_admin(channel.store)
        result = alert_channel_test(channel)
        return Response({"sent": result.ok}, status=status.HTTP_200_OK)
