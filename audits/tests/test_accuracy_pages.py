"""#16 leftovers through Django's test client against PostgreSQL: the overview's per-camera accuracy badge, the
per-camera accuracy CSV (tenant-checked), the admin's pooled-accuracy column, and the page that schedules audits
(admins only; members see the list; errors name the field)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from audits.models import Audit
from tests.factories import (
    CameraFactory,
    EntranceLineFactory,
    OrganizationFactory,
    StoreFactory,
    UserFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    organization = OrganizationFactory()
    admin, member, outsider = UserFactory(), UserFactory(), UserFactory()
    organization.members.add(admin, member)
    organization.admins.add(admin)
    OrganizationFactory().members.add(outsider)
    store = StoreFactory(organization=organization)
    audited = CameraFactory(store=store, camera_id="a_door")
    EntranceLineFactory(camera=audited)
    ZoneFactory(camera=audited, zone_id="floor")
    never = CameraFactory(store=store, camera_id="b_floor")
    start = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
    # 3 done entrance audits: human 100+100 in/out each, system off by 2 in each direction → 1 − 12/600 = 98%
    for k in range(3):
        Audit.objects.create(camera=audited, kind="entrance", start=start + dt.timedelta(hours=k),
                             end=start + dt.timedelta(hours=k, minutes=30), status="done",
                             system_in=102, human_in=100, system_out=98, human_out=100)
    return {"admin": admin, "member": member, "outsider": outsider, "store": store, "audited": audited,
            "never": never}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_overview_shows_each_cameras_audited_accuracy_or_not_audited(org):
    page = login(org["member"]).get(f"/stores/{org['store'].store_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    audited_row = text[text.index('data-camera="a_door"'):text.index('data-camera="b_floor"')]
    assert "entrance audited 98% (95% CI 97–99%), 3 audits" in audited_row
    never_row = text[text.index('data-camera="b_floor"'):]
    assert "not audited yet" in never_row.split("</tr>")[0]
    assert f"/stores/{org['store'].store_id}/export/accuracy.csv" in text


def test_accuracy_csv_has_one_row_per_camera_and_is_tenant_checked(org):
    url = f"/stores/{org['store'].store_id}/export/accuracy.csv"
    response = login(org["member"]).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["camera_id"] for r in rows] == ["a_door", "b_floor"]
    door, floor = rows
    assert door["audits"] == "3" and door["entrance_audits"] == "3"
    assert float(door["in_accuracy"]) == 0.98 and door["in_human"] == "300"
    assert 0.9 < float(door["in_ci_low"]) < 0.98 < float(door["in_ci_high"]) <= 1
    assert door["occupancy_accuracy"] == "" and door["last_audit_utc"] == "2025-03-01T12:30:00Z"
    assert floor["audits"] == "0" and floor["in_accuracy"] == "" and floor["summary"] == "counts not audited yet"
    assert login(org["outsider"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # signed-out → the sign-in page


def test_admin_audit_list_shows_the_cameras_pooled_accuracy(org):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    page = login(superuser).get("/admin/audits/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Camera accuracy (pooled, Wilson 95%)" in text
    assert text.count("entrance audited 98% (95% CI 97–99%), 3 audits") == 3
    detail = login(superuser).get(f"/admin/audits/audit/{Audit.objects.first().pk}/change/")
    assert "entrance audited 98%" in detail.content.decode()


def test_members_see_the_list_but_no_form_and_cannot_schedule(org):
    url = f"/cameras/{org['audited'].pk}/audits/"
    member = login(org["member"])
    page = member.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("data-audit=") == 3 and "schedule-form" not in text
    assert member.post(url, {"kind": "entrance", "minutes": "10"}).status_code == 403
    assert Audit.objects.count() == 3
    assert login(org["outsider"]).get(url).status_code == 404
    assert login(org["outsider"]).post(url, {"kind": "entrance", "minutes": "10"}).status_code == 404


def test_admin_schedules_the_next_minutes_or_a_start_end_window(org):
    url = f"/cameras/{org['audited'].pk}/audits/"
    admin = login(org["admin"])
    assert "schedule-form" in admin.get(url).content.decode()
    before = timezone.now()
    response = admin.post(url, {"kind": "entrance", "minutes": "15"})
    assert response.status_code == 302 and response["Location"] == url
    audit = Audit.objects.filter(status="scheduled").get()
    assert audit.kind == "entrance" and audit.created_by == org["admin"]
    assert before <= audit.start <= timezone.now() and audit.end - audit.start == dt.timedelta(minutes=15)
    start = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    response = admin.post(url, {"kind": "occupancy", "start": start.isoformat(),
                                "end": (start + dt.timedelta(minutes=20)).isoformat()})
    assert response.status_code == 302
    assert Audit.objects.get(kind="occupancy").end == start + dt.timedelta(minutes=20)
    assert "data-audit=" in admin.get(url).content.decode()


@pytest.mark.parametrize(("form", "field"), [
    ({"kind": "bogus", "minutes": "5"}, "kind"),
    ({"kind": "entrance", "minutes": "90"}, "minutes"),
    ({"kind": "entrance", "minutes": "ten"}, "minutes"),
    ({"kind": "entrance"}, "start"),
    ({"kind": "entrance", "start": "2025-06-01T10:00:00Z"}, "end"),
    ({"kind": "entrance", "start": "2025-06-01T10:00:00Z", "end": "2025-06-01T12:00:00Z"}, "end"),
    ({"kind": "entrance", "start": "yesterday", "end": "2025-06-01T12:00:00Z"}, "start"),
])
def test_bad_schedule_shows_an_error_naming_the_field(org, form, field):
    response = login(org["admin"]).post(f"/cameras/{org['audited'].pk}/audits/", form)
    assert response.status_code == 400
    text = response.content.decode()
    assert f'data-field="{field}"' in text and f">{field}: " in text
    assert Audit.objects.count() == 3


def test_occupancy_on_a_camera_without_zones_names_kind(org):
    org["never"].store.organization.admins.add(org["admin"])
    response = login(org["admin"]).post(f"/cameras/{org['never'].pk}/audits/", {"kind": "occupancy", "minutes": "5"})
    assert response.status_code == 400 and 'data-field="kind"' in response.content.decode()
