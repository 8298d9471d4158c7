"""Container health checks (docker-compose.yml). Exit 0 = healthy; one line on stderr otherwise.

    python deploy/healthcheck.py web                 # GET /healthz (database reachable)
    python deploy/healthcheck.py http URL            # any URL answers 2xx
    python deploy/healthcheck.py worker QUEUE        # this container's Celery worker answers a ping
    python deploy/healthcheck.py beat                # beat sent a task within BEAT_MAX_SILENCE seconds
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

BEAT_KEY = "wink:ops:beat_last_publish"  # written by common.instruments in the beat process
BEAT_MAX_SILENCE = int(os.environ.get("BEAT_MAX_SILENCE", "180"))


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def check_http(url: str, host: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})  # noqa: S310 (local URL)
    try:
        with urllib.request.urlopen(request, timeout=8) as response:  # noqa: S310 (fixed local URL)
            return 0 if 200 <= response.status < 300 else fail(f"{url} answered {response.status}")
    except Exception as error:
        return fail(f"{url}: {error}")


def check_worker(queue: str) -> int:
    node = f"{queue}@{socket.gethostname()}"
    result = subprocess.run(
        ["celery", "-A", "wink", "inspect", "ping", "-d", node, "--timeout", "10"],
        capture_output=True, text=True, timeout=60,
    )
    return 0 if result.returncode == 0 and "pong" in result.stdout else fail(f"{node} did not answer a ping")


def check_beat() -> int:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
    raw = client.get(BEAT_KEY)
    if raw is None:
        return fail("beat has not sent any task yet")
    silence = time.time() - float(raw)
    return 0 if silence <= BEAT_MAX_SILENCE else fail(f"beat silent for {silence:.0f}s")


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "web":
        return check_http("http://127.0.0.1:8000/healthz", host="localhost")
    if mode == "http" and len(argv) > 2:
        return check_http(argv[2])
    if mode == "worker" and len(argv) > 2:
        return check_worker(argv[2])
    if mode == "beat":
        return check_beat()
    return fail(__doc__ or "usage")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
