"""Backup archives: the database (PostgreSQL custom-format dump, or an SQLite copy made with SQLite's online
backup API) plus uploaded zone screenshots (MEDIA_ROOT), in one tar file with a manifest.

Archive layout: `manifest.json` ({"format": 1, "engine": "postgresql"|"sqlite", "created_at", "database",
"media_files"}), `database.dump` (pg_dump -Fc) or `database.sqlite3`, and `media/…`.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = 1
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot proceed; the message says why in one line."""


def database_engine(alias: str = "default") -> str:
    engine = settings.DATABASES[alias]["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"unsupported database engine {engine}")


def _pg_args_env(alias: str) -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES[alias]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return args, env


def _need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise BackupError(f"{binary} not found: install the PostgreSQL client tools (Debian: postgresql-client)")
    return path


def _run_streaming(command: list[str], env: dict[str, str], on_line: Callable[[str], None]) -> None:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        line = line.rstrip()
        if "error" in line.lower():
            errors.append(line)
        on_line(line)
    if process.wait() != 0:
        detail = errors[-1] if errors else f"exit status {process.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {detail}")


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def _dump_postgresql(target: Path, alias: str, progress: Progress) -> None:
    args, env = _pg_args_env(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        total = cursor.fetchone()[0]
    done = 0

    def on_line(line: str) -> None:
        nonlocal done
        if "dumping contents of table" in line:
            done += 1
            table = line.rsplit(" ", 1)[-1].strip('"')
            progress(f"  [{done}/{total}] {table}")

    _run_streaming([_need("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--verbose",
                    "--file", str(target), *args], env, on_line)


def _restore_postgresql(db_file: Path, alias: str, progress: Progress) -> None:
    """Replace schema `public` with the dump's content in ONE transaction: tables that the backup does not have
    (added by a later migration) go too, and any error leaves the database as it was."""
    args, env = _pg_args_env(alias)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [_need("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
             "--file", "-", *args],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err, env=env,
        )
        restore = subprocess.Popen(
            [_need("pg_restore"), "--no-owner", "--no-privileges", "--file", "-", str(db_file)],
            stdout=subprocess.PIPE, stderr=restore_err, env=env,
        )
        assert psql.stdin is not None and restore.stdout is not None
        tables = 0
        try:
            psql.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
            for line in restore.stdout:
                if line.startswith(b"COPY "):
                    tables += 1
                    progress(f"  [{tables}] {line.split(b' ', 2)[1].decode(errors='replace')}")
                psql.stdin.write(line)
        except BrokenPipeError:
            pass  # psql stopped at an error: its exit status and message tell
        restore.stdout.close()
        restore_status = restore.wait()
        if restore_status != 0:
            # A truncated script must never reach psql's end of input (that would COMMIT half a restore):
            # kill psql first, so its transaction is rolled back.
            psql.kill()
        else:
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
        psql_status = psql.wait()
        for status, errors, name in ((restore_status, restore_err, "pg_restore"), (psql_status, psql_err, "psql")):
            if status != 0:
                errors.seek(0)
                lines = [line for line in errors.read().decode(errors="replace").splitlines() if line.strip()]
                raise BackupError(f"{name} failed ({lines[-1] if lines else f'exit status {status}'}); "
                                  "the database was left unchanged")


def _copy_sqlite(source: str, target: str, progress: Progress) -> None:
    def report(_status, remaining, total):
        if total:
            progress(f"  pages {total - remaining}/{total}")

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=256, progress=report)
    finally:
        dst.close()
        src.close()


def backup_create(output: Path, *, alias: str = "default", include_media: bool = True,
                  progress: Progress = lambda _m: None) -> dict:
    """Write a backup archive to `output`; returns its manifest."""
    engine = database_engine(alias)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wink-backup-") as tmp:
        if engine == "postgresql":
            db_file = Path(tmp) / "database.dump"
            progress(f"Dumping PostgreSQL database {settings.DATABASES[alias]['NAME']} (pg_dump, custom format)")
            _dump_postgresql(db_file, alias, progress)
        else:
            db_file = Path(tmp) / "database.sqlite3"
            progress(f"Copying SQLite database {settings.DATABASES[alias]['NAME']} (online backup API)")
            _copy_sqlite(str(settings.DATABASES[alias]["NAME"]), str(db_file), progress)
        media = _media_files() if include_media else []
        manifest = {
            "format": FORMAT, "engine": engine, "created_at": datetime.now(UTC).isoformat(),
            "database": db_file.name, "media_files": len(media),
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(db_file, arcname=db_file.name)
            root = Path(settings.MEDIA_ROOT)
            for index, path in enumerate(media, 1):
                archive.add(path, arcname=f"media/{path.relative_to(root).as_posix()}")
                if index % 100 == 0 or index == len(media):
                    progress(f"  media {index}/{len(media)}")
        partial.replace(output)  # never leave a half-written archive under the final name
    return manifest


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("not a WINK backup archive (no manifest.json)") from None
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unsupported backup format {manifest.get('format')!r}")
    return manifest


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    # Only plain files and folders under the archive root (no links, devices, absolute or ../ paths).
    members = []
    for member in archive.getmembers():
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"refusing unsafe archive member {member.name!r}")
        members.append(member)
    return members


def backup_restore(archive_path: Path, *, alias: str = "default", include_media: bool = True,
                   progress: Progress = lambda _m: None) -> dict:
    """Replace the database (and media files) with the archive's content. Stop web and workers first."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"backup file {archive_path} does not exist")
    engine = database_engine(alias)
    try:
        archive = tarfile.open(archive_path, "r")  # noqa: SIM115 (closed by the `with` below)
    except tarfile.TarError as error:
        raise BackupError(f"{archive_path} is not a backup archive: {error}") from None
    with archive, tempfile.TemporaryDirectory(prefix="wink-restore-") as tmp:
        manifest = _read_manifest(archive)
        if manifest["engine"] != engine:
            raise BackupError(
                f"this backup holds a {manifest['engine']} database; the configured database is {engine} "
                "(use dumpdata/loaddata to move between engines)"
            )
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(tmp, members=_safe_members(archive), **safe)  # noqa: S202 (members vetted above)
        db_file = Path(tmp) / manifest["database"]
        connections[alias].close()
        if engine == "postgresql":
            progress(f"Restoring PostgreSQL database {settings.DATABASES[alias]['NAME']} (pg_restore | psql, one "
                     "transaction)")
            _restore_postgresql(db_file, alias, progress)
        else:
            progress(f"Restoring SQLite database {settings.DATABASES[alias]['NAME']} (online backup API)")
            _copy_sqlite(str(db_file), str(settings.DATABASES[alias]["NAME"]), progress)
        media_dir = Path(tmp) / "media"
        if include_media and media_dir.is_dir():
            files = [path for path in media_dir.rglob("*") if path.is_file()]
            root = Path(settings.MEDIA_ROOT)
            for index, path in enumerate(files, 1):
                destination = root / path.relative_to(media_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                if index % 100 == 0 or index == len(files):
                    progress(f"  media {index}/{len(files)}")
    return manifest
