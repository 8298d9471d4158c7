"""`make demo`'s data step: the real pipeline over simulated traffic, stored through the ingestion service."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent
from workers.demo import FLOOR_CAMERA_ID, demo_data_generate
from zones.models import EntranceLine


@pytest.mark.django_db
def test_demo_runs_the_pipeline_and_is_idempotent(store):
    result = demo_data_generate(store, history_days=2)
    camera = store.cameras.get(camera_id=FLOOR_CAMERA_ID)
    assert EntranceLine.objects.filter(camera=camera).exists()
    assert set(camera.zones.values_list("ztype", flat=True)) == {"general", "shelf", "queue"}
    stored = sum(model.objects.filter(camera=camera).count()
                 for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent))
    assert result["sessions"] > 0 and result["accepted"] == stored > 0
    assert EntranceEvent.objects.filter(camera=camera, direction="in").exists()
    assert QueueEvent.objects.filter(camera=camera, wait_seconds__gt=0).exists()
    newest = EntranceEvent.objects.filter(camera=camera).latest("ts").ts
    assert newest <= timezone.now() + dt.timedelta(seconds=1)  # never events from the future
    # Person keys carry a per-session prefix, so two sessions' "t1" stay different people.
    keys = set(ZoneEvent.objects.filter(camera=camera).values_list("person_key", flat=True))
    assert len({key.split("-")[0] for key in keys}) > 1
    again = demo_data_generate(store, history_days=2)
    assert again["skipped"] is True
    assert sum(model.objects.filter(camera=camera).count()
               for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent)) == stored
