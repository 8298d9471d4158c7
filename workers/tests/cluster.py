"""Real processes for the camera worker tests: a private redis-server, Celery workers and beat."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from tests.rtsp import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout: float, interval: float = 0.5, message: str = "condition"):
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message} (last: {last!r})")


class RedisServer:
    """A redis-server of our own on a free port (restartable without touching the shared one)."""

    def __init__(self):
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wink-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: self._ping(client), 10, 0.1, "redis-server to answer")
        return self

    @staticmethod
    def _ping(client) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class CeleryProcess:
    """`celery -A wink worker|beat ...` with its output in a log file."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.args = args
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> CeleryProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wink", *self.args],
            cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def worker_env(database_name: str, redis_url: str, **extra) -> dict:
    """Environment of a worker/beat subprocess: the test database, the private Redis, quick timings."""
    env = dict(os.environ)
    base = env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/wink").rsplit("/", 1)[0]
    env.update({
        "DEBUG": "true",
        "DATABASE_URL": f"{base}/{database_name}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CAMERA_CONFIG_POLL_SECONDS": "2",
        "CAMERA_EVENT_FLUSH_SECONDS": "1",
        "OPENCV_FFMPEG_CAPTURE_OPTIONS": "rtsp_transport;tcp",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env
