"""Which alert targets WINK may send to, and how they are shown back (security: SSRF and secret webhook paths).

- Slack: `https://hooks.slack.com/services/…` only; Discord: `https://discord.com|discordapp.com/api/webhooks/…`
  only. Their host is fixed, so whoever configures a channel cannot aim WINK at anything else.
- Generic webhooks: http(s) to a host whose every address is public (no loopback, link-local, RFC 1918, ULA,
  CGNAT, unspecified, multicast, reserved...), checked when the channel is saved and again for the very socket
  a delivery connects over (DNS rebinding), unless the host is listed in ALERT_WEBHOOK_ALLOWED_HOSTS.
- Webhook URLs carry their secret in the path: `alert_target_mask` is the only form shown or logged.

`alert_target_validate(kind, target)` is the one validator (model clean() and the API); it raises
`AlertTargetError` with a message that never repeats the target. Plain module, no models (imported by both).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

SLACK_HOSTS = frozenset({"hooks.slack.com"})
DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com"})
SLACK_PATH = re.compile(r"^/services/(?P<a>[A-Za-z0-9]+)/(?P<b>[A-Za-z0-9]+)/(?P<c>[A-Za-z0-9]+)/?$")
DISCORD_PATH = re.compile(r"^/api/webhooks/(?P<id>[0-9]+)/(?P<token>[A-Za-z0-9_.-]+)/?$")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

PUBLIC_ONLY = "must be an http(s) URL whose host resolves only to public addresses"


class AlertTargetError(ValueError):
    """A target WINK refuses to send to; the message is safe to show (it never repeats the target)."""


class AlertDeliveryError(RuntimeError):
    """A delivery failed in a way worth retrying (network, the target's answer); retried by alert_deliver_task."""


def address_is_blocked(address: str) -> bool:
    """True for any address an alert must never reach: everything that is not plainly public unicast."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and address_is_blocked(str(embedded)):
            return True
    return (
        ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_unspecified or ip.is_multicast
        or ip.is_reserved or ip in CGNAT or not ip.is_global
    )


def _normalise_host(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def host_is_allowed(host: str | None) -> bool:
    """An operator-listed host (ALERT_WEBHOOK_ALLOWED_HOSTS) may be private: an on-premises receiver."""
    if not host:
        return False
    allowed = {_normalise_host(item) for item in getattr(settings, "ALERT_WEBHOOK_ALLOWED_HOSTS", []) if item}
    return _normalise_host(host) in allowed


def resolve_addresses(host: str, port: int) -> set[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # ValueError: e.g. an embedded NUL
        return set()
    return {info[4][0] for info in infos}


def _split(target: str):
    try:
        parts = urlsplit(target.strip())
        port = parts.port
    except ValueError:
        raise AlertTargetError("must be a valid http(s) URL") from None
    return parts, port


def _check_public_webhook(target: str) -> None:
    parts, port = _split(target)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise AlertTargetError("a webhook target must be an http(s) URL")
    if host_is_allowed(parts.hostname):
        return
    addresses = resolve_addresses(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    # Unresolvable and private get the same answer: the API is no oracle for the server's internal DNS.
    if not addresses or any(address_is_blocked(address) for address in addresses):
        raise AlertTargetError(f"{PUBLIC_ONLY} (or a host listed in ALERT_WEBHOOK_ALLOWED_HOSTS)")


def _check_official(target: str, hosts: frozenset[str], path: re.Pattern, example: str) -> re.Match:
    parts, port = _split(target)
    host = (parts.hostname or "").rstrip(".")
    match = path.match(parts.path)
    if (parts.scheme != "https" or host not in hosts or port not in (None, 443) or parts.username
            or parts.password or match is None):
        raise AlertTargetError(f"must be a webhook URL of the form {example}")
    return match


def slack_tokens(target: str) -> tuple[str, str, str]:
    match = _check_official(target, SLACK_HOSTS, SLACK_PATH, "https://hooks.slack.com/services/T…/B…/…")
    return match["a"], match["b"], match["c"]


def discord_tokens(target: str) -> tuple[str, str]:
    match = _check_official(target, DISCORD_HOSTS, DISCORD_PATH, "https://discord.com/api/webhooks/<id>/<token>")
    return match["id"], match["token"]


def alert_target_validate(kind: str, target: str) -> None:
    """Raise AlertTargetError unless `target` is a URL WINK may send `kind` alerts to (e-mail is not checked here)."""
    if kind == "slack":
        slack_tokens(target)
    elif kind == "discord":
        discord_tokens(target)
    elif kind == "webhook":
        _check_public_webhook(target)


def alert_target_mask(kind: str, target: str) -> str:
    """What may be shown of a target: e-mail as is; URLs keep scheme, host and a non-secret prefix."""
    if kind == "email":
        return target
    try:
        parts = urlsplit(target.strip())
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    if ":" in (parts.hostname or ""):
        host = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    shown = ""
    if kind == "slack" and (match := SLACK_PATH.match(parts.path)):
        shown = f"services/{match['a']}/"  # the workspace id; the rest is the secret
    elif kind == "discord" and (match := DISCORD_PATH.match(parts.path)):
        shown = f"api/webhooks/{match['id']}/"  # the webhook id; the token is the secret
    return f"{parts.scheme}://{host}/{shown}***"
