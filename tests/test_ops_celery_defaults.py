"""Operators can't start it wrong: real `celery -A wink` processes against a private redis-server.

- `celery -A wink beat` alone (no `sync_beat_schedules`) publishes the schedules declared in common/schedules.py;
- `celery -A wink worker` without -Q consumes every queue, cameras included;
- a `-Q default` worker warns in its log that nobody serves `cameras`, and /metrics shows the queue unserved.
"""

from __future__ import annotations

import json
import shutil

import pytest
import redis
from django.db import connection
from django_celery_beat.models import PeriodicTask

from common import instruments
from common.instruments import WORKER_QUEUES_KEY
from workers.tests.cluster import CeleryProcess, RedisServer, wait_for, worker_env

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")


@pytest.fixture
def private_redis():
    server = RedisServer().start()
    try:
        yield server, redis.Redis.from_url(server.url, socket_timeout=5)
    finally:
        server.close()


@pytest.fixture
def processes():
    started: list[CeleryProcess] = []
    yield started
    for process in started:
        process.stop()


def _start(processes, tmp_path, args, env, name) -> CeleryProcess:
    process = CeleryProcess(args, env, tmp_path / f"{name}.log").start()
    processes.append(process)
    return process


def _published_tasks(client) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange("default", 0, -1)]


def test_beat_alone_runs_the_schedules_declared_in_code(transactional_db, private_redis, processes, tmp_path):
    server, client = private_redis
    assert not PeriodicTask.objects.filter(name__startswith="wink:").exists()
    env = worker_env(connection.settings_dict["NAME"], server.url)
    beat = _start(processes, tmp_path, ["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule")], env, "beat")
    try:  # supervise-cameras runs every 5 s: beat publishes it to `default` (no worker here takes it off)
        wait_for(lambda: "workers.tasks.supervise_cameras_task" in _published_tasks(client), 90, 1,
                 "beat to publish supervise_cameras_task")
    except AssertionError:
        print(beat.log()[-4000:])
        raise
    from common.schedules import BEAT_SCHEDULE

    rows = set(PeriodicTask.objects.filter(name__startswith="wink:").values_list("name", flat=True))
    assert rows == {f"wink:{name}" for name in BEAT_SCHEDULE}
    # sync_beat_schedules stays an idempotent extra step: same rows, no duplicates.
    from django.core.management import call_command

    call_command("sync_beat_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PeriodicTask.objects.filter(task="workers.tasks.supervise_cameras_task").count() == 1


def _metrics_consumers(client, monkeypatch, url) -> dict[str, float]:
    from django.test import Client

    monkeypatch.setattr(instruments, "_redis_client", redis.Redis.from_url(url, socket_timeout=5))
    text = Client().get("/metrics").content.decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("wink_queue_consumers{"):
            queue = line.split('queue="', 1)[1].split('"', 1)[0]
            values[queue] = float(line.rsplit(" ", 1)[1])
    return values


def test_flagless_worker_serves_every_queue_and_a_default_only_worker_warns(
    transactional_db, private_redis, processes, tmp_path, monkeypatch, settings
):
    server, client = private_redis
    settings.REDIS_URL = server.url
    env = worker_env(connection.settings_dict["NAME"], server.url)
    common = ["--pool", "solo", "-l", "info", "--without-gossip", "--without-mingle"]

    lonely = _start(processes, tmp_path, ["worker", "-Q", "default", "-n", "lonely@test", *common], env, "lonely")
    wait_for(lambda: "does not consume queue cameras" in lonely.log(), 120, 1, "the unserved-queue warning")
    log = lonely.log()
    assert "WARNING" in log and "start a worker with -Q cameras" in log, log[-3000:]
    assert client.hget(WORKER_QUEUES_KEY, "lonely@test") == b"default"
    consumers = wait_for(lambda: (v := _metrics_consumers(client, monkeypatch, server.url)).get("default") and v,
                         60, 1, "wink_queue_consumers on /metrics")
    assert consumers == {"default": 1.0, "cameras": 0.0}
    lonely.stop()
    client.delete(WORKER_QUEUES_KEY, instruments.WORKER_SEEN_KEY)

    everything = _start(processes, tmp_path, ["worker", "-n", "all@test", *common], env, "all")
    wait_for(lambda: client.hget(WORKER_QUEUES_KEY, "all@test"), 120, 1, "the flagless worker's queues")
    assert client.hget(WORKER_QUEUES_KEY, "all@test") == b"cameras,default"
    assert "does not consume queue" not in everything.log()
    consumers = wait_for(lambda: (v := _metrics_consumers(client, monkeypatch, server.url)).get("cameras") and v,
                         60, 1, "the flagless worker on /metrics")
    assert consumers == {"default": 1.0, "cameras": 1.0}
