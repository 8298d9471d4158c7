from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from cameras.models import CAPABILITIES, Camera, Store, validate_not_numeric
from cameras.validation import validate_stream_url


class StoreSerializer(serializers.ModelSerializer):
    org_id = serializers.UUIDField(source="organization_id", read_only=True)

    class Meta:
        model = Store
        fields = ["id", "store_id", "name", "timezone", "org_id"]


class CameraSerializer(serializers.ModelSerializer):
    """The RTSP URL is write-only in clear; reads get it with the password masked."""

    store_id = serializers.SlugField(required=False, write_only=True, help_text="Default: the STORE_ID store")
    store = serializers.SlugRelatedField(slug_field="store_id", read_only=True)
    camera_id = serializers.SlugField(required=False, max_length=100, validators=[validate_not_numeric])
    # Not trimmed: a URL with spaces or control characters is refused, never silently repaired.
    rtsp_url = serializers.CharField(required=False, allow_blank=True, max_length=1000, write_only=True,
                                     trim_whitespace=False,
                                     help_text="rtsp://, rtsps://, http:// or https:// with a host; org admins only")
    rtsp_url_masked = serializers.CharField(source="masked_rtsp_url", read_only=True)
    # The detect stream (substream): same rules as rtsp_url; empty = detect on the main stream.
    detect_url = serializers.CharField(required=False, allow_blank=True, max_length=1000, write_only=True,
                                       trim_whitespace=False,
                                       help_text="Optional detect stream (substream), same rules as rtsp_url; "
                                                 "empty = detect on the main stream; org admins only")
    detect_url_masked = serializers.CharField(source="masked_detect_url", read_only=True)
    capabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=CAPABILITIES), required=False, default=list
    )

    class Meta:
        model = Camera
        fields = [
            "id", "camera_id", "name", "store", "store_id", "rtsp_url", "rtsp_url_masked", "detect_url",
            "detect_url_masked", "enabled",
            "capabilities", "frame_rate", "detection_interval", "min_dwell_seconds", "anchor",
            "status", "last_heartbeat", "last_error", "config_version", "created_at",
        ]
        read_only_fields = ["status", "last_heartbeat", "last_error", "config_version", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "last_error" in data:  # errors can echo the stream URL or probe results: the tenant-safe form only
            data["last_error"] = instance.public_last_error
        return data

    def validate_rtsp_url(self, value: str) -> str:
        try:
            validate_stream_url(value)  # the one rule (cameras/validation.py), also on the model field
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value

    def validate_detect_url(self, value: str) -> str:
        return self.validate_rtsp_url(value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        rtsp_url = attrs.get("rtsp_url", self.instance.rtsp_url if self.instance else "")
        detect_url = attrs.get("detect_url", self.instance.detect_url if self.instance else "")
        if detect_url and not rtsp_url:  # the model's clean() says the same for the admin
            raise serializers.ValidationError({"detect_url": "needs the main stream URL (rtsp_url) too: "
                                                             "the zone-setup screenshots use the main stream"})
        return attrs
