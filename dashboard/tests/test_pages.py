"""Dashboard pages with Django's test client: sign-in required, tenant scoping, heatmap storage, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from analytics.models import DailyMetric, HourlyMetric, MetricScope
from cameras.heatmaps import camera_heatmap_add, camera_heatmap_for_range
from cameras.models import CameraHeatmap
from tests.factories import CameraFactory, OrganizationFactory, StoreFactory, UserFactory
from vision.heatmap import HeatmapGrid

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    org = OrganizationFactory()
    user = UserFactory()
    org.members.add(user)
    store = StoreFactory(organization=org, timezone="Asia/Kolkata")
    camera = CameraFactory(store=store)
    other = CameraFactory()  # another organisation's store and camera
    return user, store, camera, other


def test_pages_need_sign_in(client, tenant):
    _, store, camera, _ = tenant
    for url in ("/", f"/stores/{store.store_id}/", f"/cameras/{camera.pk}/", f"/cameras/{camera.pk}/zones/",
                f"/stores/{store.store_id}/export/daily.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_member_sees_own_pages_and_gets_404_for_other_orgs(client, tenant):
    user, store, camera, other = tenant
    client.force_login(user)
    assert client.get("/").status_code == 302  # one store: straight to its overview
    for url in (f"/stores/{store.store_id}/", f"/stores/{store.store_id}/trends/", f"/stores/{store.store_id}/spikes/",
                f"/stores/{store.store_id}/promotions/", f"/stores/{store.store_id}/insights/",
                f"/cameras/{camera.pk}/", f"/cameras/{camera.pk}/zones/"):
        assert client.get(url).status_code == 200, url
    for url in (f"/stores/{other.store.store_id}/", f"/stores/{other.store.store_id}/export/hourly.csv",
                f"/cameras/{other.pk}/", f"/cameras/{other.pk}/zones/", f"/cameras/{other.pk}/screenshot"):
        assert client.get(url).status_code == 404, url


def test_heatmap_increments_add_up_per_store_local_day(tenant):
    camera = tenant[2]
    grid = HeatmapGrid(1280, 720, cols=8)
    grid.add_points([(10, 10), (10, 10), (1270, 710)])
    # 20:00 UTC is already the next day in Kolkata (UTC+5:30).
    late = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)
    camera_heatmap_add(camera, grid, late)
    camera_heatmap_add(camera, grid.to_dict(), late + dt.timedelta(minutes=5))
    row = CameraHeatmap.objects.get(camera=camera)
    assert row.date == dt.date(2026, 3, 2) and row.total == 6 and row.counts[0] == 4
    camera_heatmap_add(camera, grid, dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC))
    assert CameraHeatmap.objects.get(camera=camera).total == 9
    camera_heatmap_add(camera, grid, dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC))
    summed = camera_heatmap_for_range(camera, dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert summed["total"] == 12 and summed["days"] == 2 and (summed["cols"], summed["rows"]) == (8, 4)
    # A stream whose size changed restarts that day's grid rather than mixing shapes.
    camera_heatmap_add(camera, HeatmapGrid(640, 480, cols=4), dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC))
    assert CameraHeatmap.objects.get(camera=camera, date=dt.date(2026, 3, 3)).cols == 4
    assert camera_heatmap_for_range(camera, dt.date(2026, 4, 1), dt.date(2026, 4, 2)) is None


def test_csv_exports_hold_the_stored_metrics(client, tenant):
    user, store, _, _ = tenant
    client.force_login(user)
    today = timezone.localtime(timezone.now(), store.tzinfo).date()
    for back in range(3):
        DailyMetric.objects.create(store=store, scope=MetricScope.STORE, date=today - dt.timedelta(days=back),
                                   footfall_in=100 + back, dwell_avg=12.3456)
    DailyMetric.objects.create(store=store, scope=MetricScope.ZONE, scope_id="=cmd", date=today, entries=4)
    start = dt.datetime.combine(today, dt.time(9), tzinfo=store.tzinfo)
    HourlyMetric.objects.create(store=store, scope=MetricScope.STORE, hour_start=start, local_date=today,
                                local_hour=9, footfall_in=7, wait_p90=33.0)

    response = client.get(f"/stores/{store.store_id}/export/daily.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{store.store_id}_daily_' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["date"], r["scope"], r["footfall_in"]) for r in rows if r["scope"] == "store"] == [
        ((today - dt.timedelta(days=back)).isoformat(), "store", str(100 + back)) for back in (2, 1, 0)
    ]
    assert rows[0]["dwell_avg"] == "12.346"
    assert [r["scope_id"] for r in rows if r["scope"] == "zone"] == ["'=cmd"]  # never a spreadsheet formula

    response = client.get(f"/stores/{store.store_id}/export/hourly.csv?scope=store")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 and rows[0]["local_hour"] == "9" and rows[0]["footfall_in"] == "7"
    assert rows[0]["hour_start_utc"] == start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    first = today - dt.timedelta(days=1)
    response = client.get(f"/stores/{store.store_id}/export/daily.csv?from={first}&to={first}&scope=store")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["date"] for r in rows] == [first.isoformat()]


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"), ("to=tomorrow", "to"), ("from=2026-02-02&to=2026-02-01", "from"),
    ("from=2020-01-01&to=2026-01-01", "from"), ("scope=planet", "scope"),
])
def test_csv_export_bad_parameters_name_the_field(client, tenant, query, field):
    user, store, _, _ = tenant
    client.force_login(user)
    response = client.get(f"/stores/{store.store_id}/export/daily.csv?{query}")
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")
