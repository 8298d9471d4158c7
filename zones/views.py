from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.selectors import camera_get_for_user, screenshot_url
from cameras.views import django_to_drf_validation
from zones import services
from zones.models import Zone
from zones.selectors import camera_pipeline_config, entrance_line_for_camera, zone_get_for_user, zone_list_for_camera
from zones.serializers import (
    EntranceLineInputSerializer,
    EntranceLineSerializer,
    ScreenshotSerializer,
    ScreenshotUploadSerializer,
    ZoneCreateSerializer,
    ZoneSerializer,
    ZoneUpdateSerializer,
)

PARSERS = [JSONParser, FormParser, MultiPartParser]


def resolve_camera(user, reference):
    camera = camera_get_for_user(user, reference)
    if camera is None:
        raise ValidationError({"camera_id": f"unknown camera {reference!r}"})
    return camera


def resolve_screenshot_size(camera, data) -> tuple[int, int]:
    if data.get("img_width") and data.get("img_height"):
        return data["img_width"], data["img_height"]
    size = services.screenshot_size_for_camera(camera)
    if size is None:
        raise ValidationError({"camera_id": "camera has no screenshot yet: upload one via /api/zones/screenshot "
                                            "or send img_width and img_height"})
    return size


class ScreenshotUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ScreenshotUploadSerializer, responses={201: ScreenshotSerializer}, tags=["zones"])
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is not None and upload.size > settings.MAX_SCREENSHOT_BYTES:
            return Response(
                {"error": f"file: larger than {settings.MAX_SCREENSHOT_BYTES} bytes"},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = ScreenshotUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        camera = resolve_camera(request.user, data["camera_id"])
        try:
            shot = services.screenshot_upload(
                camera=camera, file=data["file"], width=data["img_width"], height=data["img_height"]
            )
        except DjangoValidationError as error:
            raise django_to_drf_validation(error) from None
        return Response(
            {"id": shot.pk, "camera_id": camera.camera_id, "camera": camera.pk, "url": screenshot_url(shot),
             "img_width": shot.width, "img_height": shot.height, "uploaded_at": shot.uploaded_at},
            status=status.HTTP_201_CREATED,
        )


class ZoneListCreateView(APIView):
    parser_classes = PARSERS

    @extend_schema(parameters=[OpenApiParameter("camera_id", str, required=True)],
                   responses=ZoneSerializer(many=True), tags=["zones"])
    def get(self, request):
        reference = request.query_params.get("camera_id")
        if not reference:
            raise ValidationError({"camera_id": "this query parameter is required"})
        camera = resolve_camera(request.user, reference)
        return Response(ZoneSerializer(zone_list_for_camera(camera), many=True).data)

    @extend_schema(request=ZoneCreateSerializer, responses={201: ZoneSerializer}, tags=["zones"])
    def post(self, request):
        serializer = ZoneCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        camera = resolve_camera(request.user, data["camera_id"])
        if data.get("zone_id") and camera.zones.filter(zone_id=data["zone_id"]).exists():
            raise ValidationError({"zone_id": f"{data['zone_id']!r} already exists on {camera.camera_id}"})
        try:
            zone = services.zone_create(
                camera=camera, name=data["name"], ztype=data["ztype"], polygon=data["polygon_json"],
                screenshot_size=resolve_screenshot_size(camera, data), zone_id=data.get("zone_id"),
            )
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "message_dict") else {"polygon_json": error.messages}
            if "polygon" in detail:
                detail["polygon_json"] = detail.pop("polygon")
            raise ValidationError(detail) from None
        return Response(ZoneSerializer(zone).data, status=status.HTTP_201_CREATED)


class ZoneDetailView(APIView):
    parser_classes = PARSERS

    def get_zone(self, request, pk: int) -> Zone:
        zone = zone_get_for_user(request.user, pk)
        if zone is None:
            raise NotFound("zone not found")
        return zone

    @extend_schema(responses=ZoneSerializer, tags=["zones"])
    def get(self, request, pk: int):
        return Response(ZoneSerializer(self.get_zone(request, pk)).data)

    @extend_schema(request=ZoneUpdateSerializer, responses=ZoneSerializer, tags=["zones"])
    def patch(self, request, pk: int):
        zone = self.get_zone(request, pk)
        serializer = ZoneUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if "polygon_json" in fields:
            fields["polygon"] = fields.pop("polygon_json")
        try:
            zone = services.zone_update(zone, **fields)
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "message_dict") else {"polygon_json": error.messages}
            if "polygon" in detail:
                detail["polygon_json"] = detail.pop("polygon")
            raise ValidationError(detail) from None
        return Response(ZoneSerializer(zone).data)

    @extend_schema(responses={204: None}, tags=["zones"])
    def delete(self, request, pk: int):
        services.zone_delete(self.get_zone(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EntranceLineView(APIView):
    parser_classes = PARSERS

    @extend_schema(parameters=[OpenApiParameter("camera_id", str, required=True)],
                   responses=EntranceLineSerializer, tags=["zones"])
    def get(self, request):
        camera = resolve_camera(request.user, request.query_params.get("camera_id", ""))
        line = entrance_line_for_camera(camera)
        if line is None:
            raise NotFound("this camera has no entrance line")
        return Response(EntranceLineSerializer(line).data)

    @extend_schema(request=EntranceLineInputSerializer, responses={201: EntranceLineSerializer}, tags=["zones"])
    def post(self, request):
        serializer = EntranceLineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        camera = resolve_camera(request.user, data["camera_id"])
        segment, inside = data["line_json"], data["inside_point_json"]
        if len(segment) != 2:
            raise ValidationError({"line_json": "must be exactly two [x, y] points"})
        try:
            line = services.entrance_line_set(
                camera=camera, start=segment[0], end=segment[1], inside_point=inside,
                screenshot_size=resolve_screenshot_size(camera, data),
            )
        except DjangoValidationError as error:
            raise django_to_drf_validation(error) from None
        return Response(EntranceLineSerializer(line).data, status=status.HTTP_201_CREATED)


class CameraPipelineConfigView(APIView):
    """The camera's zones and line as the vision pipeline's camera config (GUIDE §3)."""

    @extend_schema(responses=dict, tags=["zones"])
    def get(self, request, pk: str):
        camera = camera_get_for_user(request.user, pk)
        if camera is None:
            raise NotFound("camera not found")
        return Response(camera_pipeline_config(camera))
