"""OpenAPI fuzz run: schemathesis against the live server, authenticated as an admin; zero 5xx allowed.

Bounded: a few examples per operation, one worker, a fixed seed and a time budget, so it runs in a few minutes.
Reproduce by hand against any running server:

    schemathesis run http://127.0.0.1:8000/api/schema/ -H "Authorization: Bearer $TOKEN" \
        --checks not_a_server_error --max-examples 8 --seed 1
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import CameraFactory, StoreFactory, UserFactory, ZoneFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
MAX_TIME_SECONDS = int(os.environ.get("FUZZ_MAX_TIME", "300"))


class _ServerErrors(logging.Handler):
    """Collects Django's 'Internal Server Error' log records (with the traceback's last frame: file:line)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        if record.exc_info and record.exc_info[2] is not None:
            tb = record.exc_info[2]
            while tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
            self.records.append(f"{record.getMessage()} at {where}: {record.exc_info[1]!r}")
        else:
            self.records.append(record.getMessage())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_openapi_fuzz_finds_no_server_errors(live_server, settings, tmp_path):
    binary = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(binary).exists():
        pytest.skip("schemathesis not installed (pip install -r requirements-dev.txt)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    admin = UserFactory(username="fuzz-admin", is_staff=True, is_superuser=True)
    token = Token.objects.create(user=admin).key
    # Something to find: the default store with a camera and a zone, so id/slug paths also hit real objects.
    store = StoreFactory(store_id=settings.STORE_ID, name="Fuzz Store")
    camera = CameraFactory(store=store, camera_id="cam_fuzz")
    ZoneFactory(camera=camera, zone_id="zone_fuzz")

    errors = _ServerErrors()
    logger = logging.getLogger("django.request")
    logger.addHandler(errors)
    try:
        result = subprocess.run(
            [binary, "run", f"{live_server.url}/api/schema/",
             "--header", f"Authorization: Bearer {token}",
             "--checks", "not_a_server_error",
             "--phases", "examples,coverage,fuzzing",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1", "--no-shrink",
             "--max-time", str(MAX_TIME_SECONDS), "--request-timeout", "30",
             "--suppress-health-check", "all", "--warnings", "off",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=MAX_TIME_SECONDS + 120,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
        )
    finally:
        logger.removeHandler(errors)
    output = result.stdout + result.stderr
    summary = "\n".join(output.splitlines()[-60:])
    assert "operations" in output.lower() or "api operations" in output.lower(), summary
    assert not errors.records, "server errors:\n" + "\n".join(errors.records[:20]) + "\n\n" + summary
    assert result.returncode == 0, summary
