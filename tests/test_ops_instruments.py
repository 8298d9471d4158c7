"""The Celery signal handlers of common/instruments.py run in real worker and beat processes.

No tasks module connects them any more (cameras/tasks.py used to import wink.metrics for that): wink/celery.py
imports common.instruments, so every `celery -A wink ...` process keeps worker heartbeats, beat activity and task
failures in Redis for /metrics. Real processes against a redis-server of the test's own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from common.instruments import BEAT_SEEN_KEY, WORKER_SEEN_KEY

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def private_redis(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        _wait_for(answers, 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        server.terminate()
        server.wait(10)


def test_worker_heartbeats_and_beat_activity_reach_redis_from_real_processes(private_redis, tmp_path):
    url, client = private_redis
    env = {**os.environ, "DEBUG": "true", "REDIS_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false",
           "PYTHONUNBUFFERED": "1"}
    schedule = tmp_path / "beat-schedule"
    commands = {
        "worker": ["worker", "-Q", "default", "-n", "default@instruments-test", "--pool", "solo",
                   "--without-mingle", "--without-gossip"],
        # The file scheduler: this test needs beat to start (beat_init), not the database's schedule.
        "beat": ["beat", "--scheduler", "celery.beat:PersistentScheduler", "-s", str(schedule)],
    }
    processes = {}
    logs = {}
    try:
        for name, args in commands.items():
            logs[name] = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            processes[name] = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wink", *args, "--loglevel", "INFO"],
                cwd=REPO, env=env, stdout=logs[name], stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            _wait_for(lambda: client.hget(WORKER_SEEN_KEY, "default@instruments-test"), 90, "a worker heartbeat")
            _wait_for(lambda: client.get(BEAT_SEEN_KEY), 90, "beat's first mark")
        except AssertionError:
            for name in logs:
                print(f"--- {name} log\n" + (tmp_path / f"{name}.log").read_text(errors="replace")[-4000:])
            raise
        seen = float(client.hget(WORKER_SEEN_KEY, "default@instruments-test"))
        assert abs(time.time() - seen) < 60
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for log in logs.values():
            log.close()
