"""Alert notifications per store: `alerts_notify(store, subject, body)` and the camera-offline check.

Any job may call `alerts_notify` (the camera-offline check below, the analytics spike job): it sends to every
enabled AlertChannel of the store (e-mail through Django's mail settings, Slack/Discord/generic webhooks over
HTTPS), records the outcome on the channel and never raises, so a dead webhook cannot break the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cameras.models import Camera, Store
from workers.models import AlertChannel, AlertNotice

logger = logging.getLogger(__name__)

DISCORD_LIMIT = 2000  # Discord rejects longer message content
SLACK_LIMIT = 3900


@dataclass(frozen=True)
class Delivery:
    channel_id: int
    kind: str
    ok: bool
    error: str = ""


def _webhook_payload(channel: AlertChannel, store: Store, subject: str, body: str) -> dict:
    if channel.kind == AlertChannel.Kind.SLACK:
        return {"text": f"*{subject}*\n{body}"[:SLACK_LIMIT]}
    if channel.kind == AlertChannel.Kind.DISCORD:
        return {"content": f"**{subject}**\n{body}"[:DISCORD_LIMIT]}
    return {"store": store.store_id, "store_name": store.name, "subject": subject, "body": body}


def _deliver(channel: AlertChannel, store: Store, subject: str, body: str) -> None:
    if channel.kind == AlertChannel.Kind.EMAIL:
        send_mail(f"[WINK {store.store_id}] {subject}", body, settings.DEFAULT_FROM_EMAIL, channel.recipients)
        return
    response = requests.post(
        channel.target.strip(), json=_webhook_payload(channel, store, subject, body),
        timeout=settings.ALERT_WEBHOOK_TIMEOUT_SECONDS,
    )
    if response.status_code >= 300:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")


def _send(channel: AlertChannel, store: Store, subject: str, body: str) -> Delivery:
    try:
        _deliver(channel, store, subject, body)
    except Exception as error:  # one broken channel must not stop the others or the caller
        message = f"{error.__class__.__name__}: {error}"[:500]
        logger.warning("alert to %s channel %s of %s failed: %s", channel.kind, channel.pk, store.store_id, message)
        AlertChannel.objects.filter(pk=channel.pk).update(last_error=message)
        return Delivery(channel.pk, channel.kind, False, message)
    AlertChannel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")
    return Delivery(channel.pk, channel.kind, True)


def alerts_notify(store: Store, subject: str, body: str) -> list[Delivery]:
    """Send one alert to all enabled channels of `store`; returns what happened per channel."""
    results = [_send(channel, store, subject, body)
               for channel in AlertChannel.objects.filter(store=store, enabled=True).order_by("id")]
    if not results:
        logger.info("alert for %s has no channel: %s", store.store_id, subject)
    return results


def alert_channel_test(channel: AlertChannel) -> Delivery:
    """A test message through one channel (admin action), so an operator sees a wrong address at once."""
    store = channel.store
    return _send(channel, store, "Test alert", f"WINK can reach this channel for {store.name} ({store.store_id}).")


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
