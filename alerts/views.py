"""Alert channels over the API (`/api/alert-channels`), scoped to the stores the caller can see.

Organisation members list their stores' channels; only organisation admins (and staff) create, change, delete
or test them. Targets are write-only (webhook URLs hold secrets) and read back masked; Slack/Discord targets must
be on the official hosts and generic webhooks on public addresses (alerts/targets.py). The test action
answers only whether the alert was sent, never what the target said.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from alerts.models import AlertChannel
from alerts.serializers import AlertChannelSerializer, TestResultSerializer
from alerts.services import alert_channel_test
from cameras.selectors import store_list_for_user, user_is_organization_admin

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
