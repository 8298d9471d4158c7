"""Option parsing shared by the offline vision commands (a leading underscore: not a command itself)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import CommandError


def parse_start(value: str | None) -> datetime | None:
    """`--start` as an aware datetime (naive values are UTC); a clear one-line error otherwise."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--start: not an ISO 8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
