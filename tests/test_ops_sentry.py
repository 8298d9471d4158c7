"""Optional error reporting: Sentry is off unless SENTRY_DSN is set; when set, an exception raised in a view
reaches Sentry's envelope endpoint (a stub HTTP server on 127.0.0.1 here), through the real sentry_sdk client.

Each case runs Django in a subprocess: the settings module initialises Sentry at import, once per process."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, sys
import django
django.setup()
loaded_before = "sentry_sdk" in sys.modules
import threading, urllib.error, urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

client_ = sentry_sdk.get_client()
report = {"sentry_imported_by_settings": loaded_before, "initialized": sentry_sdk.is_initialized(),
          "active": client_.is_active()}
if client_.is_active():
    opts = client_.options
    report.update(integrations=sorted(client_.integrations), environment=opts["environment"],
                  send_default_pii=opts["send_default_pii"], traces_sample_rate=opts["traces_sample_rate"])
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
with override_settings(ROOT_URLCONF="sentry_probe_urls"):  # the real WSGI path, as gunicorn runs it
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.handle_request, daemon=True).start()
    request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}/boom/?q=1",
                                     headers={"Cookie": "sessionid=secret-cookie", "Authorization": "Bearer tok"})
    try:
        report["status"] = urllib.request.urlopen(request, timeout=30).status
    except urllib.error.HTTPError as exc:
        report["status"] = exc.code
sentry_sdk.flush(timeout=10)
print("REPORT " + json.dumps(report))
"""

URLS = """
from django.urls import path

def boom(request):
    raise RuntimeError({marker!r})

urlpatterns = [path("boom/", boom)]
"""


class _Stub(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        type(self).received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_stub():
    _Stub.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Stub.received
    server.shutdown()
    server.server_close()


def _run_probe(tmp_path: Path, marker: str, **env_changes: str) -> dict:
    (tmp_path / "sentry_probe_urls.py").write_text(URLS.format(marker=marker))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(DJANGO_SETTINGS_MODULE="wink.settings", DEBUG="true",
               PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path)]), **env_changes)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][len("REPORT "):])


def _events(received: list[tuple[str, bytes]]) -> list[dict]:
    """The event items of the envelopes the stub received (header line, then item header + payload pairs)."""
    events = []
    for _path, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if header.strip() and json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_without_sentry_dsn_nothing_is_initialised(tmp_path, sentry_stub):
    _server, received = sentry_stub
    report = _run_probe(tmp_path, f"probe-{uuid.uuid4()}")
    assert report["status"] == 500
    assert report["sentry_imported_by_settings"] is False
    assert report["initialized"] is False and report["active"] is False
    assert received == []


def test_with_sentry_dsn_a_view_exception_reaches_the_envelope_endpoint(tmp_path, sentry_stub):
    server, received = sentry_stub
    port = server.server_address[1]
    marker = f"probe-{uuid.uuid4()}"
    report = _run_probe(tmp_path, marker, SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42")

    assert report["status"] == 500
    assert report["initialized"] is True
    assert {"django", "celery"} <= set(report["integrations"])
    assert report["environment"] == "development"  # WINK_ENV
    assert report["send_default_pii"] is False
    assert report["traces_sample_rate"] is None  # no performance tracing unless asked for

    assert received and {path for path, _ in received} == {"/api/42/envelope/"}
    events = [e for e in _events(received)
              if any(v.get("value") == marker for v in e.get("exception", {}).get("values", []))]
    assert len(events) == 1, [e.get("exception") for e in _events(received)]
    event = events[0]
    assert event["environment"] == "development"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["transaction"] == "/boom/"  # the Django integration names the view's URL
    assert event["request"]["url"].endswith("/boom/") and event["request"]["method"] == "GET"
    # send_default_pii=False: no cookies, no credentials, no user, no client address
    text = json.dumps(event)
    assert "secret-cookie" not in text and "Bearer tok" not in text
    assert "cookies" not in event["request"] and "REMOTE_ADDR" not in event["request"].get("env", {})
    # outgoing requests (webhooks, OpenAI, this probe's own) carry no trace headers
    assert not {"Sentry-Trace", "Baggage"} & set(event["request"]["headers"])
    assert "user" not in event or not event["user"].get("ip_address")


@pytest.mark.parametrize(("name", "value"), [("SENTRY_DSN", "not-a-dsn"), ("SENTRY_TRACES_SAMPLE_RATE", "2")])
def test_a_bad_sentry_setting_stops_with_one_line_naming_it(name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(DEBUG="true", **{name: value})
    if name == "SENTRY_TRACES_SAMPLE_RATE":
        env["SENTRY_DSN"] = "http://publickey@127.0.0.1:9/1"
    proc = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert name in proc.stderr and "Traceback" not in proc.stderr
