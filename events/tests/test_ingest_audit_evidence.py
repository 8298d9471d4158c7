"""Edge keys and the count-audit evidence routes (audits/views.py, mounted beside /api/ingest/*): a key reaches
only the audits of its own store (and camera, for a camera-bound key); another tenant's audit is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audits import evidence
from audits.models import Audit
from events.keys import edge_key_create
from tests.factories import CameraFactory, OrganizationFactory, StoreFactory

pytestmark = pytest.mark.django_db


def device(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_edge_key_of_another_org_or_store_reaches_no_audit_evidence(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    a_org, b_org = OrganizationFactory(), OrganizationFactory()
    a_store, b_store = StoreFactory(organization=a_org), StoreFactory(organization=b_org)
    a_camera, a_other = CameraFactory(store=a_store), CameraFactory(store=a_store)
    b_camera = CameraFactory(store=b_store)
    audit = Audit.objects.create(camera=a_camera, kind="entrance", start=timezone.now() - dt.timedelta(minutes=9),
                                 end=timezone.now() - dt.timedelta(minutes=4), upload_requested=True)
    url = f"/api/ingest/audits/{audit.pk}/evidence"
    b_store_key = edge_key_create(organization=b_org, store=b_store, camera=None).api_key
    a_other_camera_key = edge_key_create(organization=a_org, store=a_store, camera=a_other).api_key
    for key in (b_store_key, a_other_camera_key):
        assert device(key).get(url).status_code == 404
        put = device(key).put(f"{url}?name=index.jsonl", b"{}\n", content_type="application/octet-stream")
        assert put.status_code == 404
        assert device(key).put(f"{url}?name=complete", b"", content_type="application/octet-stream").status_code == 404
    assert not evidence.evidence_exists(audit.pk)
    # the windows list: another store's camera slug is not the key's
    listing = device(b_store_key).get("/api/ingest/audits", {"camera_id": a_camera.camera_id})
    assert listing.status_code == 400 and "camera_id" in listing.json()["errors"]
    assert device(a_other_camera_key).get("/api/ingest/audits", {"camera_id": a_camera.camera_id}).status_code == 403
    assert device(b_store_key).get("/api/ingest/audits", {"camera_id": b_camera.camera_id}).json()["windows"] == []
    # users and anonymous callers: the edge routes take edge keys only
    assert APIClient().get("/api/ingest/audits").status_code == 401
    # the own store's key does reach it
    a_key = edge_key_create(organization=a_org, store=a_store, camera=None).api_key
    assert device(a_key).get(url).status_code == 200
    Audit.objects.filter(pk=audit.pk).update(upload_requested=True)
    assert audit.camera.store_id == a_store.pk and b_camera.store_id != a_store.pk
