"""README commands in a plain shell: embedded mode needs no exported variable; a bad setting is one line, exit 2.

Real subprocesses with a clean environment (PATH and HOME only, plus the variable under test) and a temporary
WINK_VAR_DIR, so the real var/ is never touched.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], var_dir: Path, timeout: float = 180, **variables: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
                   "WINK_VAR_DIR": str(var_dir), **variables}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def _manage(*args: str, var_dir: Path, **variables: str) -> subprocess.CompletedProcess:
    return _run(["manage.py", *args], var_dir, **variables)


def _one_line_failure(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wink: "), lines[0]
    return lines[0]


def test_check_generates_the_secret_key_once_and_reuses_it(tmp_path):
    first = _manage("check", var_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = _manage("check", var_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    assert key_file.read_text().strip() == key
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secret_key")]  # no temporary file left
    shown = _manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", var_dir=tmp_path)
    assert shown.stdout.strip().splitlines()[-1] == key


def test_issue_admin_token_works_on_the_embedded_database(tmp_path):
    migrated = _manage("migrate", "--noinput", "-v", "0", var_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    issued = _manage("issue_admin_token", "admin", var_dir=tmp_path)
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.strip().startswith("wink_api_"), issued.stdout


def test_embedded_mode_serves_plain_http_and_production_keeps_https(tmp_path):
    """After `make demo`, `manage.py runserver` in a plain shell (DEBUG off) must answer over http://127.0.0.1, not
    redirect to an HTTPS port nobody listens on; a deployment keeps the redirect and secure cookies."""
    probe = ("from django.conf import settings as s; "
             "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")
    embedded = _manage("shell", "-c", probe, var_dir=tmp_path)
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.strip().splitlines()[-1].split() == ["False", "False", "False", "0"]
    production = _manage("shell", "-c", probe, var_dir=tmp_path, WINK_ENV="production", SECRET_KEY="k" * 60)
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip().splitlines()[-1].split() == ["True", "True", "True", "31536000"]


def test_an_explicit_secret_key_wins_and_no_file_is_written(tmp_path):
    result = _manage("check", var_dir=tmp_path, SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("variables", [
    {"WINK_ENV": "production"},
    {"WINK_ENV": "production", "DEBUG": "true"},
    {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/wink_never_used"},
], ids=["wink-env-production", "production-even-with-debug", "database-url"])
def test_production_refuses_to_start_without_secret_key(tmp_path, variables):
    line = _one_line_failure(_manage("check", var_dir=tmp_path, **variables))
    assert "SECRET_KEY" in line
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(("variables", "words"), [
    ({"DEBUG": "maybe"}, ["DEBUG", "true/false"]),
    ({"HEARTBEAT_INTERVAL_SECONDS": "abc"}, ["HEARTBEAT_INTERVAL_SECONDS", ">= 1"]),
    ({"HEARTBEAT_INTERVAL_SECONDS": "0"}, ["HEARTBEAT_INTERVAL_SECONDS", ">= 1"]),
    ({"FRAME_RATE": "lots"}, ["FRAME_RATE", "a number"]),
    ({"WINK_ENV": "staging"}, ["WINK_ENV", "development, production"]),
], ids=["bool", "int", "int-minimum", "float", "choice"])
def test_a_bad_setting_is_one_line_naming_the_variable_and_accepted_values(tmp_path, variables, words):
    line = _one_line_failure(_manage("check", var_dir=tmp_path, **variables))
    for word in words:
        assert word in line, line


@pytest.mark.parametrize("command", [
    ["-m", "celery", "-A", "wink", "worker", "--pool", "solo"],
    ["-m", "celery", "-A", "wink", "beat"],
    ["-m", "celery", "-A", "wink", "inspect", "ping"],
    ["-c", "import wink.wsgi"],
    ["-c", "import wink.asgi"],
    ["scripts/demo.py"],
], ids=["celery-worker", "celery-beat", "celery-inspect", "wsgi", "asgi", "demo"])
def test_every_entry_point_stops_on_a_bad_setting_with_one_line(tmp_path, command):
    line = _one_line_failure(_run(command, tmp_path, timeout=120, DEBUG="maybe"))
    assert "DEBUG" in line and "true/false" in line
