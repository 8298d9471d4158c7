"""Encryption at rest for secrets kept in the database (RTSP URLs carry camera passwords).

Values are stored as `enc1:<Fernet token>` (AES-128-CBC + HMAC-SHA256, from `cryptography`). Empty strings stay
empty so `exclude(rtsp_url="")` keeps working; any other lookup on an encrypted column cannot match (each token
is randomised), so never filter on one.

Keys, newest first:
- FIELD_ENCRYPTION_KEY: one or more Fernet keys, comma-separated (`manage.py rotate_field_encryption
  --generate-key` prints a new one). The first encrypts; every key listed decrypts.
- Without it, a key derived from SECRET_KEY (HKDF-SHA256). Keys derived from SECRET_KEY and
  SECRET_KEY_FALLBACKS always decrypt too, so moving from the derived key to an explicit one needs no extra step.

Rotation: put the new key first (FIELD_ENCRYPTION_KEY="new,old"), restart, run `manage.py
rotate_field_encryption` (re-encrypts every row with the new key), then drop the old key. Changing SECRET_KEY
while relying on the derived key: list the old one in SECRET_KEY_FALLBACKS, rotate, then remove it.
Rows written before encryption existed (plain text) are read as they are and encrypted on their next save; the
migration that introduced this field encrypted them all.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models

PREFIX = "enc1:"


class FieldDecryptionError(ImproperlyConfigured):
    """A stored secret cannot be decrypted with any configured key (FIELD_ENCRYPTION_KEY / SECRET_KEY changed)."""


def derive_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"wink-field-encryption", info=b"fernet-v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _configured_keys() -> tuple[bytes, ...]:
    explicit = [key.strip() for key in (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "").split(",") if key.strip()]
    derived = [derive_key(secret) for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]]
    keys: list[bytes] = []
    for key in [*(k.encode() for k in explicit), *derived]:
        if key not in keys:
            keys.append(key)
    return tuple(keys)


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys (32 url-safe base64-encoded bytes); "
            "generate one with `python manage.py rotate_field_encryption --generate-key`"
        ) from None


def fernet() -> MultiFernet:
    return _fernet_for(_configured_keys())


def encrypt_str(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt_str(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # plain text written before encryption: read as is
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise FieldDecryptionError(
            "cannot decrypt a stored secret with FIELD_ENCRYPTION_KEY or keys derived from SECRET_KEY / "
            "SECRET_KEY_FALLBACKS: list the key it was written with (see cameras/fields.py)"
        ) from None


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


def reencrypt_str(stored: str) -> str:
    """The same secret under the newest key (plain text gets encrypted)."""
    if not stored:
        return stored
    if not is_encrypted(stored):
        return encrypt_str(stored)
    return PREFIX + fernet().rotate(stored[len(PREFIX):].encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column encrypted at rest; Python code sees the plain value. `max_length` limits the plain text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt_str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or is_encrypted(value):
            return value
        return encrypt_str(value)
