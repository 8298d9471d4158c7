"""The dashboard API: cameras with their status and today's live numbers of a store (thin: selectors do the work).

Who may read `/api/dashboard/*`: staff; users who are members of the store's organisation (token or session);
edge keys of that store. Anyone else gets 404 for a store they cannot see (403 for an edge key).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.authentication import BearerTokenAuthentication
from cameras.models import EdgeKey, Store
from cameras.selectors import store_list_for_user
from dashboard import selectors
from dashboard.serializers import DashboardCamerasSerializer, LiveSerializer
from events.authentication import EdgeKeyAuthentication
from events.keys import edge_key_allows

STORE_PARAM = OpenApiParameter("store_id", str, required=True, description="Store slug, e.g. store_demo_001")
DASHBOARD_ACCESS = (
    " Who may read: staff (admin token or session); members of the store's organisation (token or session); "
    "edge keys of that store. Another store: 404 for users, 403 for edge keys."
)


class DashboardAPIView(APIView):
    authentication_classes = [EdgeKeyAuthentication, BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def store_for_request(self, request) -> Store:
        store_slug = request.query_params.get("store_id")
        if not store_slug:
            raise ValidationError({"store_id": ["This query parameter is required."]})
        if isinstance(request.auth, EdgeKey):
            store = request.auth.store
            if store.store_id != store_slug or not edge_key_allows(request.auth, store=store):
                raise PermissionDenied(f"this API key is not valid for store {store_slug!r}")
            return store
        store = store_list_for_user(request.user).filter(store_id=store_slug).first()
        if store is None:
            # Same answer for "does not exist" and "not yours": no tenant learns another's slugs.
            raise NotFound(f"store_id: no store {store_slug!r}")
        return store


@extend_schema(tags=["dashboard"])
class DashboardCamerasView(DashboardAPIView):
    @extend_schema(summary="Cameras of a store with status (offline after 2 missed heartbeats)",
                   description="Status is `offline` once 2 × HEARTBEAT_INTERVAL_SECONDS pass without a heartbeat, or "
                   "while the camera is disabled; `error` while a fresh heartbeat reports a failure (cameras.status)."
                   + DASHBOARD_ACCESS,
                   parameters=[STORE_PARAM], responses={200: DashboardCamerasSerializer})
    def get(self, request):
        store = self.store_for_request(request)
        return Response({"store_id": store.store_id, "cameras": selectors.dashboard_cameras(store, timezone.now())})


@extend_schema(tags=["dashboard"])
class DashboardLiveView(DashboardAPIView):
    @extend_schema(
        summary="Live metrics of a store for today (store-local day)",
        description="Computed from stored events (edge and central alike); people_now and per-zone/queue "
                    "counts now come from the cameras' live state." + DASHBOARD_ACCESS,
        parameters=[STORE_PARAM], responses={200: LiveSerializer},
    )
    def get(self, request):
        store = self.store_for_request(request)
        return Response(selectors.live_metrics(store, timezone.now()))

