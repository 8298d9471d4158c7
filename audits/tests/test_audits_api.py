"""The audits API against PostgreSQL: scheduling rules (400 naming the field), tenancy and roles, the result
figures (GUIDE §2 accuracy, ±2 s matching), the pooled accuracy with its interval, retention and edge evidence."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audits import evidence
from audits.models import Audit
from audits.selectors import pooled_accuracy, wilson_interval
from audits.services import audit_evidence_cleanup, match_crossings
from events.keys import edge_key_create
from events.models import EntranceEvent
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
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def org(media):
    organization = OrganizationFactory()
    admin, member = UserFactory(), UserFactory()
    organization.members.add(admin, member)
    organization.admins.add(admin)
    store = StoreFactory(organization=organization)
    camera = CameraFactory(store=store)
    EntranceLineFactory(camera=camera)
    ZoneFactory(camera=camera, zone_id="floor")
    return {"org": organization, "admin": admin, "member": member, "store": store, "camera": camera}


def client(user) -> APIClient:
    c = APIClient()
    c.force_login(user)
    return c


def iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def crossing(camera, ts, direction):
    EntranceEvent.objects.create(event_id=uuid.uuid4(), store=camera.store, camera=camera, camera_key=camera.camera_id,
                                 ts=ts, direction=direction, source="central")


def test_schedule_rules_answer_400_naming_the_field(org):
    admin = client(org["admin"])
    cam = org["camera"]
    now = timezone.now()
    ok = admin.post("/api/audits", {"camera_id": cam.pk, "kind": "entrance", "start": iso(now + dt.timedelta(hours=1)),
                                    "end": iso(now + dt.timedelta(hours=1, minutes=10))}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["status"] == "scheduled" and ok.json()["id"]

    def bad(body, field):
        answer = admin.post("/api/audits", {"camera_id": cam.pk, "kind": "entrance", **body}, format="json")
        assert answer.status_code == 400, answer.content
        assert field in answer.json()["errors"], answer.json()

    bad({"start": iso(now), "end": iso(now + dt.timedelta(minutes=61))}, "end")
    bad({"start": iso(now + dt.timedelta(days=8)), "end": iso(now + dt.timedelta(days=8, minutes=5))}, "start")
    bad({"start": iso(now + dt.timedelta(hours=1, minutes=5)), "end": iso(now + dt.timedelta(hours=1, minutes=15))},
        "start")  # overlaps the first window
    bad({"start": iso(now), "end": iso(now - dt.timedelta(minutes=1))}, "end")
    bad({"start": "yesterday", "end": iso(now)}, "start")
    bad({"kind": "everything", "minutes": 5}, "kind")
    bare = CameraFactory(store=org["store"])
    for kind in ("entrance", "occupancy"):  # no line, no zones
        answer = admin.post("/api/audits", {"camera_id": bare.pk, "kind": kind, "minutes": 10}, format="json")
        assert answer.status_code == 400 and "kind" in answer.json()["errors"], answer.content
    # "the next 10 minutes"
    nxt = admin.post("/api/audits", {"camera_id": cam.camera_id, "kind": "occupancy", "minutes": 10}, format="json")
    assert nxt.status_code == 201, nxt.content
    audit = Audit.objects.get(pk=nxt.json()["id"])
    assert audit.end - audit.start == dt.timedelta(minutes=10)


def test_members_see_admins_schedule_other_orgs_see_nothing(org):
    cam = org["camera"]
    member = client(org["member"])
    body = {"camera_id": cam.pk, "kind": "entrance", "minutes": 5}
    assert member.post("/api/audits", body, format="json").status_code == 403
    created = client(org["admin"]).post("/api/audits", body, format="json").json()
    assert member.get(f"/api/audits/{created['id']}").status_code == 200
    assert member.get("/api/audits", {"camera_id": cam.pk}).json()[0]["id"] == created["id"]
    assert member.post(f"/api/audits/{created['id']}/result", {"in": 1, "out": 1}, format="json").status_code == 403
    stranger = UserFactory()
    other = OrganizationFactory()
    other.members.add(stranger)
    other.admins.add(stranger)
    s = client(stranger)
    assert s.get(f"/api/audits/{created['id']}").status_code == 404
    assert s.get(f"/api/cameras/{cam.pk}/accuracy").status_code == 404
    assert s.post("/api/audits", body, format="json").status_code == 400  # an unknown camera to them
    assert s.post(f"/api/audits/{created['id']}/result", {"in": 1, "out": 1}, format="json").status_code == 404
    assert s.get(f"/audits/{created['id']}/").status_code == 404


def test_entrance_result_past_window_exact_figures_and_evidence_deleted(org):
    cam = org["camera"]
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    end = start + dt.timedelta(minutes=10)
    # system: 4 in (one outside the window), 2 out
    for seconds, direction in ((10, "in"), (60, "in"), (61, "out"), (200, "in"), (300, "out"), (599, "in"),
                               (601, "in")):
        crossing(cam, start + dt.timedelta(seconds=seconds), direction)
    admin = client(org["admin"])
    created = admin.post("/api/audits", {"camera_id": cam.pk, "kind": "entrance", "start": iso(start),
                                         "end": iso(end)}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "ready"
    audit_id = created.json()["id"]
    evidence.evidence_dir(audit_id).mkdir(parents=True)  # stands for frames a runner recorded
    (evidence.evidence_dir(audit_id) / "index.jsonl").write_text("")
    # human: 5 in, 2 out; marks within ±2 s of 3 system crossings (one with the wrong direction), one missed
    marks = [{"t": 11.5, "direction": "in"}, {"t": 58.5, "direction": "in"}, {"t": 62, "direction": "in"},
             {"t": 301.9, "direction": "out"}, {"t": iso(start + dt.timedelta(seconds=450)), "direction": "in"},
             {"t": 598.0, "direction": "in"}, {"t": 100, "direction": "out"}]
    answer = admin.post(f"/api/audits/{audit_id}/result", {"marks": marks}, format="json")
    assert answer.status_code == 200, answer.content
    r = answer.json()
    assert r["system"] == {"in": 4, "out": 2} and r["human"] == {"in": 5, "out": 2}
    assert r["accuracy"] == {"in": 1 - 1 / 5, "out": 1.0}
    # matched: 11.5↔10, 58.5↔60 (in), 301.9↔300 (out), 598↔599: 4 of 7 marks, 4 of 6 crossings
    assert r["matching"]["matched"] == 4
    assert r["matching"]["recall"] == round(4 / 7, 4) and r["matching"]["precision"] == round(4 / 6, 4)
    assert not evidence.evidence_exists(audit_id)
    assert client(org["member"]).get(f"/api/audits/{audit_id}").json()["status"] == "done"
    # the totals form: totals win over marks' counts
    again = admin.post(f"/api/audits/{audit_id}/result", {"in": 4, "out": 3}, format="json").json()
    assert again["accuracy"] == {"in": 1.0, "out": round(1 - 1 / 3, 4)}
    bad = admin.post(f"/api/audits/{audit_id}/result", {"marks": [{"t": 5000, "direction": "in"}]}, format="json")
    assert bad.status_code == 400 and "marks[0].t" in bad.json()["errors"]
    bad = admin.post(f"/api/audits/{audit_id}/result", {"in": -1, "out": 0}, format="json")
    assert bad.status_code == 400 and "in" in bad.json()["errors"]


def test_result_refused_while_the_window_runs(org):
    admin = client(org["admin"])
    created = admin.post("/api/audits", {"camera_id": org["camera"].pk, "kind": "entrance", "minutes": 5},
                         format="json").json()
    answer = admin.post(f"/api/audits/{created['id']}/result", {"in": 1, "out": 1}, format="json")
    assert answer.status_code == 400 and "end" in answer.json()["errors"]


def test_occupancy_result_compares_with_the_systems_frame_counts(org):
    cam = org["camera"]
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=30)
    audit = Audit.objects.create(camera=cam, kind="occupancy", start=start, end=start + dt.timedelta(minutes=5))
    writer = evidence.EvidenceWriter(audit.pk)
    for k, people in enumerate((2, 3, 0)):
        ts = iso(start + dt.timedelta(seconds=10 * (k + 1)))
        writer.write(b"\xff\xd8jpeg", {"seq": writer.seq, "ts": ts, "t": 0, "file": f"frames/{writer.seq:06d}.jpg",
                                      "people": people, "zones": {"floor": people}})
    answer = client(org["admin"]).post(f"/api/audits/{audit.pk}/result", {"counts": [
        {"t": 10, "zone_id": "floor", "people": 2}, {"t": 20.2, "zone_id": "floor", "people": 4},
        {"t": 30, "zone_id": "floor", "people": 1}]}, format="json")
    assert answer.status_code == 200, answer.content
    r = answer.json()
    assert r["system"] == {"people": 5} and r["human"] == {"people": 7}
    assert r["accuracy"]["people"] == round(1 - 2 / 7, 4)
    bad = client(org["admin"]).post(f"/api/audits/{audit.pk}/result",
                                    {"counts": [{"t": 10, "zone_id": "nowhere", "people": 1}]}, format="json")
    assert bad.status_code == 400  # done: no evidence left to compare with
    assert "counts" in bad.json()["errors"]


def test_wilson_and_pooled_accuracy():
    low, high = wilson_interval(97, 100)
    assert math.isclose(low, 0.9154, abs_tol=1e-3) and math.isclose(high, 0.9897, abs_tol=1e-3)
    pooled = pooled_accuracy([(98, 100), (52, 50), (150, 150)])
    assert pooled["accuracy"] == round(1 - 4 / 300, 4) and pooled["audits"] == 3
    assert pooled["ci_low"] < pooled["accuracy"] < pooled["ci_high"]
    assert pooled_accuracy([(3, 0)]) is None
    assert match_crossings([{"t": 0, "direction": "in"}, {"t": 1, "direction": "in"}],
                           [{"t": 0.9, "direction": "in"}]) == [(1, 0)]


def test_camera_accuracy_api_never_audited_then_pooled(org):
    cam = org["camera"]
    member = client(org["member"])
    body = member.get(f"/api/cameras/{cam.pk}/accuracy").json()
    assert body["audits"] == 0 and body["in"] is None and body["summary"] == "counts not audited yet"
    start = timezone.now() - dt.timedelta(days=1)
    for k, (s_in, h_in) in enumerate(((98, 100), (49, 50), (100, 100))):
        Audit.objects.create(camera=cam, kind="entrance", start=start + dt.timedelta(hours=k),
                             end=start + dt.timedelta(hours=k, minutes=10), status="done", system_in=s_in,
                             human_in=h_in, system_out=h_in, human_out=h_in)
    body = member.get(f"/api/cameras/{cam.camera_id}/accuracy").json()
    assert body["audits"] == 3
    assert body["in"]["accuracy"] == round(1 - 3 / 250, 4) and body["out"]["accuracy"] == 1.0
    low, high = wilson_interval(247, 250)
    assert body["in"]["ci_low"] == round(low, 4) and body["in"]["ci_high"] == round(high, 4)
    assert body["summary"].startswith("entrance counts audited 99.4% accurate (95% CI ")
    assert body["summary"].endswith("over 3 audits")


def test_retention_cleanup_deletes_old_and_done_evidence_only(org, settings):
    settings.AUDIT_RETENTION_DAYS = 14
    cam = org["camera"]
    now = timezone.now()
    old = Audit.objects.create(camera=cam, kind="entrance", start=now - dt.timedelta(days=15),
                               end=now - dt.timedelta(days=15) + dt.timedelta(minutes=5))
    recent = Audit.objects.create(camera=cam, kind="entrance", start=now - dt.timedelta(days=13),
                                  end=now - dt.timedelta(days=13) + dt.timedelta(minutes=5))
    done = Audit.objects.create(camera=cam, kind="entrance", start=now - dt.timedelta(days=1),
                                end=now - dt.timedelta(days=1) + dt.timedelta(minutes=5), status="done")
    for audit in (old, recent, done):
        record = {"seq": 0, "ts": "x", "t": 0, "file": "frames/000000.jpg"}
        evidence.EvidenceWriter(audit.pk).write(b"\xff\xd8x", record)
    orphan = evidence.evidence_dir(999_999)
    orphan.mkdir(parents=True)
    result = audit_evidence_cleanup()
    assert result == {"deleted": 2, "orphans": 1}
    assert not evidence.evidence_exists(old.pk) and not evidence.evidence_exists(done.pk)
    assert evidence.evidence_exists(recent.pk) and not orphan.exists()
    old.refresh_from_db()
    assert old.evidence_deleted_at is not None


def test_evidence_frames_are_served_signed_in_and_tenant_checked(org):
    cam = org["camera"]
    audit = Audit.objects.create(camera=cam, kind="entrance", start=timezone.now() - dt.timedelta(minutes=20),
                                 end=timezone.now() - dt.timedelta(minutes=10))
    evidence.EvidenceWriter(audit.pk).write(b"\xff\xd8frame", {"seq": 0, "ts": iso(audit.start), "t": 0,
                                                               "file": "frames/000000.jpg", "zones": {}})
    url = f"/audits/{audit.pk}/frame?i=0"
    assert APIClient().get(url).status_code == 302
    member = client(org["member"])
    served = member.get(url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"\xff\xd8frame"
    assert "private" in served["Cache-Control"]
    frames = member.get(f"/api/audits/{audit.pk}/frames").json()["frames"]
    assert frames[0]["url"] == url and frames[0]["t"] == 0
    stranger = UserFactory()
    assert client(stranger).get(url).status_code == 404
    assert member.get(f"/audits/{audit.pk}/").status_code == 200


def test_edge_evidence_upload_is_bounded_resumable_and_store_scoped(org, settings):
    settings.AUDIT_MAX_EVIDENCE_BYTES = 2000
    cam = org["camera"]
    key = edge_key_create(organization=org["org"], store=org["store"], camera=None).api_key
    device = APIClient()
    device.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    now = timezone.now()
    audit = Audit.objects.create(camera=cam, kind="entrance", start=now - dt.timedelta(minutes=10),
                                 end=now - dt.timedelta(minutes=5))
    windows = device.get("/api/ingest/audits", {"camera_id": cam.camera_id}).json()["windows"]
    assert [(w["id"], w["upload"]) for w in windows] == [(audit.pk, False)]
    url = f"/api/ingest/audits/{audit.pk}/evidence"
    put = lambda name, data: device.put(f"{url}?name={name}", data, content_type="application/octet-stream")  # noqa: E731
    assert put("frames/000000.jpg", b"\xff\xd8a").status_code == 409  # nobody asked for it
    client(org["admin"]).post(f"/api/audits/{audit.pk}/upload")
    assert device.get("/api/ingest/audits", {"camera_id": cam.camera_id}).json()["windows"][0]["upload"] is True
    assert put("frames/000000.jpg", b"\xff\xd8" + b"a" * 900).status_code == 200
    assert put("../../etc/passwd", b"x").status_code == 400
    assert put("frames/000001.jpg", b"not a jpeg").status_code == 400
    assert put("frames/000001.jpg", b"\xff\xd8" + b"b" * 1500).status_code == 413  # over the window's bound
    assert device.get(url).json()["received"] == ["frames/000000.jpg"]  # what a resumed upload skips
    assert put("complete", b"").status_code == 400  # the index comes first
    assert put("index.jsonl", json.dumps({"seq": 0, "ts": iso(audit.start), "t": 0,
                                           "file": "frames/000000.jpg"}).encode() + b"\n").status_code == 200
    done = put("complete", b"")
    assert done.status_code == 200 and done.json()["complete"] is True
    audit.refresh_from_db()
    assert audit.upload_complete and audit.evidence_frames == 1

