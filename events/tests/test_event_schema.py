"""Every event the pure core builds validates at ingestion, and the OpenAPI component lists the schema's fields."""

from __future__ import annotations

import pytest
from django.utils import timezone

from events.serializers import EventSerializer
from events.services import EventRejected, event_normalize
from vision.events import EVENT_FIELDS
from vision.tests.test_event_schema import built_events


def test_every_built_event_passes_the_ingest_validator_and_serializer():
    now = timezone.now()
    for event in built_events():
        etype, _row = event_normalize(event, now=now)
        assert etype == event["type"]
        serializer = EventSerializer(data=event)
        assert serializer.is_valid(), (event, serializer.errors)
        assert set(serializer.validated_data) == set(event)  # nothing the builder sends is dropped


@pytest.mark.parametrize("etype", list(EVENT_FIELDS))
def test_a_missing_required_field_is_rejected_naming_it(etype):
    event = next(e for e in built_events() if e["type"] == etype)
    for name, spec in EVENT_FIELDS[etype].items():
        if spec.required:
            broken = {k: v for k, v in event.items() if k != name}
            with pytest.raises(EventRejected) as caught:
                event_normalize(broken, now=timezone.now())
            assert caught.value.field == name


def test_openapi_event_component_lists_the_schema_fields(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    component = components["EventRequest"]  # the request half of the split components
    assert list(component["properties"]) == list(dict.fromkeys(n for f in EVENT_FIELDS.values() for n in f))
    assert set(component["required"]) == {"type", "ts"}
    zone_type = component["properties"]["zone_type"]
    ref = (zone_type.get("allOf") or [zone_type])[0]["$ref"].rsplit("/", 1)[-1]
    assert components[ref]["enum"] == list(EVENT_FIELDS["zone"]["zone_type"].choices)
