"""Alert notifications per store: `alerts_notify(store, subject, body)` and the camera-offline check.

Any job may call `alerts_notify` (the camera-offline check below, the analytics spike job): it queues one Celery
task per enabled AlertChannel of the store (alerts/tasks.py `alert_deliver_task`, after the transaction commits),
so a dead or slow webhook never holds up the caller; the task retries with backoff. The task module imports this
one, never the reverse: the delivery is queued by the task's registered name (ALERT_DELIVER_TASK). Delivery
(`alert_channel_deliver`): e-mail through Django's mail settings, Slack and Discord through Apprise, generic
JSON webhooks through a small hardened `requests` path (below). The outcome is recorded on the channel:
`last_error` holds a generic reason only, never the target's answer or the webhook URL (its path is the secret);
the details go to the server log with the target masked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import apprise
import requests
from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from alerts.models import AlertChannel, AlertNotice
from alerts.targets import (
    AlertDeliveryError,
    AlertTargetError,
    address_is_blocked,
    alert_target_validate,
    discord_tokens,
    host_is_allowed,
    slack_tokens,
)
from cameras.models import Camera, Store

logger = logging.getLogger(__name__)

DISCORD_LIMIT = 2000  # Discord rejects longer message content (Apprise truncates to it)
NOT_SENT = "not sent: the channel did not accept the alert (details in the server log)"
NOT_ALLOWED = "not sent: the target is not allowed (see ALERT_WEBHOOK_ALLOWED_HOSTS)"
# The registered name of alerts.tasks.alert_deliver_task: it was workers.tasks.alert_deliver_task before the alerts
# app existed and keeps that name, so messages already queued under it are still delivered.
ALERT_DELIVER_TASK = "workers.tasks.alert_deliver_task"


class BlockedAddressError(RuntimeError):
    """A webhook connection reached a non-public address (DNS rebinding). Deliberately no OSError: urllib3 and
    requests would turn that into a retryable ConnectionError."""


@dataclass(frozen=True)
class Delivery:
    """What the API and admin may show of one attempt: sent or not, and a generic reason."""

    channel_id: int
    kind: str
    ok: bool
    error: str = ""


# --- Generic JSON webhooks: requests with the peer address checked on the connected socket ---------------------
# Why not Apprise's json:// here: (1) its payload is {version, title, message, attachments, type}, while our
# documented webhook contract is {store, store_name, subject, body}; (2) Apprise calls module-level
# `requests.request`, so no adapter of ours can see the socket: a hostname checked before the call could
# resolve to 127.0.0.1 a moment later (DNS rebinding). Here every connection's actual peer address is checked,
# redirects are never followed, environment proxies are ignored, and the answer's body is never read.


class _PublicPeerOnly:
    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            sock.close()
            raise
        if address_is_blocked(peer) and not host_is_allowed(self.host):
            sock.close()
            raise BlockedAddressError("webhook host resolved to a non-public address")
        return sock


class _PublicHTTPConnection(_PublicPeerOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def _post_json_webhook(url: str, payload: dict, timeout: float) -> int:
    """POST `payload`; the HTTP status (redirects are not followed: a 3xx is a failure)."""
    with requests.Session() as session:
        session.trust_env = False  # no HTTP(S)_PROXY from the environment: connect to the target itself
        adapter = _PublicOnlyAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = session.post(url, json=payload, timeout=timeout, allow_redirects=False, stream=True)
        response.close()  # never read what the target answers
        return response.status_code


# --- Slack and Discord: Apprise, built from the validated tokens (its plugins post to the official host) ------


def _apprise_url(channel: AlertChannel, timeout: float) -> str:
    options = f"redirect=no&cto={timeout:g}&rto={timeout:g}&overflow=truncate"
    if channel.kind == AlertChannel.Kind.SLACK:
        a, b, c = slack_tokens(channel.target)
        return f"slack://{a}/{b}/{c}/?{options}&image=no&footer=no"
    webhook_id, token = discord_tokens(channel.target)
    return f"discord://{webhook_id}/{token}/?{options}&avatar=no&footer=no"


def _apprise_notify(url: str, subject: str, body: str) -> bool:
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(http_redirects=False))
    if not notifier.add(url):
        return False
    return bool(notifier.notify(title=subject, body=body))


def _deliver(channel: AlertChannel, store: Store, subject: str, body: str, timeout: float) -> None:
    """Send once; AlertTargetError (policy) or AlertDeliveryError (anything else) on failure."""
    if channel.kind == AlertChannel.Kind.EMAIL:
        try:
            send_mail(f"[WINK {store.store_id}] {subject}", body, settings.DEFAULT_FROM_EMAIL, channel.recipients)
        except Exception as error:
            raise AlertDeliveryError(f"mail failed: {error.__class__.__name__}") from None
        return
    # Checked again at delivery: rows saved before these rules, and names that resolve differently now.
    alert_target_validate(channel.kind, channel.target)
    if channel.kind == AlertChannel.Kind.WEBHOOK:
        payload = {"store": store.store_id, "store_name": store.name, "subject": subject, "body": body}
        try:
            status = _post_json_webhook(channel.target.strip(), payload, timeout)
        except BlockedAddressError:
            raise AlertTargetError("resolved to a non-public address at delivery") from None
        except requests.RequestException as error:  # its text names the URL: log the class only
            raise AlertDeliveryError(f"webhook failed: {error.__class__.__name__}") from None
        if not 200 <= status < 300:
            raise AlertDeliveryError(f"webhook answered HTTP {status}")
        return
    if not _apprise_notify(_apprise_url(channel, timeout), subject, body):
        raise AlertDeliveryError(f"{channel.kind} notification failed (Apprise)")


def _attempt(channel: AlertChannel, subject: str, body: str, timeout: float) -> Delivery:
    store = channel.store
    try:
        _deliver(channel, store, subject, body, timeout)
    except AlertTargetError as error:
        logger.warning("alert to %s channel %s of %s refused (%s): %s", channel.kind, channel.pk, store.store_id,
                       channel.masked_target, error)
        AlertChannel.objects.filter(pk=channel.pk).update(last_error=NOT_ALLOWED)
        return Delivery(channel.pk, channel.kind, False, NOT_ALLOWED)
    except AlertDeliveryError as error:
        logger.warning("alert to %s channel %s of %s not sent (%s): %s", channel.kind, channel.pk, store.store_id,
                       channel.masked_target, error)
        AlertChannel.objects.filter(pk=channel.pk).update(last_error=NOT_SENT)
        return Delivery(channel.pk, channel.kind, False, NOT_SENT)
    AlertChannel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")
    return Delivery(channel.pk, channel.kind, True)


def alert_channel_deliver(channel_id: int, subject: str, body: str) -> Delivery | None:
    """One alert through one channel (the body of `alert_deliver_task`). Raises AlertDeliveryError when a retry
    may help; a refused target or a deleted/disabled channel is final. None when there was nothing to send."""
    channel = AlertChannel.objects.select_related("store").filter(pk=channel_id, enabled=True).first()
    if channel is None:
        return None
    result = _attempt(channel, subject, body, settings.ALERT_WEBHOOK_TIMEOUT_SECONDS)
    if not result.ok and result.error == NOT_SENT:
        raise AlertDeliveryError(f"alert channel {channel_id} not sent")
    return result


def alerts_notify(store: Store, subject: str, body: str) -> list[int]:
    """Queue one alert for every enabled channel of `store` (sent after commit); returns the channel ids."""
    channels = AlertChannel.objects.filter(store=store, enabled=True).order_by("id")
    channel_ids = list(channels.values_list("pk", flat=True))
    for channel_id in channel_ids:
        # By name: the task is registered in every process (AlertsConfig.ready), so this runs it eagerly where
        # Celery is eager (embedded mode, tests) and routes it like any task otherwise; never an import of tasks.
        delivery = current_app.signature(ALERT_DELIVER_TASK, args=(channel_id, subject, body))
        transaction.on_commit(delivery.delay)
    if not channel_ids:
        logger.info("alert for %s has no channel: %s", store.store_id, subject)
    return channel_ids


def alert_channel_test(channel: AlertChannel) -> Delivery:
    """A test message through one channel now (admin action, API), with a short timeout, so an operator sees a
    wrong address at once. Says only sent / not sent: never what (or whether) the target answered."""
    store = channel.store
    timeout = min(settings.ALERT_WEBHOOK_TIMEOUT_SECONDS, 5.0)
    return _attempt(channel, "Test alert", f"WINK can reach this channel for {store.name} ({store.store_id}).",
                    timeout)


def camera_outages_check(now=None) -> dict[str, int]:
    """Notify once per outage: an enabled camera silent for CAMERA_ALERT_OFFLINE_SECONDS opens a notice (and
    alerts); its return closes the notice (and says so). Cameras that never reported are not alerted."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.CAMERA_ALERT_OFFLINE_SECONDS)
    opened = closed = 0
    open_notices = {
        (notice.store_id, notice.subject_key): notice
        for notice in AlertNotice.objects.filter(kind=AlertNotice.Kind.CAMERA_OFFLINE, closed_at__isnull=True)
    }
    cameras = Camera.objects.filter(last_heartbeat__isnull=False).select_related("store").order_by("pk")
    for camera in cameras:
        key = (camera.store_id, camera.camera_id)
        silent = camera.enabled and camera.last_heartbeat < threshold
        notice = open_notices.pop(key, None)
        if silent and notice is None:
            try:
                with transaction.atomic():
                    AlertNotice.objects.create(
                        store=camera.store, kind=AlertNotice.Kind.CAMERA_OFFLINE, subject_key=camera.camera_id,
                        opened_at=now, detail={"last_heartbeat": camera.last_heartbeat.isoformat()},
                    )
            except IntegrityError:  # a concurrent check opened it first: that one notifies
                continue
            minutes = (now - camera.last_heartbeat).total_seconds() / 60
            alerts_notify(
                camera.store, f"Camera offline: {camera.name}",
                f"Camera {camera.name} ({camera.camera_id}) in {camera.store.name} has sent nothing for "
                f"{minutes:.0f} min (last heartbeat {camera.last_heartbeat:%Y-%m-%d %H:%M:%S} UTC). "
                f"Last error: {camera.last_error or 'none'}",
            )
            opened += 1
        elif notice is not None and not silent:
            notice.closed_at = now
            notice.save(update_fields=["closed_at"])
            if camera.enabled:
                minutes = (now - notice.opened_at).total_seconds() / 60
                alerts_notify(
                    camera.store, f"Camera back online: {camera.name}",
                    f"Camera {camera.name} ({camera.camera_id}) in {camera.store.name} reports again "
                    f"(alerted {minutes:.0f} min ago).",
                )
            closed += 1
    # Notices whose camera was deleted or lost its heartbeat: close quietly.
    for notice in open_notices.values():
        notice.closed_at = now
        notice.save(update_fields=["closed_at"])
        closed += 1
    return {"opened": opened, "closed": closed}
