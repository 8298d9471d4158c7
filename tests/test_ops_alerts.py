"""Alert notifications per store: e-mail and Slack/Discord/generic webhooks, camera-offline once per outage.

Webhooks go to real HTTP servers on 127.0.0.1 started by the test; mail goes to Django's locmem outbox.
- Generic webhooks: a plain HTTP receiver, allowed through ALERT_WEBHOOK_ALLOWED_HOSTS (private hosts are
  refused otherwise: tests/test_security_alerts.py).
- Slack and Discord only go to hooks.slack.com / discord.com: an HTTPS receiver with a test CA stands in for
  them, the process resolving those two names to it (socket.getaddrinfo) and trusting the CA (REQUESTS_CA_BUNDLE).
- Deliveries are Celery tasks queued after commit: `delivered` runs the commit callbacks with eager Celery.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.models import AlertChannel, AlertNotice
from alerts.services import NOT_SENT, alerts_notify, camera_outages_check
from tests.factories import CameraFactory, StoreFactory

SLACK_URL = "https://hooks.slack.com/services/T0TEST/B0TEST/slacksecret42"
DISCORD_URL = "https://discord.com/api/webhooks/123456789/discord-secret_42"
SLACK_PATH = "/services/T0TEST/B0TEST/slacksecret42"
DISCORD_PATH = "/api/webhooks/123456789/discord-secret_42"
IMPERSONATED = ("hooks.slack.com", "discord.com", "discordapp.com")


class WebhookReceiver:
    """Records every POST (path, JSON body, Host header) and GET; answers with `status` (settable per test)."""

    def __init__(self, tls_context: ssl.SSLContext | None = None):
        self.requests: list[tuple[str, dict]] = []
        self.hosts: list[str] = []
        self.status = 200
        self.location = ""  # answer with a redirect there when set
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, json.loads(body) if body else {}))
                receiver.hosts.append(self.headers.get("Host", ""))
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")  # what a Slack incoming webhook answers

            do_GET = do_POST  # a client that follows a 302 comes back with GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def payloads(self, path: str) -> list[dict]:
        return [payload for seen, payload in self.requests if seen == path]


@contextmanager
def running(hook: WebhookReceiver):
    hook.thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # the operator's opt-in for an on-premises receiver
    with running(WebhookReceiver()) as hook:
        yield hook


def _test_certificate(directory) -> tuple[str, str]:
    """A self-signed certificate for the impersonated hosts, usable as its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WINK test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in IMPERSONATED]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "hooks.pem", directory / "hooks.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def chat_receiver(tmp_path, monkeypatch):
    """An HTTPS server answering as hooks.slack.com and discord.com (what Apprise's plugins post to)."""
    cert, key = _test_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running(WebhookReceiver(context)) as hook:
        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if isinstance(host, str) and host.rstrip(".").lower() in IMPERSONATED:
                return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", hook.port))]
            return real_getaddrinfo(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
        for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(variable, raising=False)
        yield hook


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """`with delivered():` runs the alert tasks queued inside it, eagerly (retries included) after commit."""
    from wink.celery import app

    @contextmanager
    def run():
        before = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                yield callbacks
        finally:
            app.conf.task_always_eager = before

    return run


@pytest.fixture
def channels(store, receiver, chat_receiver):
    return {
        "email": AlertChannel.objects.create(store=store, kind="email", target="ops@shop.test, lead@shop.test"),
        "slack": AlertChannel.objects.create(store=store, kind="slack", target=SLACK_URL),
        "discord": AlertChannel.objects.create(store=store, kind="discord", target=DISCORD_URL),
        "webhook": AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/hook")),
    }


@pytest.mark.django_db
def test_alerts_notify_reaches_every_channel_of_the_store(store, channels, receiver, chat_receiver, delivered):
    other = StoreFactory()
    AlertChannel.objects.create(store=other, kind="webhook", target=receiver.url("/other-store"))
    AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/disabled"), enabled=False)

    sent_from = timezone.now()
    with delivered() as queued:
        queued_ids = alerts_notify(store, "Spike detected", "Footfall 3x the usual at 11:00")
        assert receiver.requests == [] and chat_receiver.requests == []  # nothing is sent before commit
    sent_until = timezone.now()

    assert len(queued) == 4
    assert sorted(queued_ids) == sorted(channel.pk for channel in channels.values())
    assert receiver.paths() == ["/hook"]
    assert sorted(chat_receiver.paths()) == sorted([SLACK_PATH, DISCORD_PATH])
    assert sorted(chat_receiver.hosts) == ["discord.com", "hooks.slack.com"]
    # Slack and Discord through Apprise: subject and body arrive; the generic webhook keeps its JSON contract.
    [slack] = chat_receiver.payloads(SLACK_PATH)
    assert slack["attachments"][0]["title"] == "Spike detected"
    assert slack["attachments"][0]["text"] == "Footfall 3x the usual at 11:00"
    [discord] = chat_receiver.payloads(DISCORD_PATH)
    assert discord["content"].startswith("Spike detected") and "Footfall 3x the usual at 11:00" in discord["content"]
    assert receiver.payloads("/hook") == [{"store": store.store_id, "store_name": store.name,
                                           "subject": "Spike detected", "body": "Footfall 3x the usual at 11:00"}]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@shop.test", "lead@shop.test"]
    assert message.subject == f"[WINK {store.store_id}] Spike detected"
    assert "Footfall 3x" in message.body
    for channel in channels.values():
        channel.refresh_from_db()
        assert sent_from <= channel.last_sent_at <= sent_until and channel.last_error == "", channel.kind


@pytest.mark.django_db
def test_a_failing_webhook_is_retried_recorded_and_does_not_stop_the_others(store, channels, receiver,
                                                                           chat_receiver, delivered):
    from alerts.tasks import alert_deliver_task

    receiver.status = 500
    chat_receiver.status = 500
    dead = AlertChannel.objects.create(store=store, kind="webhook", target="http://127.0.0.1:9/nothing-listens")

    sent_from = timezone.now()
    with delivered():
        alerts_notify(store, "Camera offline", "cam_01")
    sent_until = timezone.now()

    attempts = 1 + alert_deliver_task.max_retries  # eager Celery runs the retries at once
    assert receiver.paths() == ["/hook"] * attempts
    assert len(chat_receiver.payloads(SLACK_PATH)) == attempts
    assert len(mail.outbox) == 1  # the e-mail channel was sent once, unaffected
    for channel in [channels["slack"], channels["discord"], channels["webhook"], dead]:
        channel.refresh_from_db()
        # A generic reason only: never the target's answer (status, body) nor the URL (its path is the secret).
        assert channel.last_error == NOT_SENT and channel.last_sent_at is None, channel.kind
    channels["email"].refresh_from_db()
    assert channels["email"].last_error == "" and sent_from <= channels["email"].last_sent_at <= sent_until


@pytest.mark.django_db
def test_discord_messages_are_cut_to_its_limit(store, chat_receiver, delivered):
    AlertChannel.objects.create(store=store, kind="discord", target=DISCORD_URL)
    with delivered():
        alerts_notify(store, "Long", "x" * 5000)
    [payload] = chat_receiver.payloads(DISCORD_PATH)
    assert payload["content"].startswith("Long") and "xxxx" in payload["content"]
    assert 1900 < len(payload["content"]) <= 2000


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
    page = client.get("/admin/alerts/alertchannel/")
    assert page.status_code == 200
    assert b"hooks.slack.com/services/T/***" in page.content and b"SECRET" not in page.content
    form = client.get(f"/admin/alerts/alertchannel/{channel.pk}/change/")
    assert form.status_code == 200
    assert b"hooks.slack.com/services/T/***" in form.content and b"SECRET" not in form.content


@pytest.mark.django_db
def test_camera_offline_is_notified_once_per_outage_and_cleared(store, receiver, settings, delivered):
    def check(at):  # one beat tick, its alerts delivered after commit
        with delivered():
            return camera_outages_check(at)

    AlertChannel.objects.create(store=store, kind="webhook", target=receiver.url("/hook"))
    AlertChannel.objects.create(store=store, kind="email", target="ops@shop.test")
    now = timezone.now()
    camera = CameraFactory(store=store, camera_id="cam_door", name="Door", last_heartbeat=now - timedelta(seconds=60))
    CameraFactory(store=store, camera_id="cam_never")  # never reported: not alerted
    CameraFactory(store=store, camera_id="cam_off", enabled=False, last_heartbeat=now - timedelta(hours=3))

    assert check(now) == {"opened": 0, "closed": 0}  # 60 s silent: not yet
    later = now + timedelta(seconds=90)  # 150 s silent > CAMERA_ALERT_OFFLINE_SECONDS (120)
    assert check(later) == {"opened": 1, "closed": 0}
    assert check(later + timedelta(minutes=1)) == {"opened": 0, "closed": 0}  # same outage: quiet
    assert check(later + timedelta(minutes=2)) == {"opened": 0, "closed": 0}
    subjects = [payload["subject"] for _, payload in receiver.requests]
    assert subjects == ["Camera offline: Door"]
    assert "cam_door" in receiver.requests[0][1]["body"]
    assert [m.subject for m in mail.outbox] == [f"[WINK {store.store_id}] Camera offline: Door"]
    notice = AlertNotice.objects.get()
    assert notice.subject_key == "cam_door" and notice.closed_at is None

    camera.last_heartbeat = later + timedelta(minutes=3)  # back
    camera.save(update_fields=["last_heartbeat"])
    assert check(later + timedelta(minutes=3, seconds=10)) == {"opened": 0, "closed": 1}
    assert [payload["subject"] for _, payload in receiver.requests][-1] == "Camera back online: Door"
    # A second outage is a new notice and a new alert.
    assert check(later + timedelta(minutes=10)) == {"opened": 1, "closed": 0}
    assert AlertNotice.objects.count() == 2
    assert len([p for _, p in receiver.requests if p["subject"].startswith("Camera offline")]) == 2


@pytest.mark.django_db
def test_a_hanging_webhook_does_not_slow_the_outage_check(store, settings, django_capture_on_commit_callbacks):
    """Delivery is a queued task: the check returns at once even when a webhook would hold the request open."""
    import time

    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.ALERT_WEBHOOK_TIMEOUT_SECONDS = 4
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (kernel backlog) and never answers
    try:
        channel = AlertChannel.objects.create(
            store=store, kind="webhook", target=f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        now = timezone.now()
        CameraFactory(store=store, last_heartbeat=now - timedelta(minutes=10))
        CameraFactory(store=store, last_heartbeat=now - timedelta(minutes=20))
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=False) as queued:
            assert camera_outages_check(now) == {"opened": 2, "closed": 0}
        assert time.monotonic() - started < 2
        assert len(queued) == 2  # one delivery task per alert, dispatched after commit
        channel.refresh_from_db()
        assert channel.last_error == "" and channel.last_sent_at is None
    finally:
        silent.close()


@pytest.mark.django_db
def test_offline_check_runs_as_a_celery_task_from_the_schedule(store):
    from alerts.tasks import camera_outages_check_task
    from common.schedules import BEAT_SCHEDULE

    entries = [entry for entry in BEAT_SCHEDULE.values() if entry["task"] == camera_outages_check_task.name]
    assert entries and entries[0]["schedule"] <= 60
    CameraFactory(store=store, last_heartbeat=timezone.now() - timedelta(minutes=10))
    assert camera_outages_check_task.apply().get() == {"opened": 1, "closed": 0}


def test_email_url_forms(monkeypatch):
    from common.env import EnvError
    from common.mail import email_settings, parse_email_url

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
def test_admin_action_sends_a_test_alert_per_channel(store, admin_user, client, receiver, chat_receiver):
    good = AlertChannel.objects.create(store=store, kind="discord", target=DISCORD_URL)
    bad = AlertChannel.objects.create(store=store, kind="webhook", target="http://127.0.0.1:9/closed")
    client.force_login(admin_user)
    response = client.post("/admin/alerts/alertchannel/", {
        "action": "send_test_alert", "_selected_action": [good.pk, bad.pk],
    }, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    # Sent / not sent, nothing about how it failed (refused, timed out, HTTP status) and no webhook path.
    assert f"{good}: sent" in page and f"{bad}: not sent" in page
    assert "ConnectionError" not in page and "/closed" not in page and "discord-secret" not in page
    assert chat_receiver.payloads(DISCORD_PATH)[0]["content"].startswith("Test alert")
    bad.refresh_from_db()
    assert bad.last_error == NOT_SENT


@pytest.mark.django_db
def test_alert_channel_api_is_scoped_to_the_callers_stores(api, store, org_member, chat_receiver, client):
    member, member_store = org_member
    created = api.post("/api/alert-channels", {"store_id": store.store_id, "kind": "slack",
                                               "target": SLACK_URL}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert "target" not in body and body["store"] == store.store_id
    assert body["target_masked"] == "https://hooks.slack.com/services/T0TEST/***"
    tested = api.post(f"/api/alert-channels/{body['id']}/test")
    assert tested.status_code == 200 and tested.json() == {"sent": True}
    assert chat_receiver.payloads(SLACK_PATH)[0]["attachments"][0]["title"] == "Test alert"

    bad = api.post("/api/alert-channels", {"store_id": store.store_id, "kind": "email", "target": "nobody"},
                   format="json")
    assert bad.status_code == 400 and bad.json()["error"].startswith("target")
    unknown = api.post("/api/alert-channels", {"store_id": "store_nowhere", "kind": "email",
                                               "target": "a@b.test"}, format="json")
    assert unknown.status_code == 400 and "store_id" in unknown.json()["error"]

    from rest_framework.test import APIClient

    # A store manager who is an organisation admin manages their own stores' channels, and no others.
    member_store.organization.admins.add(member)
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
