"""A scratch PostgreSQL database for the benchmarks that need Django and real tables (bench_aggregate,
bench_pos_import): derived from DATABASE_URL (server and credentials), recreated empty, migrated."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def scratch_database_url(name: str, tool: str) -> str:
    """DATABASE_URL's server with the database ``name``; exits naming ``tool`` unless it is PostgreSQL."""
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"{tool}: DATABASE_URL must point at PostgreSQL")
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def scratch_database_create(url: str) -> None:
    """Drop and create the database ``url`` names (connected through the server's ``postgres`` database)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def django_on(url: str) -> None:
    """Django set up on ``url`` (bench-only settings, quiet logs) with every migration applied."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
