from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zones.models import EntranceLine, Zone
from zones.validation import MAX_IMAGE_SIDE, MAX_POLYGON_POINTS


@extend_schema_field({"oneOf": [{"type": "string", "description": "JSON text"},
                           {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}]})
class JsonPointsField(serializers.Field):
    """Accepts a JSON string (form field `polygon_json`) or a list of [x, y] points (at most `max_points`;
    the geometry itself is checked by zones.validation)."""

    def __init__(self, *args, max_points: int = MAX_POLYGON_POINTS, **kwargs):
        self.max_points = max_points
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            if len(data) > self.max_points * 128:  # generous: pretty-printed JSON
                raise serializers.ValidationError(f"at most {self.max_points} points")
            try:
                data = json.loads(data)
            except (json.JSONDecodeError, RecursionError) as error:
                raise serializers.ValidationError(f"is not valid JSON ({getattr(error, 'msg', error)})") from None
        if not isinstance(data, list):
            raise serializers.ValidationError("must be a JSON list of [x, y] points")
        if len(data) > self.max_points:
            raise serializers.ValidationError(f"at most {self.max_points} points, got {len(data)}")
        return data

    def to_representation(self, value):
        return value


class ScreenshotUploadSerializer(serializers.Serializer):
    camera_id = serializers.CharField(help_text="Numeric id or camera slug")
    file = serializers.ImageField()
    img_width = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE,
                                         help_text="Must equal the image's real width")
    img_height = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE,
                                          help_text="Must equal the image's real height")


class ScreenshotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    camera_id = serializers.CharField()
    camera = serializers.IntegerField()
    url = serializers.CharField()
    img_width = serializers.IntegerField()
    img_height = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class ZoneCreateSerializer(serializers.Serializer):
    camera_id = serializers.CharField(help_text="Numeric id or camera slug")
    name = serializers.CharField(max_length=200)
    ztype = serializers.ChoiceField(choices=Zone.ZoneType.choices)
    polygon_json = JsonPointsField()
    zone_id = serializers.SlugField(required=False, max_length=100)
    img_width = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE, required=False,
                                         help_text="Default: latest screenshot")
    img_height = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE, required=False,
                                          help_text="Default: latest screenshot")


class ZoneUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    ztype = serializers.ChoiceField(choices=Zone.ZoneType.choices, required=False)
    polygon_json = JsonPointsField(required=False)


class ZoneSerializer(serializers.ModelSerializer):
    camera_id = serializers.CharField(source="camera.camera_id", read_only=True)
    camera = serializers.IntegerField(source="camera.pk", read_only=True)
    screenshot_size = serializers.SerializerMethodField()

    class Meta:
        model = Zone
        fields = ["id", "zone_id", "name", "ztype", "polygon", "camera", "camera_id", "screenshot_size",
                  "created_at", "updated_at"]

    def get_screenshot_size(self, zone: Zone) -> list[int]:
        return [zone.screenshot_width, zone.screenshot_height]


class EntranceLineInputSerializer(serializers.Serializer):
    camera_id = serializers.CharField()
    line_json = JsonPointsField(max_points=2, help_text="[[x1, y1], [x2, y2]] in screenshot pixels")
    inside_point_json = JsonPointsField(max_points=2, help_text="[x, y] on the store side")
    img_width = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE, required=False)
    img_height = serializers.IntegerField(min_value=1, max_value=MAX_IMAGE_SIDE, required=False)


class EntranceLineSerializer(serializers.ModelSerializer):
    camera_id = serializers.CharField(source="camera.camera_id", read_only=True)
    line = serializers.ListField(source="segment", read_only=True)
    inside_point = serializers.ListField(read_only=True)
    screenshot_size = serializers.SerializerMethodField()

    class Meta:
        model = EntranceLine
        fields = ["id", "camera_id", "line", "inside_point", "screenshot_size", "updated_at"]

    def get_screenshot_size(self, line: EntranceLine) -> list[int]:
        return [line.screenshot_width, line.screenshot_height]
