"""Security of alert channels (findings 3 and 7): no webhook into the server's own network (SSRF), Slack/Discord
only on their official hosts, no redirects, test results that say only sent / not sent, webhook secrets never
shown back (API, admin, last_error, logs), and only organisation admins change channels.

Every target is a real HTTP server on 127.0.0.1 started by the test (no network here); see tests/test_ops_alerts.py
for the receivers and for Slack/Discord impersonated over HTTPS.
"""

from __future__ import annotations

import importlib
import socket

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from alerts.models import AlertChannel
from alerts.services import NOT_ALLOWED, NOT_SENT
from tests.factories import UserFactory
from tests.test_ops_alerts import (
    DISCORD_URL,
    SLACK_URL,
    WebhookReceiver,
    chat_receiver,  # noqa: F401  (a fixture, used by name)
    running,
)

SSRF_TARGETS = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",  # CGNAT
    "http://[::1]/hook",
    "http://[fc00::1]/hook",  # ULA
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://localhost:8000/admin/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://0x7f.1/",
    "http://127.1/",
    "http://017700000001/",
]


@pytest.fixture
def hook():
    with running(WebhookReceiver()) as server:
        yield server


@pytest.fixture
def allow_local(settings):
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def _create(api, store, kind, target):
    return api.post("/api/alert-channels", {"store_id": store.store_id, "kind": kind, "target": target},
                    format="json")


# --- SSRF: where a webhook may point --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("target", SSRF_TARGETS)
def test_webhooks_into_the_servers_network_are_refused(api, store, target):
    response = _create(api, store, "webhook", target)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("target:")
    assert "target" in response.json()["errors"]
    with pytest.raises(ValidationError, match="target"):
        AlertChannel(store=store, kind="webhook", target=target).full_clean()
    assert not AlertChannel.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("target", [
    "https://evil.example/services/T0/B0/X0",
    "http://hooks.slack.com/services/T0/B0/X0",  # not https
    "https://hooks.slack.com.evil.example/services/T0/B0/X0",
    "https://hooks.slack.com@127.0.0.1/services/T0/B0/X0",
    "https://hooks.slack.com:6379/services/T0/B0/X0",
    "https://hooks.slack.com/api/other",
    "http://127.0.0.1:6379/services/T0/B0/X0",
])
def test_slack_targets_must_be_slacks_incoming_webhooks(api, store, target):
    response = _create(api, store, "slack", target)
    assert response.status_code == 400 and response.json()["error"].startswith("target:")
    with pytest.raises(ValidationError, match="target"):
        AlertChannel(store=store, kind="slack", target=target).full_clean()
    assert _create(api, store, "slack", SLACK_URL).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("target", [
    "https://discord.evil.example/api/webhooks/1/abc",
    "http://discord.com/api/webhooks/1/abc",
    "https://discord.com/api/oauth2/authorize",
    "https://discord.com.evil.example/api/webhooks/1/abc",
    "http://169.254.169.254/api/webhooks/1/abc",
])
def test_discord_targets_must_be_discords_webhooks(api, store, target):
    response = _create(api, store, "discord", target)
    assert response.status_code == 400 and response.json()["error"].startswith("target:")
    assert _create(api, store, "discord", DISCORD_URL).status_code == 201
    assert _create(api, store, "discord", "https://discordapp.com/api/webhooks/42/tok-en_1").status_code == 201


@pytest.mark.django_db
def test_an_operator_may_allow_a_private_receiver(api, store, hook, settings):
    assert _create(api, store, "webhook", hook.url("/hook")).status_code == 400
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    created = _create(api, store, "webhook", hook.url("/hook"))
    assert created.status_code == 201, created.content
    assert api.post(f"/api/alert-channels/{created.json()['id']}/test").json() == {"sent": True}
    assert hook.payloads("/hook")[0]["subject"] == "Test alert"
    # Listing 127.0.0.1 does not open its other spellings or other private hosts.
    assert _create(api, store, "webhook", "http://localhost/hook").status_code == 400
    assert _create(api, store, "webhook", "http://10.0.0.5/hook").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("code", [302, 307])
def test_redirects_are_not_followed(api, store, allow_local, code):
    with running(WebhookReceiver()) as inner, running(WebhookReceiver()) as outer:
        outer.status, outer.location = code, inner.url("/internal-admin")
        created = _create(api, store, "webhook", outer.url("/hook"))
        assert created.status_code == 201
        assert api.post(f"/api/alert-channels/{created.json()['id']}/test").json() == {"sent": False}
        assert outer.paths() == ["/hook"] and inner.requests == []


@pytest.mark.django_db
def test_a_hostname_that_rebinds_to_loopback_after_the_check_is_not_connected_to(api, store, hook, monkeypatch):
    """DNS rebinding: public when saved and when checked before delivery, 127.0.0.1 when connecting."""
    from alerts.tasks import alert_deliver_task

    real_getaddrinfo = socket.getaddrinfo
    answers = {"count": 0}

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            answers["count"] += 1
            address = "93.184.216.34" if answers["count"] <= 2 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, hook.port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    created = _create(api, store, "webhook", f"http://rebind.example:{hook.port}/hook")
    assert created.status_code == 201, created.content  # resolved to a public address when saved
    alert_deliver_task.apply(args=[created.json()["id"], "Spike", "body"])
    assert answers["count"] == 3 and hook.requests == []
    channel = AlertChannel.objects.get(pk=created.json()["id"])
    assert channel.last_error == NOT_ALLOWED and channel.last_sent_at is None


@pytest.mark.django_db
def test_rows_saved_before_the_rules_are_checked_at_delivery(store, hook, settings):
    """Channels created before this check (or written without clean()) cannot reach anything either."""
    from alerts.services import alert_channel_test

    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # even then, Slack/Discord go to their own hosts only
    slack = AlertChannel.objects.create(store=store, kind="slack", target=hook.url("/services/T/B/C"))
    discord = AlertChannel.objects.create(store=store, kind="discord", target=hook.url("/api/webhooks/1/x"))
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = []
    webhook = AlertChannel.objects.create(store=store, kind="webhook", target=hook.url("/hook"))
    for channel in (slack, discord, webhook):
        assert alert_channel_test(channel).ok is False
        channel.refresh_from_db()
        assert channel.last_error == NOT_ALLOWED
    assert hook.requests == []


# --- What is said back: sent / not sent, masked targets -------------------------------------------------------


@pytest.mark.django_db
def test_the_test_action_says_only_sent_or_not(api, store, hook, allow_local, caplog):
    hook.status = 500
    failing = _create(api, store, "webhook", hook.url("/hooks/s3cr3t-path")).json()
    dead = _create(api, store, "webhook", "http://127.0.0.1:9/hooks/s3cr3t-dead").json()
    for channel in (failing, dead):
        response = api.post(f"/api/alert-channels/{channel['id']}/test")
        assert response.status_code == 200 and response.json() == {"sent": False}
        assert b"500" not in response.content and b"refused" not in response.content.lower()
    assert hook.paths() == ["/hooks/s3cr3t-path"]
    # Stored and shown: a generic reason, neither the answer nor the path (which holds the secret).
    listed = api.get("/api/alert-channels").content.decode()
    for channel in AlertChannel.objects.all():
        assert channel.last_error == NOT_SENT
        assert "s3cr3t" not in channel.last_error and "500" not in channel.last_error
    assert "s3cr3t" not in listed and "Connection" not in listed
    assert "s3cr3t" not in caplog.text  # the server log has the details with the target masked


@pytest.mark.django_db
def test_a_failing_slack_channel_does_not_show_its_webhook_path(store, chat_receiver):  # noqa: F811
    from alerts.tasks import alert_deliver_task

    chat_receiver.status = 500
    channel = AlertChannel.objects.create(store=store, kind="slack", target=SLACK_URL)
    alert_deliver_task.apply(args=[channel.pk, "Spike", "body"])
    channel.refresh_from_db()
    assert channel.last_error == NOT_SENT and "slacksecret" not in channel.last_error
    assert len(chat_receiver.requests) == 1 + alert_deliver_task.max_retries


@pytest.mark.django_db
def test_targets_read_back_masked(api, store, admin_user, client, allow_local, hook):
    slack = _create(api, store, "slack", SLACK_URL).json()
    webhook = _create(api, store, "webhook", hook.url("/hooks/s3cr3t?token=abc")).json()
    assert slack["target_masked"] == "https://hooks.slack.com/services/T0TEST/***"
    assert webhook["target_masked"] == f"http://127.0.0.1:{hook.port}/***"
    for path in ("/api/alert-channels", f"/api/alert-channels/{slack['id']}", f"/api/alert-channels/{webhook['id']}"):
        text = api.get(path).content.decode()
        assert "slacksecret" not in text and "s3cr3t" not in text and "token=abc" not in text
    client.force_login(admin_user)
    for channel in (slack, webhook):
        page = client.get(f"/admin/alerts/alertchannel/{channel['id']}/change/").content.decode()
        assert "slacksecret" not in page and "s3cr3t" not in page  # write-only field, masked value shown
    assert "hooks.slack.com/services/T0TEST/***" in client.get(
        f"/admin/alerts/alertchannel/{slack['id']}/change/").content.decode()


@pytest.mark.django_db
def test_admin_form_keeps_the_target_when_left_blank_and_validates_a_new_one(store, admin_user, client):
    channel = AlertChannel.objects.create(store=store, kind="slack", target=SLACK_URL)
    client.force_login(admin_user)
    url = f"/admin/alerts/alertchannel/{channel.pk}/change/"
    form = {"store": store.pk, "kind": "slack", "target": "", "enabled": "on"}
    assert client.post(url, form).status_code == 302
    channel.refresh_from_db()
    assert channel.target == SLACK_URL
    refused = client.post(url, {**form, "target": "http://169.254.169.254/services/T/B/C"})
    assert refused.status_code == 200 and b"hooks.slack.com/services/T" in refused.content
    channel.refresh_from_db()
    assert channel.target == SLACK_URL


@pytest.mark.django_db
def test_old_last_errors_are_scrubbed_by_the_migration(store):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("workers.migrations.0002_alert_last_error_generic")
    # The models as that migration sees them (they have moved to the alerts app since; same table).
    apps = MigrationExecutor(connection).loader.project_state(("workers", "0002_alert_last_error_generic")).apps
    channel = AlertChannel.objects.create(
        store=store, kind="slack", target=SLACK_URL,
        last_error="ConnectionError: HTTPSConnectionPool(host='hooks.slack.com'): url: /services/T/B/slacksecret42")
    quiet = AlertChannel.objects.create(store=store, kind="email", target="ops@shop.test")
    with connection.schema_editor() as editor:
        migration.scrub_last_errors(apps, editor)
    channel.refresh_from_db()
    quiet.refresh_from_db()
    assert channel.last_error == NOT_SENT and quiet.last_error == ""


# --- Who may change channels ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_organisation_admins_change_alert_channels(org_member, hook, settings):
    member, member_store = org_member
    channel = AlertChannel.objects.create(store=member_store, kind="slack", target=SLACK_URL)
    client = APIClient()
    client.force_authenticate(member)

    listed = client.get("/api/alert-channels").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["target_masked"] for row in rows] == ["https://hooks.slack.com/services/T0TEST/***"]
    created = client.post("/api/alert-channels", {"store_id": member_store.store_id, "kind": "email",
                                                  "target": "m@shop.test"}, format="json")
    assert created.status_code == 403
    # A member learns nothing about which webhook targets would pass.
    probe = client.post("/api/alert-channels", {"store_id": member_store.store_id, "kind": "webhook",
                                                "target": "http://10.0.0.5/"}, format="json")
    assert probe.status_code == 403
    assert client.patch(f"/api/alert-channels/{channel.pk}", {"enabled": False}, format="json").status_code == 403
    assert client.post(f"/api/alert-channels/{channel.pk}/test").status_code == 403
    assert client.delete(f"/api/alert-channels/{channel.pk}").status_code == 403
    channel.refresh_from_db()
    assert channel.enabled is True and AlertChannel.objects.count() == 1

    admin = UserFactory()
    member_store.organization.members.add(admin)
    member_store.organization.admins.add(admin)
    client.force_authenticate(admin)
    assert client.post("/api/alert-channels", {"store_id": member_store.store_id, "kind": "email",
                                               "target": "m@shop.test"}, format="json").status_code == 201
    assert client.patch(f"/api/alert-channels/{channel.pk}", {"enabled": False}, format="json").status_code == 200
    assert client.delete(f"/api/alert-channels/{channel.pk}").status_code == 204
