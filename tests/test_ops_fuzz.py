"""OpenAPI fuzz run: schemathesis against the live server with two organisations; zero 5xx, zero timeouts and zero
connection errors allowed (a request that hangs for the 30 s request timeout is a bug, like a 500).

Three passes over the same data, one per role: the operator (superuser), an organisation admin of org A (which owns
the default store) and a plain member of org B (its own store, camera and zone), so scoped and cross-organisation
lookups are fuzzed too. Bounded: a few examples per operation, one worker, a fixed seed and one time budget shared by
the passes, so it runs in a few minutes.
Reproduce by hand against any running server:

    schemathesis run http://127.0.0.1:8000/api/schema/ -H "Authorization: Bearer $TOKEN" \
        --checks not_a_server_error --max-examples 5 --seed 1
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from knox.models import AuthToken

from tests.factories import CameraFactory, OrganizationFactory, StoreFactory, UserFactory, ZoneFactory

REPO = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
MAX_TIME_SECONDS = int(os.environ.get("FUZZ_MAX_TIME", "150"))
REQUEST_TIMEOUT_SECONDS = os.environ.get("FUZZ_REQUEST_TIMEOUT", "30")  # FUZZ_REQUEST_TIMEOUT=0.001 shows a failure


class _ServerErrors(logging.Handler):
    """Collects Django's 'Internal Server Error' records with the deepest project frame (file:line) that raised."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        where = ""
        tb = record.exc_info[2] if record.exc_info else None
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(str(REPO)) and "/.venv/" not in filename:
                where = f"{Path(filename).relative_to(REPO)}:{tb.tb_lineno}"
            tb = tb.tb_next
        error = record.exc_info[1] if record.exc_info else None
        self.records.append(f"{record.getMessage()} at {where or '?'}: {error!r}")


def _junit_problems(report_dir: Path) -> tuple[list[str], list[str]]:
    """(failures, errors) of the schemathesis JUnit report, each "<operation>: <message>": failures are failed
    checks (5xx), errors are requests that got no response (timeouts, refused or reset connections)."""
    failures, errors = [], []
    for path in report_dir.glob("junit*.xml"):
        for case in ET.parse(path).iter("testcase"):
            for child in case:
                text = " ".join((child.text or child.get("message") or "").split())[:300]
                if child.tag == "failure":
                    failures.append(f"{case.get('name')}: {text}")
                elif child.tag == "error":
                    errors.append(f"{case.get('name')}: {text}")
    return failures, errors


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_openapi_fuzz_finds_no_server_errors(live_server, settings, tmp_path):
    binary = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(binary).exists():
        pytest.skip("schemathesis not installed (pip install -r requirements-dev.txt)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Never the real OpenAI from a test: no key, and an address where nothing listens.
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    # Something to find in two organisations: org A owns the default store, org B its own store; each has a camera
    # and a zone, so id/slug paths hit real objects, one's own and the other organisation's.
    org_a = OrganizationFactory(name="Fuzz Org A", slug="fuzz-org-a")
    org_b = OrganizationFactory(name="Fuzz Org B", slug="fuzz-org-b")
    store = StoreFactory(organization=org_a, store_id=settings.STORE_ID, name="Fuzz Store")
    camera = CameraFactory(store=store, camera_id="cam_fuzz")
    ZoneFactory(camera=camera, zone_id="zone_fuzz")
    store_b = StoreFactory(organization=org_b, store_id="store_fuzz_b", name="Fuzz Store B")
    camera_b = CameraFactory(store=store_b, camera_id="cam_fuzz_b")
    ZoneFactory(camera=camera_b, zone_id="zone_fuzz_b")
    operator = UserFactory(username="fuzz-admin", is_staff=True, is_superuser=True)
    org_a_admin = UserFactory(username="fuzz-org-a-admin")
    org_a.members.add(org_a_admin)
    org_a.admins.add(org_a_admin)
    org_b_member = UserFactory(username="fuzz-org-b-member")
    org_b.members.add(org_b_member)
    tokens = {role: AuthToken.objects.create(user=user)[1]
              for role, user in (("operator", operator), ("org A admin", org_a_admin), ("org B member", org_b_member))}
    budget = max(MAX_TIME_SECONDS // len(tokens), 1)

    errors = _ServerErrors()
    logger = logging.getLogger("django.request")
    logger.addHandler(errors)
    try:
        outputs = []
        for n, (role, token) in enumerate(tokens.items()):
            report_dir = tmp_path / f"report-{n}"
            result = _schemathesis(binary, live_server.url, token, budget, report_dir, cwd=tmp_path)
            outputs.append((role, result.stdout + result.stderr, report_dir))
    finally:
        logger.removeHandler(errors)
    summaries, failures, network = [], [], []
    for role, output, report_dir in outputs:
        summary = f"--- as {role} ---\n" + "\n".join(output.splitlines()[-40:])
        summaries.append(summary)
        print(summary)  # with -s: what each pass covered in its share of the time budget
        assert "API Operations" in output, summary
        role_failures, role_network = _junit_problems(report_dir)
        failures += [f"[{role}] {problem}" for problem in role_failures]
        network += [f"[{role}] {problem}" for problem in role_network]
    summary = "\n\n".join(summaries)
    assert not errors.records, "server errors:\n" + "\n".join(sorted(set(errors.records))[:20]) + "\n\n" + summary
    assert not failures, "failed checks:\n" + "\n".join(failures[:20]) + "\n\n" + summary
    # No response at all is worse than a 500: a view that hangs for the 30 s request timeout (or drops the
    # connection) ties up a server worker. Each line names the operation and the role.
    by_operation: dict[str, list[str]] = {}
    for problem in network:  # "[role] METHOD /path: message"
        by_operation.setdefault(problem.split(": ", 1)[0], []).append(problem)
    assert not by_operation, "requests without a response (timeout / connection error):\n" + "\n".join(
        f"{problems[0]} ({len(problems)} failed)" for problems in list(by_operation.values())[:20]
    )


def _schemathesis(binary: str, base_url: str, token: str, max_time: int, report_dir: Path, cwd: Path):
    return subprocess.run(
        [binary, "run", f"{base_url}/api/schema/",
         "--header", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error",
         "--phases", "examples,coverage,fuzzing",
         "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1", "--no-shrink",
         "--max-time", str(max_time), "--request-timeout", REQUEST_TIMEOUT_SECONDS,
         "--suppress-health-check", "all", "--warnings", "off",
         # Sending a test alert to a generated URL would leave this machine: not fuzzed (tested by hand-made
         # cases in test_ops_alerts.py against a local receiver).
         "--exclude-path-regex", "alert-channels/.*/test",
         "--report", "junit", "--report-dir", str(report_dir)],
        capture_output=True, text=True, timeout=max_time + 120,
        cwd=cwd,  # schemathesis keeps a .schemathesis/ cache in its working directory
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )
