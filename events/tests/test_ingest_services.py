"""The single event write path (`events_record_batch`) called directly, as the central workers do."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cameras.localtime import local_hour_start
from cameras.models import Store
from events.live import live_state_read, live_state_write, people_in_state
from events.models import EntranceEvent, StaleHour, ZoneEvent
from events.services import events_record_batch
from tests.ingest_server import tenant_create

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_central_source_and_deterministic_ids():
    tenant = tenant_create()
    camera = tenant.cameras["cam_zone_01"]
    events = [{"type": "zone", "ts": "2025-10-01T10:00:00Z", "zone_id": "electronics", "dwell_seconds": 12.5,
               "person_key": "t1", "zone_type": "entry"}]
    first = events_record_batch(store=tenant.store, camera=camera, events=events, source="central")
    second = events_record_batch(store=tenant.store, camera=camera, events=[dict(events[0])], source="central")
    assert (first.accepted, second.duplicates) == (1, 1)
    assert first.event_ids == second.event_ids
    stored = ZoneEvent.objects.get(store=tenant.store)
    assert (stored.source, stored.zone_type, stored.exit_ts) == ("central", "entry",
                                                                  datetime(2025, 10, 1, 10, 0, 12, 500000, tzinfo=UTC))
    # The same event from another camera is another event (ids include store and camera).
    other = events_record_batch(store=tenant.store, camera=tenant.cameras["cam_entrance_01"], events=events,
                                source="central")
    assert other.accepted == 1 and other.event_ids != first.event_ids


@pytest.mark.django_db
def test_touched_hours_are_store_local_and_marked_with_the_events():
    tenant = tenant_create(timezone="Asia/Kolkata")  # UTC+05:30: local hours start at :30 UTC
    events = [{"type": "entrance", "ts": "2025-10-01T10:10:00Z", "direction": "in", "event_id": str(uuid.uuid4())},
              {"type": "entrance", "ts": "2025-10-01T10:40:00Z", "direction": "in", "event_id": str(uuid.uuid4())}]
    result = events_record_batch(store=tenant.store, camera=None, camera_key="cam_gone", events=events,
                                 source="import")
    assert result.touched_hours == [datetime(2025, 10, 1, 9, 30, tzinfo=UTC), datetime(2025, 10, 1, 10, 30, tzinfo=UTC)]
    assert sorted(StaleHour.objects.filter(store=tenant.store).values_list("hour_start", flat=True)) == \
        result.touched_hours
    assert EntranceEvent.objects.filter(camera__isnull=True, camera_key="cam_gone").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_failing_stale_mark_does_not_cost_the_events(monkeypatch, caplog):
    import events.services

    def broken(store, hours):
        StaleHour.objects.create(store=store, hour_start=hours[0])
        raise RuntimeError("aggregation bookkeeping is down")

    monkeypatch.setattr(events.services, "hours_mark_stale", broken)
    tenant = tenant_create()
    result = events_record_batch(store=tenant.store, camera=tenant.cameras["cam_entrance_01"], source="edge",
                                 events=[{"type": "entrance", "ts": "2025-10-01T10:10:00Z", "direction": "in"}])
    assert result.accepted == 1 and EntranceEvent.objects.filter(store=tenant.store).count() == 1
    assert not StaleHour.objects.filter(store=tenant.store).exists()  # the half-done mark was rolled back
    assert "aggregation bookkeeping is down" in caplog.text


def test_local_hour_start_across_dst():
    store = Store(timezone="Europe/Berlin")
    # 2025-10-26 03:00 CEST → 02:00 CET: the repeated local hour 02:00 has two UTC starts.
    assert local_hour_start(store, datetime(2025, 10, 26, 0, 20, tzinfo=UTC)) == datetime(2025, 10, 26, 0, 0,
                                                                                                 tzinfo=UTC)
    assert local_hour_start(store, datetime(2025, 10, 26, 1, 20, tzinfo=UTC)) == datetime(2025, 10, 26, 1, 0,
                                                                                                 tzinfo=UTC)
    assert local_hour_start(Store(timezone="Asia/Kathmandu"), datetime(2025, 1, 1, 10, 20, tzinfo=UTC)) == \
        datetime(2025, 1, 1, 10, 15, tzinfo=UTC)


@pytest.mark.django_db
def test_bad_arguments_are_programming_errors():
    tenant = tenant_create()
    other = tenant_create()
    with pytest.raises(ValueError, match="source"):
        events_record_batch(store=tenant.store, camera=None, events=[], source="somewhere")
    with pytest.raises(ValueError, match="camera does not belong"):
        events_record_batch(store=tenant.store, camera=other.cameras["cam_zone_01"], events=[], source="edge")


def test_live_state_round_trip(settings):
    store_id = f"store_{uuid.uuid4().hex[:8]}"
    live_state_write(store_id, "cam_a", {"people": 3, "zones": {"z": 2}}, ttl=30)
    live_state_write(store_id, "cam_b", {"people_now": 1}, ttl=30)
    state = live_state_read(store_id)
    assert set(state) == {"cam_a", "cam_b"}
    assert state["cam_a"]["state"]["zones"] == {"z": 2} and state["cam_a"]["written_at"].endswith("Z")
    assert [people_in_state(state[c]["state"]) for c in ("cam_a", "cam_b")] == [3, 1]
    assert live_state_read(f"store_{uuid.uuid4().hex[:8]}") == {}


@pytest.mark.slow
def test_write_path_works_on_sqlite(tmp_path):
    """The embedded demo database: INSERT … ON CONFLICT DO NOTHING RETURNING on SQLite."""
    script = """
import django
django.setup()
from events.services import events_record_batch
from tests.ingest_server import tenant_create
from events.models import StaleHour, ZoneEvent
t = tenant_create()
events = [{"type": "zone", "ts": "2025-10-01T10:05:00Z", "zone_id": "electronics", "dwell_seconds": 3.0},
          {"type": "entrance", "ts": "2025-10-01T10:05:00Z", "direction": "in"}]
a = events_record_batch(store=t.store, camera=t.cameras["cam_zone_01"], events=events, source="edge")
b = events_record_batch(store=t.store, camera=t.cameras["cam_zone_01"], events=events, source="edge")
print(a.accepted, a.duplicates, b.accepted, b.duplicates, ZoneEvent.objects.count(), StaleHour.objects.count())
"""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "WINK_VAR_DIR": str(tmp_path),
           "REDIS_URL": "", "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "wink.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "0", "0", "2", "1", "1"]
