"""Edge ingestion and edge-key administration (thin: services do the work).

Who may call what:
- `/api/admin/edge-keys…`: staff users (admin token `Authorization: Bearer <token>` or a staff session).
- `/api/ingest/events|heartbeat`: edge keys only; a key writes only its own store (and camera, if the
  key is bound to one): another org, store or camera → 403.
- `/api/dashboard/*` (dashboard/views.py): staff, members of the store's organisation, edge keys of that store.
- `/api/ingest/health`: public.
"""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.authentication import BearerTokenAuthentication
from cameras.models import Camera, EdgeKey, Organization, Store
from common.api import body_too_large_message
from common.instruments import ingest_events_count
from events import timebounds
from events.authentication import EdgeKeyAuthentication
from events.keys import edge_key_create, edge_key_revoke
from events.live import LiveStateError, live_state_validate
from events.serializers import (
    EdgeKeyCreateSerializer,
    EdgeKeyInfoSerializer,
    EdgeKeyIssuedSerializer,
    EventBatchResultSerializer,
    EventBatchSerializer,
    HealthSerializer,
    HeartbeatResultSerializer,
    HeartbeatSerializer,
)
from events.services import LIVE_KEYS, camera_heartbeat_record, events_record_batch
from events.throttles import EdgeKeyRateThrottle
from vision.events import iso

MAX_SLUG_LENGTH = 100  # Store.store_id / Camera.camera_id
KEY_MESSAGE = "⚠️  Store this API key securely - it won't be shown again!"
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Malformed JSON or a bad field (the message names it)"),
    401: OpenApiResponse(description="Missing, unknown or revoked key"),
    403: OpenApiResponse(description="The key belongs to another organisation, store or camera"),
}


def max_batch_events() -> int:
    return int(getattr(settings, "INGEST_MAX_BATCH_EVENTS", 1000))


def max_body_bytes() -> int:
    return int(getattr(settings, "INGEST_MAX_BODY_BYTES", 2 * 1024 * 1024))


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request body too large"
    default_code = "payload_too_large"


class LimitedJSONParser(BaseParser):
    """JSON with a hard size limit (413), read straight from the stream (never buffered beyond it)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise PayloadTooLarge(body_too_large_message(limit))
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(body_too_large_message(limit))
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise ParseError(f"body: malformed JSON ({str(error)[:200]})") from None


def _required_text(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None or value == "":
        raise ValidationError({name: ["This field is required."]})
    if not isinstance(value, str):
        raise ValidationError({name: ["Expected a string."]})
    if len(value) > MAX_SLUG_LENGTH:
        raise ValidationError({name: [f"At most {MAX_SLUG_LENGTH} characters."]})
    return value


def _device_body(request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"body": ["Expected a JSON object."]})
    return data


def _store_and_camera_for_key(edge_key: EdgeKey, data: dict) -> tuple[Store, Camera]:
    """Check the body's org/store/camera against the key (400 for malformed, 403 for someone else's)."""
    store_slug = _required_text(data, "store_id")
    camera_slug = _required_text(data, "camera_id")
    org_id = data.get("org_id")
    if org_id is not None:
        try:
            org_uuid = uuid.UUID(str(org_id))
        except ValueError:
            raise ValidationError({"org_id": ["Must be a valid UUID."]}) from None
        if org_uuid != edge_key.organization_id:
            raise PermissionDenied("this API key does not belong to that organisation")
    store = edge_key.store
    if store_slug != store.store_id:
        raise PermissionDenied(f"this API key is not valid for store {store_slug!r}")
    if edge_key.camera_id is not None:
        if camera_slug != edge_key.camera.camera_id:
            raise PermissionDenied(
                f"this API key is bound to camera {edge_key.camera.camera_id!r}, not {camera_slug!r} "
                "(give each camera its own api_key, or use a store-wide key created without camera_id)")
        return store, edge_key.camera
    camera = Camera.objects.filter(store=store, camera_id=camera_slug).first()
    if camera is None:
        raise ValidationError({"camera_id": [f"no camera {camera_slug!r} in store {store.store_id!r}"]})
    camera.store = store
    return store, camera


def _device_ts(data: dict):
    """The device clock, only parsed (never bounded: a skewed clock is what clock_skew_seconds reports),
    but never raising out either (an offset past year 1 or 9999 is a 400 naming device_ts)."""
    if data.get("device_ts") is None:
        return None
    try:
        return timebounds.parse_instant(data["device_ts"], "device_ts")
    except timebounds.TimeBoundError as error:
        raise ValidationError({"device_ts": [error.message]}) from None


def _count_outcomes(result) -> None:
    """Prometheus `wink_ingest_events_total{outcome}` (common/instruments.py; IngestionErrorRate alerts on it)."""
    ingest_events_count("accepted", result.accepted)
    ingest_events_count("duplicate", result.duplicates)
    ingest_events_count("rejected", len(result.rejected))


class EdgeAPIView(APIView):
    authentication_classes = [EdgeKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [EdgeKeyRateThrottle]
    parser_classes = [LimitedJSONParser]


@extend_schema(tags=["ingest"])
class IngestEventsView(EdgeAPIView):
    @extend_schema(
        summary="Send a batch of events (idempotent)",
        description=(
            "Up to 1000 GUIDE §3 events of one camera. Each event is validated on its own: valid events are "
            "stored even if others are rejected. A retried batch is stored once: events already stored count as "
            "`duplicates`. Events without `event_id` get a deterministic one. Timestamps (ts, enter_ts, exit_ts) "
            "more than 5 minutes ahead of server time are rejected (code `future_timestamp`), as are timestamps "
            "before 2000-01-01T00:00:00Z (code `invalid`); each rejection names its field. Late events are accepted."
        ),
        request=EventBatchSerializer,
        responses={200: EventBatchResultSerializer, **ERROR_RESPONSES,
                   413: OpenApiResponse(description="Body over INGEST_MAX_BODY_BYTES or over 1000 events"),
                   429: OpenApiResponse(description="Too many requests for this key; see Retry-After")},
    )
    def post(self, request):
        data = _device_body(request)
        events = data.get("events")
        if events is None:
            raise ValidationError({"events": ["This field is required."]})
        if not isinstance(events, list):
            raise ValidationError({"events": ["Expected a list of events."]})
        if not events:
            raise ValidationError({"events": ["Must hold at least one event."]})
        if len(events) > max_batch_events():
            raise PayloadTooLarge(f"events: at most {max_batch_events()} events per batch (got {len(events)})")
        dry_run = data.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ValidationError({"dry_run": ["Expected true or false."]})
        store, camera = _store_and_camera_for_key(request.auth, data)
        _device_ts(data)
        result = events_record_batch(store=store, camera=camera, events=events, source="edge", dry_run=dry_run)
        if not dry_run:
            _count_outcomes(result)
        body = {"status": "ok", "store_id": store.store_id, "camera_id": camera.camera_id, **result.as_dict(),
                "dry_run": dry_run, "server_ts": iso(timezone.now(), "s")}
        return Response(body, status=status.HTTP_200_OK)


@extend_schema(tags=["ingest"])
class HeartbeatView(EdgeAPIView):
    @extend_schema(summary="Camera heartbeat from an edge collector", request=HeartbeatSerializer,
                   responses={200: HeartbeatResultSerializer, **ERROR_RESPONSES})
    def post(self, request):
        data = _device_body(request)
        status_data = data.get("status_data") or {}
        if not isinstance(status_data, dict):
            raise ValidationError({"status_data": ["Expected a JSON object."]})
        if len(json.dumps(status_data)) > 16 * 1024:
            raise ValidationError({"status_data": ["At most 16 KiB."]})
        try:  # the live keys go to the cache every reader trusts: check them against the live-state schema
            live_state_validate({key: status_data[key] for key in LIVE_KEYS if key in status_data})
        except LiveStateError as error:
            raise ValidationError({f"status_data.{error.field}": [error.message]}) from None
        _, camera = _store_and_camera_for_key(request.auth, data)
        device_ts = _device_ts(data)
        camera = camera_heartbeat_record(camera=camera, status_data=status_data)
        skew = (device_ts - camera.last_heartbeat).total_seconds() if device_ts else None
        return Response({
            "status": "ok",
            "camera_id": camera.camera_id,
            "camera_status": camera.status,
            "server_ts": iso(camera.last_heartbeat, "s"),
            "heartbeat_interval_seconds": settings.HEARTBEAT_INTERVAL_SECONDS,
            "clock_skew_seconds": round(skew, 3) if skew is not None else None,
        })


@extend_schema(tags=["ingest"])
class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(summary="Ingestion health (database and cache)",
                   responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        body = {"status": "ok", "database": "ok", "cache": "ok", "server_ts": iso(timezone.now(), "s")}
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:
            body.update(status="error", database=f"error: {type(error).__name__}")
        try:
            cache.set("wink:health", 1, 10)
            if cache.get("wink:health") != 1:
                raise RuntimeError("read back failed")
        except Exception as error:
            body.update(status="error", cache=f"error: {type(error).__name__}")
        healthy = body["status"] == "ok"
        return Response(body, status=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE)


# ------------------------------------------------------------------------------------- admin


class AdminAPIView(APIView):
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]


@extend_schema(tags=["admin"])
class EdgeKeyListCreateView(AdminAPIView):
    @extend_schema(
        summary="Create an edge API key",
        description="For one camera (camera_id) or, without camera_id, for every camera of the store. "
                    "The key is in this response only; the server keeps its SHA-256.",
        request=EdgeKeyCreateSerializer,
        responses={201: EdgeKeyIssuedSerializer, 400: OpenApiResponse(), 401: OpenApiResponse()},
    )
    def post(self, request):
        serializer = EdgeKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = Organization.objects.filter(pk=data["org_id"]).first()
        if organization is None:
            raise ValidationError({"org_id": [f"no organisation {data['org_id']}"]})
        store = Store.objects.filter(organization=organization, store_id=data["store_id"]).first()
        if store is None:
            raise ValidationError({"store_id": [f"no store {data['store_id']!r} in this organisation"]})
        camera = None
        if data.get("camera_id"):
            camera = Camera.objects.filter(store=store, camera_id=data["camera_id"]).first()
            if camera is None:
                raise ValidationError({"camera_id": [f"no camera {data['camera_id']!r} in store {store.store_id!r}"]})
        try:
            issued = edge_key_create(organization=organization, store=store, camera=camera)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        key = issued.edge_key
        return Response({
            "id": str(key.pk),
            "api_key": issued.api_key,
            "org_id": str(organization.pk),
            "store_id": store.store_id,
            "camera_id": camera.camera_id if camera else None,
            "prefix": key.prefix,
            "created_at": iso(key.created_at, "s"),
            "message": KEY_MESSAGE,
        }, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List edge keys (never the keys themselves)",
        parameters=[OpenApiParameter("store_id", str, required=False)],
        responses={200: inline_serializer("EdgeKeyList", {"keys": EdgeKeyInfoSerializer(many=True)})},
    )
    def get(self, request):
        keys = EdgeKey.objects.select_related("store", "camera").order_by("-created_at")
        if request.query_params.get("store_id"):
            keys = keys.filter(store__store_id=request.query_params["store_id"])
        return Response({"keys": EdgeKeyInfoSerializer(keys, many=True).data})


KEY_ID_PARAM = OpenApiParameter("key_id", uuid.UUID, OpenApiParameter.PATH, description="Edge key id")


def _edge_key_or_404(key_id: str) -> EdgeKey:
    try:
        key_uuid = uuid.UUID(str(key_id))
    except ValueError:
        raise NotFound("key_id: no such edge key") from None
    return get_object_or_404(EdgeKey.objects.select_related("store", "camera"), pk=key_uuid)


@extend_schema(tags=["admin"], parameters=[KEY_ID_PARAM])
class EdgeKeyRevokeView(AdminAPIView):
    @extend_schema(summary="Revoke an edge key (effective at once; idempotent)", request=None,
                   responses={200: EdgeKeyInfoSerializer, 404: OpenApiResponse()})
    def post(self, request, key_id):
        edge_key = edge_key_revoke(_edge_key_or_404(key_id))
        return Response(EdgeKeyInfoSerializer(edge_key).data)



@extend_schema(tags=["admin"], parameters=[KEY_ID_PARAM])
class EdgeKeyDetailView(AdminAPIView):
    @extend_schema(summary="Revoke an edge key (same as POST …/revoke)", request=None,
                   responses={200: EdgeKeyInfoSerializer, 404: OpenApiResponse()})
    def delete(self, request, key_id):
        edge_key = edge_key_revoke(_edge_key_or_404(key_id))
        return Response(EdgeKeyInfoSerializer(edge_key).data)
