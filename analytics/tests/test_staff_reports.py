"""#17: staff figures where reports read them: POST /api/analytics/comprehensive (totals and daily), the hourly
and daily CSV exports, and the read-only StaffEvent admin. The events come from the real pipeline scene of
test_staff.py, ingested and aggregated against PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from analytics.services import store_range_aggregate
from analytics.tests.analytics_factories import make_store, make_user, utc
from analytics.tests.test_staff import scene_events
from cameras.models import Camera
from events.models import StaffEvent
from events.services import events_record_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed():
    """Day 2025-10-01 (UTC store): 1 staff crossing (hour 10), staff present 10 s in hour 10 and 30 s in hour 11."""
    store = make_store("store_staff_rep", cameras=[("cam_door", ["entrance"])])
    cam = Camera.objects.get(store=store, camera_id="cam_door")
    events_record_batch(store=store, camera=cam, events=scene_events(), source="edge")
    store_range_aggregate(store, utc(2025, 10, 1, 0), utc(2025, 10, 2, 0))
    user, token = make_user("staff_rep_viewer", org=store.organization)
    return store, user, token


def test_comprehensive_api_reports_staff_crossings_and_hours(staffed):
    store, _user, token = staffed
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.post("/api/analytics/comprehensive",
                        {"store_id": store.store_id, "start_date": "2025-10-01", "end_date": "2025-10-02"},
                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"]["footfall"] == 1  # the customer only
    assert body["totals"]["staff_crossings"] == 1
    assert body["totals"]["staff_hours"] == pytest.approx(40 / 3600, abs=0.001)
    (day,) = body["daily"]
    assert day["date"] == "2025-10-01" and day["staff_crossings"] == 1
    assert day["staff_hours"] == pytest.approx(40 / 3600, abs=0.001)


def _csv(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_hourly_and_daily_csv_carry_staff_columns_last(staffed):
    store, user, _token = staffed
    client = Client()
    client.force_login(user)
    hourly = _csv(client, f"/stores/{store.store_id}/export/hourly.csv?from=2025-10-01&to=2025-10-01&scope=store")
    assert list(hourly[0])[-2:] == ["staff_crossings", "staff_hours"]
    by_hour = {int(r["local_hour"]): r for r in hourly}
    assert by_hour[10]["staff_crossings"] == "1" and by_hour[11]["staff_crossings"] == "0"
    assert float(by_hour[10]["staff_hours"]) == pytest.approx(10 / 3600, abs=0.001)
    assert float(by_hour[11]["staff_hours"]) == pytest.approx(30 / 3600, abs=0.001)
    assert by_hour[10]["footfall_in"] == "1"
    daily = _csv(client, f"/stores/{store.store_id}/export/daily.csv?from=2025-10-01&to=2025-10-01&scope=store")
    (day,) = daily
    assert list(day)[-2:] == ["staff_crossings", "staff_hours"]
    assert day["staff_crossings"] == "1" and float(day["staff_hours"]) == pytest.approx(40 / 3600, abs=0.001)


def test_staff_events_are_listed_read_only_in_the_admin(staffed):
    store, _user, _token = staffed
    superuser, _ = make_user("staff_rep_admin", staff=True)
    superuser.is_superuser = True
    superuser.save()
    client = Client()
    client.force_login(superuser)
    listing = client.get("/admin/events/staffevent/")
    assert listing.status_code == 200
    mark = StaffEvent.objects.filter(store=store).first()
    assert mark.person_key in listing.content.decode()
    assert client.get("/admin/events/staffevent/add/").status_code == 403
    detail = client.get(f"/admin/events/staffevent/{mark.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    client.post(f"/admin/events/staffevent/{mark.pk}/change/", {"zone_id": "changed"})
    mark.refresh_from_db()
    assert mark.zone_id != "changed"
