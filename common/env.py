"""Typed environment readers that fail loudly on malformed values (healthchecks/paperless style)."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import NoReturn


class EnvError(RuntimeError):
    """A configuration variable is present but cannot be understood."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise EnvError(f"Environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"Environment variable {name}={raw!r} is not a boolean (use true/false)")


def _env_number(name: str, default, minimum, parse, kind: str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise EnvError(f"Environment variable {name}={raw!r} is not {kind} ({_accepted(minimum, kind)})") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"Environment variable {name}={value} must be >= {minimum}")
    return value


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    return _env_number(name, default, minimum, int, "an integer")


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    return _env_number(name, default, minimum, float, "a number")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise EnvError(f"Environment variable {name}={value!r} must be one of: {', '.join(sorted(choices))}")
    return value


def _accepted(minimum, kind: str) -> str:
    return f"use {kind}" if minimum is None else f"use {kind} >= {minimum}"


def secret_key_file(path: Path) -> str:
    """The secret key kept in `path`, generated on first use (embedded mode: no SECRET_KEY to export).

    Created atomically with mode 0600: the key is written to a private temporary file, then hard-linked to `path`,
    which never replaces a key another process wrote first (two commands started at once agree on one key).
    """
    try:
        try:
            key = path.read_text().strip()
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(secrets.token_urlsafe(50) + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    pass  # another process won the race: use its key
            finally:
                temporary.unlink(missing_ok=True)
            key = path.read_text().strip()
    except OSError as error:
        raise EnvError(f"SECRET_KEY is not set and the key file {path} cannot be used ({error.strerror}): "
                       "set SECRET_KEY, or WINK_VAR_DIR to a writable folder") from None
    if len(key) < 32:
        raise EnvError(f"SECRET_KEY is not set and the key file {path} holds no usable key: delete it (a new "
                       "one is generated) or set SECRET_KEY")
    return key


def exit_on_env_error(error: EnvError, status: int = 2) -> NoReturn:
    """Stop the process over a bad setting: one line on stderr, exit status 2, no traceback.

    Called where settings are first loaded: manage.py, wink/celery.py, wink/wsgi.py, wink/asgi.py.
    """
    sys.stderr.write(f"wink: {error}\n")
    sys.stderr.flush()
    raise SystemExit(status)


def load_settings_or_exit() -> None:
    """Load Django's settings now; a bad setting ends the process through exit_on_env_error (for entry points such
    as a gunicorn config file or a script that would otherwise meet the error deep inside a framework)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings module
    except EnvError as error:
        exit_on_env_error(error)
