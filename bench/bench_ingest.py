"""Ingestion throughput: events/s accepted through HTTP (POST /api/ingest/events, batches of 200, several
concurrent clients, gunicorn + PostgreSQL on this machine) beside PostgreSQL's own COPY rate for the
same rows into the same tables, measured in the same run. Also p50/p99 batch latency, and a check of
zero loss / zero duplicates (every sent id stored exactly once; a retried slice reported as duplicates).

    python bench/bench_ingest.py [--events 40000] [--clients 4] [--workers 2] [--threads 4]

Uses its own database (wink_ingest_bench, dropped and re-created) and the Redis db of REDIS_URL.
Targets: HTTP rate >= 20% of the COPY rate; p99 batch latency < 250 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = "wink_ingest_bench"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
BATCH = 200


def make_events(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    events = []
    for i in range(n):
        ts = base + timedelta(seconds=i * 0.2)
        enter = ts - timedelta(seconds=rng.uniform(2, 300))
        kind = rng.random()
        common = {"event_id": str(uuid.uuid4()), "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                  "person_key": f"t{rng.randint(1, 5000)}"}
        if kind < 0.3:
            events.append({**common, "type": "entrance", "direction": rng.choice(["in", "out"])})
        elif kind < 0.7:
            events.append({**common, "type": "zone", "zone_id": rng.choice(["electronics", "entrance_area"]),
                           "enter_ts": enter.isoformat().replace("+00:00", "Z"), "exit_ts": common["ts"],
                           "dwell_seconds": round((ts - enter).total_seconds(), 3)})
        elif kind < 0.9:
            events.append({**common, "type": "shelf", "shelf_id": "shelf_promo",
                           "dwell_seconds": round(rng.uniform(2, 60), 3)})
        else:
            events.append({**common, "type": "queue", "queue_id": "checkout",
                           "enter_ts": enter.isoformat().replace("+00:00", "Z"), "exit_ts": common["ts"],
                           "wait_seconds": round((ts - enter).total_seconds(), 3)})
    return events


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG_ADMIN}/{db}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)


def setup_database(env: dict) -> None:
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {BENCH_DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_http(base: str, bodies: list[tuple[str, bytes]], clients: int) -> tuple[float, list[float], list[dict]]:
    import requests

    queue = list(enumerate(bodies))
    lock = threading.Lock()
    latencies: list[float] = []
    results: list[dict] = [None] * len(bodies)  # type: ignore[list-item]

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                index, (key, body) = queue.pop(0)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for _attempt in range(20):
                started = time.perf_counter()
                try:
                    response = session.post(f"{base}/api/ingest/events", data=body, headers=headers, timeout=60)
                except requests.RequestException:
                    time.sleep(0.2)
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code == 200:
                    with lock:
                        latencies.append(elapsed)
                    results[index] = response.json()
                    break
                time.sleep(0.2)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": f"{PG_ADMIN}/{BENCH_DB}", "DEBUG": "false",
           "SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex, "SECURE_SSL_REDIRECT": "false",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "THROTTLE_INGEST": "10000000/min", "LOG_LEVEL": "WARNING",
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"), "DB_CONN_MAX_AGE": "600"}
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT",
                                           "ALLOWED_HOSTS", "REDIS_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    setup_database(env)

    import django

    django.setup()
    import json

    import psycopg

    from cameras.models import Camera, Organization, Store
    from events.keys import edge_key_create
    from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent

    organization = Organization.objects.create(name="Bench", slug="bench")
    store = Store.objects.create(organization=organization, store_id="store_bench", name="Bench")
    cameras = [Camera.objects.create(store=store, camera_id=f"cam_{i:02d}", name=f"cam {i}") for i in range(4)]
    keys = [edge_key_create(organization=organization, store=store, camera=c).api_key for c in cameras]

    events = make_events(args.events)
    bodies: list[tuple[str, bytes]] = []
    for number, start in enumerate(range(0, len(events), BATCH)):
        camera = number % len(cameras)
        body = {"org_id": str(organization.pk), "store_id": store.store_id, "camera_id": cameras[camera].camera_id,
                "device_ts": datetime.now(UTC).isoformat(), "events": events[start:start + BATCH]}
        bodies.append((keys[camera], json.dumps(body).encode()))
    camera_of = {}
    for number, start in enumerate(range(0, len(events), BATCH)):
        for event in events[start:start + BATCH]:
            camera_of[event["event_id"]] = cameras[number % len(cameras)]

    port = 18000 + random.randint(0, 999)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wink.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning", "--keep-alive", "30"],
        cwd=ROOT, env=env, start_new_session=True)
    try:
        import requests

        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if requests.get(f"{base}/api/ingest/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        # Warm every worker (imports, connections) with a throw-away batch that is deleted afterwards.
        warm = make_events(20, seed=99)
        for _ in range(args.workers * args.threads):
            requests.post(f"{base}/api/ingest/events", headers={"Authorization": f"Bearer {keys[0]}"}, timeout=30,
                          json={"store_id": store.store_id, "camera_id": cameras[0].camera_id, "events": warm})
        for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent):
            model.objects.all().delete()

        elapsed, latencies, results = run_http(base, bodies, args.clients)
        # A retried slice (the first 10 batches again) must come back as duplicates only.
        _, _, retried = run_http(base, bodies[:10], min(args.clients, 4))
    finally:
        server.terminate()
        server.wait(20)

    accepted = sum(r["accepted"] for r in results if r)
    failed_batches = sum(1 for r in results if not r)
    stored = sum(m.objects.count() for m in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent))
    sent_ids = {e["event_id"] for e in events}
    stored_ids = set()
    for model in (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent):
        stored_ids |= {str(i) for i in model.objects.values_list("event_id", flat=True)}
    retry_ok = all(r and r["accepted"] == 0 and r["duplicates"] == BATCH for r in retried)
    http_rate = accepted / elapsed

    # COPY baseline: the same rows, into the same (emptied) tables, one COPY per table, one transaction.
    from events.services import event_normalize

    now = datetime.now(UTC)
    tables: dict[str, tuple[list[str], io.StringIO]] = {}
    for event in events:
        etype, row = event_normalize(event, now=now)
        model = {"entrance": EntranceEvent, "zone": ZoneEvent, "shelf": ShelfEvent, "queue": QueueEvent}[etype]
        camera = camera_of[event["event_id"]]
        row.update(event_id=event["event_id"], store_id=store.pk, camera_id=camera.pk, camera_key=camera.camera_id,
                   source="edge", received_at=now)
        columns = list(row)
        table = model._meta.db_table
        if table not in tables:
            tables[table] = (columns, io.StringIO())
        values = [v.isoformat() if isinstance(v, datetime) else str(v) for v in (row[c] for c in columns)]
        tables[table][1].write("\t".join(values) + "\n")
    column_names = {"store": "store_id", "camera": "camera_id"}
    with psycopg.connect(f"{PG_ADMIN}/{BENCH_DB}") as conn:
        with conn.cursor() as cursor:
            for table in tables:
                cursor.execute(f"TRUNCATE {table}")
        conn.commit()
        payloads = {t: (cols, buf.getvalue().encode()) for t, (cols, buf) in tables.items()}
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table, (columns, payload) in payloads.items():
                names = ", ".join(column_names.get(c, c) for c in columns)
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write(payload)
        conn.commit()
        copy_elapsed = time.perf_counter() - started
    copy_rate = len(events) / copy_elapsed

    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    ratio = http_rate / copy_rate
    print(f"events: {len(events)} in {len(bodies)} batches of {BATCH}; clients {args.clients}; "
          f"gunicorn {args.workers} workers x {args.threads} threads; {os.cpu_count()} CPUs")
    print(f"HTTP ingest : {http_rate:10.0f} events/s  ({elapsed:.2f} s)  p50 {p50:.1f} ms  p99 {p99:.1f} ms")
    print(f"COPY (PG)   : {copy_rate:10.0f} events/s  ({copy_elapsed:.2f} s)   [baseline, same rows, same tables]")
    print(f"ratio HTTP/COPY: {ratio:.1%} (target >= 20%)   p99 target < 250 ms")
    print(f"loss: {len(sent_ids - stored_ids)}  duplicates: {stored - len(stored_ids)}  stored {stored}/{len(events)}"
          f"  failed batches: {failed_batches}  retried slice all duplicates: {retry_ok}")
    ok = (stored_ids == sent_ids and stored == len(events) and retry_ok and failed_batches == 0)
    print("RESULT:", "ok" if ok else "FAILED (loss or duplicates)",
          "| targets met" if ratio >= 0.2 and p99 < 250 else "| targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
