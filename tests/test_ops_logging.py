"""Logs you can search: LOG_FORMAT=json in every process, camera/store/task ids as fields; the systemd units.

Real processes where it matters: a management command, a Celery worker against a redis-server of the test's own,
the camera runner in-process on a stored URL it refuses. The units are checked with `systemd-analyze verify` where
it is installed, and parsed either way.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from celery import shared_task

from common.logging import TaskContextFilter, logging_config

REPO = Path(__file__).resolve().parent.parent
SYSTEMD_DIR = REPO / "deploy" / "systemd"
UNITS = ["wink-web.service", "wink-worker.service", "wink-camera-worker@.service", "wink-beat.service",
         "wink-migrate.service"]


@shared_task(name="tests.logging.say", ignore_result=True)
def say(word: str) -> None:
    """Run by the real worker below (`-I tests.test_ops_logging`)."""
    logging.getLogger("wink.tests").warning("task says %s", word)


def _json_lines(text: str) -> list[dict]:
    """Every line that looks like a JSON object, parsed (a line that does not parse fails the test)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _env(**extra) -> dict:
    return {**os.environ, "DEBUG": "true", "PYTHONUNBUFFERED": "1", **extra}


def test_a_management_command_logs_one_json_object_per_line():
    code = ("import logging; log = logging.getLogger('wink.tests'); "
            "log.warning('hello %s', 'world', extra={'camera': 'cam_1', 'store': 'store_a'}); "
            "log.error('with a traceback', exc_info=ZeroDivisionError('x'))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO,
                            env=_env(LOG_FORMAT="json"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line on stderr is one JSON object
    hello = next(r for r in records if r["message"] == "hello world")
    assert hello["level"] == "WARNING" and hello["logger"] == "wink.tests"
    assert hello["camera"] == "cam_1" and hello["store"] == "store_a"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", hello["ts"])
    failing = next(r for r in records if r["message"] == "with a traceback")
    assert "ZeroDivisionError" in failing["exc_info"]


def test_text_is_the_default_and_a_bad_log_format_names_the_variable():
    code = "import logging; logging.getLogger('wink.tests').warning('plain line')"
    plain = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO,
                           env={k: v for k, v in _env().items() if k != "LOG_FORMAT"},
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert re.search(r"WARNING wink\.tests plain line", plain.stderr)
    bad = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=_env(LOG_FORMAT="xml"),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert "LOG_FORMAT" in bad.stderr


@pytest.mark.slow
def test_a_celery_worker_logs_json_with_the_task_id(tmp_path):
    from workers.tests.cluster import RedisServer, wait_for

    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    log_path = tmp_path / "worker.log"
    worker = None
    try:
        with open(log_path, "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wink", "worker", "-Q", "default", "-n", "logging@test",
                 "--pool", "solo", "--without-mingle", "--without-gossip", "-I", "tests.test_ops_logging",
                 "-l", "info"],
                cwd=REPO, env=_env(LOG_FORMAT="json", REDIS_URL=server.url, CELERY_TASK_ALWAYS_EAGER="false"),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                wait_for(lambda: any(r.get("message", "").endswith("ready.")
                                     for r in _json_lines(log_path.read_text(errors="replace"))), 90, 0.5,
                         "the worker's JSON 'ready.' line (Celery kept the project's logging)")
                from celery import Celery

                sender = Celery(broker=server.url)
                sent = sender.send_task("tests.logging.say", args=["hi"], queue="default")
                line = wait_for(lambda: next((r for r in _json_lines(log_path.read_text(errors="replace"))
                                              if r.get("message") == "task says hi"), None), 60, 0.5,
                                "the task's log line")
            except AssertionError:
                print(log_path.read_text(errors="replace")[-4000:])
                raise
        assert line["task_id"] == sent.id
        assert line["task_name"] == "tests.logging.say"
        assert line["level"] == "WARNING" and line["logger"] == "wink.tests"
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        server.close()


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.mark.django_db(transaction=True)
def test_camera_runner_log_lines_carry_camera_and_store(settings):
    import redis

    from tests.factories import CameraFactory
    from workers.runner import CameraRunner, ExitReason
    from workers.tests.cluster import RedisServer

    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    formatter_config = dict(logging_config("json", "INFO")["formatters"]["json"])
    module, _, name = formatter_config.pop("()").rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    handler = _Collect()
    handler.setFormatter(formatter)
    handler.addFilter(TaskContextFilter())
    runner_log = logging.getLogger("workers.runner")
    runner_log.addHandler(handler)
    old_level = runner_log.level
    runner_log.setLevel(logging.INFO)
    try:
        settings.REDIS_URL = server.url
        settings.CAMERA_ALLOW_FILE_SOURCES = False
        client = redis.Redis.from_url(server.url, decode_responses=True)
        camera = CameraFactory(rtsp_url="udp://10.0.0.1:5")  # stored before URL validation: refused
        assert CameraRunner(camera.pk, client=client, max_seconds=1).run() == ExitReason.STOPPED
    finally:
        runner_log.removeHandler(handler)
        runner_log.setLevel(old_level)
        server.close()
    records = [json.loads(line) for line in handler.lines]
    assert len(records) >= 3, records  # started, error (refused), stopped
    for record in records:
        assert record["camera"] == camera.camera_id, record
        assert record["store"] == camera.store.store_id, record
        assert record["logger"] == "workers.runner" and record["ts"]
    assert any(r["level"] == "INFO" and "refused" in r["message"] for r in records), records


# --- systemd units ------------------------------------------------------------------------------------------


def _unit(name: str) -> configparser.RawConfigParser:
    # repeated keys (ExecStart= of a oneshot, Environment=) are kept, joined by newlines
    class _Multi(dict):
        def __setitem__(self, key, value):
            if key in self and isinstance(value, list) and isinstance(self[key], list):
                self[key].extend(value)
            else:
                super().__setitem__(key, value)

    parser = configparser.RawConfigParser(strict=False, dict_type=_Multi, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((SYSTEMD_DIR / name).read_text())
    return parser


def _commands(unit: configparser.RawConfigParser) -> list[list[str]]:
    lines = []
    for key in ("ExecStartPre", "ExecStart"):
        if unit.has_option("Service", key):
            lines += [line for line in unit.get("Service", key).splitlines() if line.strip()]
    return [shlex.split(line) for line in lines]


def test_systemd_units_run_the_project_as_compose_does():
    managers = {path.stem for path in REPO.glob("*/management/commands/*.py")} | {"migrate", "grafana_reader"}
    seen = set()
    for name in UNITS:
        unit = _unit(name)
        service = dict(unit.items("Service"))
        assert service["User"] == "wink" and service["EnvironmentFile"] == "/etc/wink/wink.env", name
        assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes", name
        assert service["PrivateTmp"] == "yes" and "/var/lib/wink" in service["ReadWritePaths"], name
        if service.get("Type") != "oneshot":
            assert service["Restart"] == "on-failure", name
            assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 30, name
        for argv in _commands(unit):
            assert argv[0].startswith("/opt/wink/.venv/bin/"), argv
            program = Path(argv[0]).name
            if program == "python":
                assert argv[1] == "manage.py" and argv[2] in managers, argv
                seen.add(argv[2])
            elif program == "gunicorn":
                assert (REPO / argv[argv.index("--config") + 1]).is_file()
                assert argv[-1] == "wink.wsgi:application" and (REPO / "wink" / "wsgi.py").is_file()
                seen.add("web")
            else:
                assert program == "celery" and argv[1:3] == ["-A", "wink"], argv
                assert (REPO / "wink" / "celery.py").is_file()
                if argv[3] == "worker":
                    seen.add("worker " + argv[argv.index("-Q") + 1])
                else:
                    assert argv[3] == "beat" and "DatabaseScheduler" in " ".join(argv), argv
                    seen.add("beat")
    assert {"web", "worker default", "worker cameras", "beat", "migrate", "sync_beat_schedules"} <= seen
    camera = dict(_unit("wink-camera-worker@.service").items("Service"))
    assert "--pool threads" in camera["ExecStart"] and "%i" in camera["ExecStart"]
    for name in UNITS:  # a specifier Celery must see (%h) is escaped for systemd
        assert not re.search(r"[^%]%h", (SYSTEMD_DIR / name).read_text()), name


def test_the_env_file_example_carries_what_compose_sets():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    documented = set()
    for line in (SYSTEMD_DIR / "wink.env.example").read_text().splitlines():
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]+)=", line)
        if match:
            documented.add(match.group(1))
    proxy_only = {"VIRTUAL_HOST", "VIRTUAL_PORT", "LETSENCRYPT_HOST"}  # nginx-proxy's, not WINK's
    unit_env = {"PROMETHEUS_MULTIPROC_DIR"}  # wink-web.service sets it itself
    for service in ("web", "worker", "camera-worker", "beat", "migrate"):
        config = compose["services"][service]
        names = set(config.get("environment") or {}) - proxy_only - unit_env
        names |= set(re.findall(r"\$\{([A-Z0-9_]+)", json.dumps(config.get("command", ""))))
        missing = sorted(names - documented)
        assert not missing, f"{service}: deploy/systemd/wink.env.example lacks {missing}"
    assert "LOG_FORMAT=json" in (SYSTEMD_DIR / "wink.env.example").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path):
    # The units name /opt/wink; point them at this checkout so that verify can check every command exists.
    venv = Path(sys.executable).parent.parent
    for name in UNITS:
        text = (SYSTEMD_DIR / name).read_text().replace("/opt/wink/.venv", str(venv)).replace("/opt/wink", str(REPO))
        (tmp_path / name.replace("@.", "@1.")).write_text(text)
    started = time.monotonic()
    result = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if str(tmp_path) in line or "wink-" in line]
    assert result.returncode == 0 and not problems, output
    assert time.monotonic() - started < 120
