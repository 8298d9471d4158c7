"""Alert notifications per store: e-mail and Slack/Discord/generic webhooks, camera-offline once per outage.

Webhooks go to a real HTTP server on 127.0.0.1 started by the test; mail goes to Django's locmem outbox.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import CameraFactory, StoreFactory
from workers.alerts import alerts_notify, camera_outages_check
from workers.models import AlertChannel, AlertNotice


class WebhookReceiver:
    """Records every POST; answers with `status` (settable per test)."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, json.loads(body)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.fixture
def channels(store, receiver):
    return {
        "email": AlertChannel.objects.create(store=store, kind="email", target="ops@shop.test, lead@shop.test"),
        "slack": AlertChannel.objects.create(store=store, kind="slack", target=receiver.url("/slack")),
        "discord": AlertChannel.objects.create(store=store, kind="discord", target=receiver.url("/discord")),
        "webhook": AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/hook")),
    }


@pytest.mark.django_db
def test_alerts_notify_reaches_every_channel_of_the_store(store, channels, receiver):
    other = StoreFactory()
    AlertChannel.objects.create(store=other, kind="slack", target=receiver.url("/other-store"))
    AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/disabled"), enabled=False)

    results = alerts_notify(store, "Spike detected", "Footfall 3x the usual at 11:00")

    assert [r.ok for r in results] == [True, True, True, True]
    assert sorted(receiver.paths()) == ["/discord", "/hook", "/slack"]
    payloads = dict(receiver.requests)
    assert payloads["/slack"] == {"text": "*Spike detected*\nFootfall 3x the usual at 11:00"}
    assert payloads["/discord"]["content"].startswith("**Spike detected**")
    assert payloads["/hook"]["store"] == store.store_id and payloads["/hook"]["subject"] == "Spike detected"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@shop.test", "lead@shop.test"]
    assert message.subject == f"[WINK {store.store_id}] Spike detected"
    assert "Footfall 3x" in message.body
    channels["slack"].refresh_from_db()
    assert channels["slack"].last_sent_at is not None and channels["slack"].last_error == ""


@pytest.mark.django_db
def test_a_failing_webhook_is_recorded_and_does_not_stop_the_others(store, channels, receiver):
    receiver.status = 500
    dead = AlertChannel.objects.create(store=store, kind="webhook", target="http://127.0.0.1:9/nothing-listens")

    results = alerts_notify(store, "Camera offline", "cam_01")

    by_channel = {r.channel_id: r for r in results}
    assert by_channel[channels["email"].pk].ok is True
    assert by_channel[channels["slack"].pk].ok is False and "500" in by_channel[channels["slack"].pk].error
    assert by_channel[dead.pk].ok is False
    assert len(mail.outbox) == 1
    dead.refresh_from_db()
    assert "ConnectionError" in dead.last_error


@pytest.mark.django_db
def test_discord_messages_are_cut_to_its_limit(store, receiver):
    AlertChannel.objects.create(store=store, kind="discord", target=receiver.url("/discord"))
    alerts_notify(store, "Long", "x" * 5000)
    assert len(receiver.requests[0][1]["content"]) == 2000


@pytest.mark.django_db
def test_channel_validation_names_the_field(store):
    with pytest.raises(ValidationError, match="target"):
        AlertChannel(store=store, kind="email", target="not-an-address").full_clean()
    with pytest.raises(ValidationError, match="http"):
        AlertChannel(store=store, kind="slack", target="ftp://hooks.example/x").full_clean()
    AlertChannel(store=store, kind="slack", target="https://hooks.slack.com/services/T/B/X").full_clean()


@pytest.mark.django_db
def test_webhook_targets_are_encrypted_at_rest_and_masked_in_admin(store, admin_user, client):
    from django.db import connection

    channel = AlertChannel.objects.create(store=store, kind="slack", target="https://hooks.slack.com/services/T/B/SECRET")
    with connection.cursor() as cursor:
        cursor.execute("SELECT target FROM workers_alertchannel WHERE id = %s", [channel.pk])
        assert "SECRET" not in cursor.fetchone()[0]
    client.force_login(admin_user)
    page = client.get("/admin/workers/alertchannel/")
    assert page.status_code == 200
    assert b"hooks.slack.com" in page.content and b"SECRET" not in page.content


@pytest.mark.django_db
def test_camera_offline_is_notified_once_per_outage_and_cleared(store, receiver, settings):
    AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/hook"))
    AlertChannel.objects.create(store=store, kind="email", target="ops@shop.test")
    now = timezone.now()
    camera = CameraFactory(store=store, camera_id="cam_door", name="Door", last_heartbeat=now - timedelta(seconds=60))
    CameraFactory(store=store, camera_id="cam_never")  # never reported: not alerted
    CameraFactory(store=store, camera_id="cam_off", enabled=False, last_heartbeat=now - timedelta(hours=3))

    assert camera_outages_check(now) == {"opened": 0, "closed": 0}  # 60 s silent: not yet
    later = now + timedelta(seconds=90)  # 150 s silent > CAMERA_ALERT_OFFLINE_SECONDS (120)
    assert camera_outages_check(later) == {"opened": 1, "closed": 0}
    assert camera_outages_check(later + timedelta(minutes=1)) == {"opened": 0, "closed": 0}  # same outage: quiet
    assert camera_outages_check(later + timedelta(minutes=2)) == {"opened": 0, "closed": 0}
    subjects = [payload["subject"] for _, payload in receiver.requests]
    assert subjects == ["Camera offline: Door"]
    assert "cam_door" in receiver.requests[0][1]["body"]
    assert [m.subject for m in mail.outbox] == [f"[WINK {store.store_id}] Camera offline: Door"]
    notice = AlertNotice.objects.get()
    assert notice.subject_key == "cam_door" and notice.closed_at is None

    camera.last_heartbeat = later + timedelta(minutes=3)  # back
    camera.save(update_fields=["last_heartbeat"])
    assert camera_outages_check(later + timedelta(minutes=3, seconds=10)) == {"opened": 0, "closed": 1}
    assert [payload["subject"] for _, payload in receiver.requests][-1] == "Camera back online: Door"
    # A second outage is a new notice and a new alert.
    assert camera_outages_check(later + timedelta(minutes=10)) == {"opened": 1, "closed": 0}
    assert AlertNotice.objects.count() == 2
    assert len([p for _, p in receiver.requests if p["subject"].startswith("Camera offline")]) == 2


@pytest.mark.django_db
def test_offline_check_runs_as_a_celery_task_from_the_schedule(store):
    from cameras.tasks import camera_outages_check_task
    from wink.schedules import BEAT_SCHEDULE

    entries = [entry for entry in BEAT_SCHEDULE.values() if entry["task"] == camera_outages_check_task.name]
    assert entries and entries[0]["schedule"] <= 60
    CameraFactory(store=store, last_heartbeat=timezone.now() - timedelta(minutes=10))
    assert camera_outages_check_task.apply().get() == {"opened": 1, "closed": 0}


def test_email_url_forms(monkeypatch):
    from wink.env import EnvError
    from wink.mail import email_settings, parse_email_url

    smtp = parse_email_url("smtp://alerts%40shop.test:p%40ss@mail.shop.test:587?tls=true")
    assert smtp["EMAIL_HOST"] == "mail.shop.test" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "alerts@shop.test" and smtp["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    smtps = parse_email_url("smtps://u:p@mail.shop.test")
    assert smtps["EMAIL_USE_SSL"] is True and smtps["EMAIL_PORT"] == 465
    assert parse_email_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(EnvError, match="EMAIL_URL"):
        parse_email_url("carrier-pigeon://coop")
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("EMAIL_HOST", "relay.shop.test")
    monkeypatch.setenv("EMAIL_PORT", "2525")
    parts = email_settings()
    assert parts["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and parts["EMAIL_PORT"] == 2525


@pytest.mark.django_db
def test_admin_action_sends_a_test_alert_per_channel(store, admin_user, client, receiver):
    good = AlertChannel.objects.create(store=store, kind="discord", target=receiver.url("/discord"))
    bad = AlertChannel.objects.create(store=store, kind="webhook", target="http://127.0.0.1:9/closed")
    client.force_login(admin_user)
    response = client.post("/admin/workers/alertchannel/", {
        "action": "send_test_alert", "_selected_action": [good.pk, bad.pk],
    }, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert ": sent" in page and "ConnectionError" in page
    assert receiver.requests[0][1]["content"].startswith("**Test alert**")
    bad.refresh_from_db()
    assert bad.last_error


@pytest.mark.django_db
def test_alert_channel_api_is_scoped_to_the_callers_stores(api, store, org_member, receiver, client):
    member, member_store = org_member
    created = api.post("/api/alert-channels", {"store_id": store.store_id, "kind": "slack",
                                               "target": receiver.url("/slack")}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert "target" not in body and body["target_masked"] == "http://127.0.0.1/…" and body["store"] == store.store_id
    tested = api.post(f"/api/alert-channels/{body['id']}/test")
    assert tested.status_code == 200 and tested.json()["ok"] is True
    assert receiver.requests[0][1]["text"].startswith("*Test alert*")

    bad = api.post("/api/alert-channels", {"store_id": store.store_id, "kind": "email", "target": "nobody"},
                   format="json")
    assert bad.status_code == 400 and bad.json()["error"].startswith("target")
    unknown = api.post("/api/alert-channels", {"store_id": "store_nowhere", "kind": "email",
                                               "target": "a@b.test"}, format="json")
    assert unknown.status_code == 400 and "store_id" in unknown.json()["error"]

    from rest_framework.test import APIClient

    manager = APIClient()
    manager.force_authenticate(member)
    assert manager.get("/api/alert-channels").json() in ([], {"count": 0, "next": None, "previous": None,
                                                               "results": []})
    assert manager.post("/api/alert-channels", {"store_id": store.store_id, "kind": "email",
                                                "target": "m@b.test"}, format="json").status_code == 400
    own = manager.post("/api/alert-channels", {"store_id": member_store.store_id, "kind": "email",
                                               "target": "m@b.test"}, format="json")
    assert own.status_code == 201
    assert manager.get(f"/api/alert-channels/{body['id']}").status_code == 404
    patched = manager.patch(f"/api/alert-channels/{own.json()['id']}", {"target": "x"}, format="json")
    assert patched.status_code == 400
    assert AlertChannel.objects.get(pk=own.json()["id"]).target == "m@b.test"
