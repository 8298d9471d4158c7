"""Operations costs, each beside a baseline measured in the same run:

- `manage.py backup` (pg_dump custom format + screenshots, one archive)  vs  plain `pg_dump -Fc`;
- `manage.py restore` (pg_restore | psql in one transaction)              vs  plain `pg_restore --clean -1`;
- `manage.py prune_events` (batched, with progress)                      vs  one `DELETE … WHERE ts <` statement;
- one /metrics scrape (HTTP, Celery/Redis, cameras, people now per store)  vs  the process-only exposition.

    python bench/bench_ops.py [--stores 20] [--cameras 5] [--events 200000]

Uses its own database (wink_ops_bench, dropped and re-created) and the Redis db of REDIS_URL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = "wink_ops_bench"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG_ADMIN}/{db}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def row(label: str, value: float, baseline: float, unit: str = "s") -> None:
    print(f"{label:<34} {value:9.3f} {unit}   baseline {baseline:9.3f} {unit}   ratio {value / baseline:6.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--cameras", type=int, default=5, help="cameras per store")
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()

    os.environ.update({"DATABASE_URL": f"{PG_ADMIN}/{BENCH_DB}", "DEBUG": "true",
                       "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {BENCH_DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from cameras.models import Camera, Organization, Store
    from events.live import live_state_write
    from events.models import EntranceEvent

    org = Organization.objects.create(name="Bench", slug="bench")
    cameras = []
    for s in range(args.stores):
        store = Store.objects.create(organization=org, store_id=f"store_{s:03d}", name=f"Store {s}")
        for c in range(args.cameras):
            cameras.append(Camera.objects.create(store=store, camera_id=f"cam_{c}", name=f"Cam {c}",
                                                 rtsp_url=f"rtsp://u:p@10.0.{s}.{c}/s",
                                                 last_heartbeat=timezone.now()))
    now = timezone.now()
    batch = []
    for i in range(args.events):
        camera = cameras[i % len(cameras)]
        batch.append(EntranceEvent(event_id=uuid.uuid4(), store_id=camera.store_id, camera=camera,
                                   camera_key=camera.camera_id, ts=now - timedelta(minutes=i % (60 * 24 * 60)),
                                   direction="in"))
        if len(batch) == 5000:
            EntranceEvent.objects.bulk_create(batch)
            batch = []
    EntranceEvent.objects.bulk_create(batch)
    print(f"{args.stores} stores, {len(cameras)} cameras, {args.events} entrance events")

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PGDATABASE": BENCH_DB}
        plain = Path(tmp) / "plain.dump"
        base = timed(lambda: subprocess.run(["pg_dump", "-Fc", "-f", str(plain), f"{PG_ADMIN}/{BENCH_DB}"],
                                            check=True, env=env))
        archive = Path(tmp) / "wink.tar"
        ours = timed(lambda: call_command("backup", "-o", str(archive), stdout=open(os.devnull, "w")))  # noqa: SIM115
        row("backup", ours, base)
        connection.close()
        base = timed(lambda: subprocess.run(["pg_restore", "--clean", "--if-exists", "-1", "--no-owner",
                                             "-d", f"{PG_ADMIN}/{BENCH_DB}", str(plain)], check=True, env=env))
        ours = timed(lambda: call_command("restore", str(archive), "--yes", stdout=open(os.devnull, "w")))  # noqa: SIM115
        row("restore", ours, base)

    cutoff = now - timedelta(days=30)
    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("DELETE FROM entrance_events WHERE ts < %s", [cutoff])
            base = time.perf_counter() - started
        transaction.set_rollback(True)
    ours = timed(lambda: call_command("prune_events", "--older-than-days", "30", stdout=open(os.devnull, "w")))  # noqa: SIM115
    row("prune_events (half the events)", ours, base)

    for camera in cameras:
        live_state_write(camera.store.store_id, camera.camera_id, {"people": 3}, ttl=120)
    from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest

    process_only = CollectorRegistry()
    ProcessCollector(registry=process_only)
    client = Client()
    client.get("/metrics")  # registers the collectors
    scrapes = [timed(lambda: client.get("/metrics")) for _ in range(20)]
    bases = [timed(lambda: generate_latest(process_only)) for _ in range(20)]
    row("/metrics scrape (median)", statistics.median(scrapes) * 1000, statistics.median(bases) * 1000, "ms")
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
