"""Request/response shapes of the ingestion and edge-key API (also what the OpenAPI schema shows).

Event batches are validated by `services.event_normalize` (fast, per event, partial acceptance);
the serializers here document them and validate the small admin bodies.
"""

from __future__ import annotations

from rest_framework import serializers

from vision.events import EVENT_FIELDS


class EdgeKeyCreateSerializer(serializers.Serializer):
    org_id = serializers.UUIDField()
    store_id = serializers.CharField(max_length=100)
    camera_id = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True,
        help_text="Camera slug; leave out for a store-wide key valid for every camera of the store",
    )


class EdgeKeyIssuedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    api_key = serializers.CharField(help_text="wink_edge_…; shown only in this response")
    org_id = serializers.UUIDField()
    store_id = serializers.CharField()
    camera_id = serializers.CharField(allow_null=True)
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    message = serializers.CharField()


class EdgeKeyInfoSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    prefix = serializers.CharField()
    org_id = serializers.UUIDField(source="organization_id")
    store_id = serializers.CharField(source="store.store_id")
    camera_id = serializers.CharField(source="camera.camera_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


def _event_field(name: str) -> serializers.Field:
    """The serializer field of `name`, built from the schema in vision.events (one field for all types)."""
    specs = {etype: fields[name] for etype, fields in EVENT_FIELDS.items() if name in fields}
    spec = next(iter(specs.values()))
    required = len(specs) == len(EVENT_FIELDS) and all(s.required for s in specs.values())
    needed_by = [etype for etype, s in specs.items() if s.required]
    helps = [s.help for s in specs.values() if s.help]
    if not required and needed_by:
        helps.insert(0, f"Required for {', '.join(needed_by)}")
    kwargs = {"required": required, "help_text": ". ".join(dict.fromkeys(helps)) or None}
    if spec.kind == "uuid":
        return serializers.UUIDField(**kwargs)
    if spec.kind == "timestamp":
        return serializers.DateTimeField(**kwargs)
    if spec.kind == "seconds":
        return serializers.FloatField(min_value=0, **kwargs)
    if spec.kind == "choice":
        return serializers.ChoiceField(choices=list(spec.choices), **kwargs)
    return serializers.CharField(max_length=100, **kwargs)


_COMMON_FIELDS = ("event_id", "type", "ts", "person_key")

# One GUIDE §3 event: every field of every type (vision.events.EVENT_FIELDS), in the schema's order.
EventSerializer = type("EventSerializer", (serializers.Serializer,), {
    "__module__": __name__,
    "__doc__": "One GUIDE §3 event. Type-specific fields: "
               + "; ".join(f"{etype} → {', '.join(f for f in fields if f not in _COMMON_FIELDS)}"
                           for etype, fields in EVENT_FIELDS.items())
               + ". A missing enter/exit/duration is derived from the other two.",
    **{name: _event_field(name) for name in dict.fromkeys(n for fields in EVENT_FIELDS.values() for n in fields)},
})


class EventBatchSerializer(serializers.Serializer):
    org_id = serializers.UUIDField(required=False, help_text="Checked against the key when given")
    store_id = serializers.CharField()
    camera_id = serializers.CharField()
    device_ts = serializers.DateTimeField(required=False)
    dry_run = serializers.BooleanField(required=False, default=False,
                                       help_text="Validate and authorise only; nothing is stored (selftest)")
    events = EventSerializer(many=True, help_text="1 to INGEST_MAX_BATCH_EVENTS (1000) events")


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    event_id = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    code = serializers.ChoiceField(choices=["invalid", "future_timestamp", "event_id_conflict"])


class EventBatchResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    store_id = serializers.CharField()
    camera_id = serializers.CharField()
    accepted = serializers.IntegerField(help_text="Newly stored")
    duplicates = serializers.IntegerField(help_text="Already stored (a retry); safe to drop from a buffer")
    rejected = serializers.IntegerField()
    rejected_events = RejectedEventSerializer(many=True)
    event_ids = serializers.ListField(child=serializers.CharField(allow_null=True),
                                      help_text="The id of each event, by index (null if rejected)")
    dry_run = serializers.BooleanField()
    server_ts = serializers.DateTimeField()


class HeartbeatSerializer(serializers.Serializer):
    org_id = serializers.UUIDField(required=False)
    store_id = serializers.CharField()
    camera_id = serializers.CharField()
    device_ts = serializers.DateTimeField(required=False)
    status_data = serializers.DictField(
        required=False,
        help_text='Device status (at most 16 KiB); live keys are shown on the dashboard: {"people": 3, '
                  '"zones": {"electronics": 2}, "queues": {"checkout": 4}}; {"status": "error", "error": "…"} '
                  "marks the camera as failing. Live keys are checked (400 naming e.g. status_data.zones): "
                  "people/people_now a count 0..10000; zones/shelves/queues at most 200 {id (1..100 chars): "
                  "count}; ts a string. Other keys are free-form.",
    )


class HeartbeatResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    camera_id = serializers.CharField()
    camera_status = serializers.CharField()
    server_ts = serializers.DateTimeField()
    heartbeat_interval_seconds = serializers.IntegerField()
    clock_skew_seconds = serializers.FloatField(allow_null=True, help_text="device_ts − server time")


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    database = serializers.CharField()
    cache = serializers.CharField()
    server_ts = serializers.DateTimeField()
