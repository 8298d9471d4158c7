"""Edge API keys: `wink_edge_<random>`; only the SHA-256 is stored, the key itself is shown once.

A key belongs to one organisation and store, and either to one camera or (camera empty) to every
camera of its store. Revocation is immediate: every request looks the hash up in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cameras.models import Camera, EdgeKey, Organization, Store

KEY_PREFIX = "wink_edge_"
SHOWN_PREFIX_LENGTH = 16  # "wink_edge_" + 6 characters: enough to recognise a key in a list
LAST_USED_RESOLUTION = timedelta(seconds=60)  # write last_used_at at most once a minute per key


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    edge_key: EdgeKey
    api_key: str  # the only time the plain key exists


@transaction.atomic
def edge_key_create(*, organization: Organization, store: Store, camera: Camera | None) -> IssuedKey:
    if store.organization_id != organization.pk:
        raise ValidationError({"store_id": "store does not belong to this organisation"})
    if camera is not None and camera.store_id != store.pk:
        raise ValidationError({"camera_id": "camera does not belong to this store"})
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    edge_key = EdgeKey.objects.create(
        organization=organization, store=store, camera=camera,
        prefix=raw[:SHOWN_PREFIX_LENGTH], key_hash=key_hash(raw),
    )
    return IssuedKey(edge_key=edge_key, api_key=raw)


def edge_key_revoke(edge_key: EdgeKey) -> EdgeKey:
    """Idempotent: a revoked key keeps its first revocation time."""
    if edge_key.revoked_at is None:
        now = timezone.now()
        EdgeKey.objects.filter(pk=edge_key.pk, revoked_at__isnull=True).update(revoked_at=now)
        edge_key.refresh_from_db(fields=["revoked_at"])
    return edge_key


def edge_key_authenticate(raw_key: str) -> EdgeKey | None:
    """The active key for `raw_key`, or None (unknown, malformed or revoked)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    digest = key_hash(raw_key)
    edge_key = (
        EdgeKey.objects.select_related("organization", "store", "camera")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    # The unique index already matched the hash; compare in constant time anyway.
    if edge_key is None or not hmac.compare_digest(edge_key.key_hash, digest):
        return None
    now = timezone.now()
    if edge_key.last_used_at is None or now - edge_key.last_used_at > LAST_USED_RESOLUTION:
        EdgeKey.objects.filter(pk=edge_key.pk).update(last_used_at=now)
        edge_key.last_used_at = now
    return edge_key


def edge_key_allows(edge_key: EdgeKey, *, store: Store, camera: Camera | None = None) -> bool:
    """Tenant rule: a key writes and reads only its own store (and its own camera, if it has one)."""
    if edge_key.store_id != store.pk or edge_key.organization_id != store.organization_id:
        return False
    return camera is None or edge_key.camera_id is None or edge_key.camera_id == camera.pk
