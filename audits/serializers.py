"""Shapes of the audits API (OpenAPI schema; validation itself is in audits/services.py, per field)."""

from __future__ import annotations

from rest_framework import serializers

from audits.models import Audit


class AuditCreateSerializer(serializers.Serializer):
    camera_id = serializers.CharField(help_text="Camera numeric id or slug")
    kind = serializers.ChoiceField(choices=Audit.Kind.choices)
    start = serializers.DateTimeField(required=False, help_text="ISO 8601; at most 7 days ahead; past windows allowed")
    end = serializers.DateTimeField(required=False, help_text="ISO 8601; at most 60 minutes after start")
    minutes = serializers.FloatField(required=False, help_text="Instead of start/end: the next N minutes (≤ 60)")
    upload = serializers.BooleanField(required=False, help_text="Edge cameras: upload the evidence after the window")


class AuditSerializer(serializers.ModelSerializer):
    camera_id = serializers.CharField(source="camera.camera_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text="scheduled, ready (window over) or done")
    frames = serializers.IntegerField(read_only=True, help_text="Evidence frames on the server")
    page_url = serializers.CharField(read_only=True)

    class Meta:
        model = Audit
        fields = ["id", "camera", "camera_id", "kind", "start", "end", "status", "created_at", "upload_requested",
                  "upload_complete", "frames", "evidence_deleted_at", "finished_at", "result", "page_url"]


class MarkSerializer(serializers.Serializer):
    t = serializers.JSONField(help_text="Seconds since the window start, or an ISO 8601 instant")
    direction = serializers.ChoiceField(choices=["in", "out"])


class ZoneCountSerializer(serializers.Serializer):
    t = serializers.JSONField(help_text="Seconds since the window start (an evidence frame's), or ISO 8601")
    zone_id = serializers.CharField()
    people = serializers.IntegerField(min_value=0)


class AuditResultInputSerializer(serializers.Serializer):
    in_ = serializers.IntegerField(required=False, min_value=0, help_text="Entrance: people the auditor saw come in")
    out = serializers.IntegerField(required=False, min_value=0)
    marks = MarkSerializer(many=True, required=False, help_text="Entrance: each crossing the auditor marked")
    counts = ZoneCountSerializer(many=True, required=False, help_text="Occupancy: people per zone on a frame")

    def get_fields(self):
        fields = super().get_fields()
        fields["in"] = fields.pop("in_")
        return fields


class DirectionsSerializer(serializers.Serializer):
    in_ = serializers.IntegerField()
    out = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        fields["in"] = fields.pop("in_")
        return fields


class AuditResultSerializer(serializers.Serializer):
    audit_id = serializers.IntegerField()
    kind = serializers.CharField()
    system = serializers.DictField(help_text="{in, out} (entrance) or {people} (occupancy)")
    human = serializers.DictField()
    accuracy = serializers.DictField(help_text="1 − |system − human| ÷ human per direction; null if human is 0")
    matching = serializers.DictField(required=False, help_text="With marks: matched within ±2 s, recall, precision")
    zones = serializers.DictField(required=False)


class PooledSerializer(serializers.Serializer):
    accuracy = serializers.FloatField()
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    human = serializers.IntegerField()
    errors = serializers.IntegerField()
    audits = serializers.IntegerField()


class CameraAccuracySerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    camera_id = serializers.CharField()
    audits = serializers.IntegerField()
    in_ = PooledSerializer(allow_null=True)
    out = PooledSerializer(allow_null=True)
    occupancy = PooledSerializer(allow_null=True)
    interval = serializers.CharField()
    summary = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["in"] = fields.pop("in_")
        return fields
