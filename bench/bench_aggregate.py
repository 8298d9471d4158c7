"""Aggregating one store-day of 1,000,000 events on PostgreSQL, against a plain SQL GROUP BY.

Ours: `store_hours_aggregate` for the whole store-local day (Asia/Kolkata, so hours start at :30 UTC):
every scope (store, 5 cameras, zones, shelves, queues), distinct visitors, medians/p90 by
percentile_cont, peak occupancy sweeps, and the idempotent upsert of the rows.
Baseline, same rows, same run: per event table one `GROUP BY date_trunc('hour', ts)` computing the same
store-level aggregate functions (counts, count distinct, avg, percentile_cont, max), results fetched.
Target: ours within 1.5× of the baseline. Data is generated server-side with generate_series.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/bench_aggregate.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_DB = "wink_bench_aggregate"


def _bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_aggregate: DATABASE_URL must point at PostgreSQL")
    return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_DB}", "", ""))


def _create_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


GENERATE = """
INSERT INTO {table} (event_id, store_id, camera_id, camera_key, ts, person_key, source, received_at {extra_cols})
SELECT md5('{table}' || i)::uuid, %(store)s, NULL, {camera},
       %(start)s + (i::float8 / %(n)s) * interval '1 day', 't' || (i / 3), 'edge', now() {extra_vals}
FROM generate_series(0, %(n)s - 1) AS i
"""
TABLES = {
    # table: (share of events, camera expression, extra columns, extra values)
    "entrance_events": (0.40, "'cam_door_' || (i % 2)", ", direction", ", CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END"),
    "zone_events": (0.35, "'cam_zone_' || (i % 2)", ", zone_id, zone_type, enter_ts, exit_ts, dwell_seconds",
                    ", 'zone_' || (i % 8), CASE WHEN i % 8 = 0 THEN 'entry' ELSE 'general' END, "
                    "%(start)s + (i::float8 / %(n)s) * interval '1 day' - ((i % 600) + 2) * interval '1 second', "
                    "%(start)s + (i::float8 / %(n)s) * interval '1 day', (i % 600) + 2"),
    "shelf_interactions": (0.15, "'cam_zone_' || (i % 2)", ", shelf_id, enter_ts, exit_ts, dwell_seconds",
                           ", 'shelf_' || (i % 10), NULL, NULL, (i % 60) + 2"),
    "queue_events": (0.10, "'cam_queue'", ", queue_id, enter_ts, exit_ts, wait_seconds",
                     ", 'checkout_' || (i % 2), "
                     "%(start)s + (i::float8 / %(n)s) * interval '1 day' - ((i % 300) + 5) * interval '1 second', "
                     "%(start)s + (i::float8 / %(n)s) * interval '1 day', (i % 300) + 5"),
}

BASELINE = {
    "entrance_events": """SELECT date_trunc('hour', ts), count(*) FILTER (WHERE direction = 'in'),
        count(*) FILTER (WHERE direction = 'out'), count(DISTINCT camera_key || '/' || person_key)
        FROM entrance_events WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY 1""",
    "zone_events": """SELECT date_trunc('hour', ts), count(*), count(DISTINCT camera_key || '/' || person_key),
        avg(dwell_seconds), percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds)
        FROM zone_events WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY 1""",
    "shelf_interactions": """SELECT date_trunc('hour', ts), count(*), count(DISTINCT camera_key || '/' || person_key),
        avg(dwell_seconds), percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds)
        FROM shelf_interactions WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY 1""",
    "queue_events": """SELECT date_trunc('hour', ts), count(*), count(DISTINCT camera_key || '/' || person_key),
        avg(wait_seconds), percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_seconds), max(wait_seconds)
        FROM queue_events WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY 1""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    url = _bench_database_url()
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from analytics.aggregation import local_day_bounds
    from analytics.models import HourlyMetric
    from analytics.services import store_days_aggregate, store_hours_aggregate
    from cameras.models import Camera, Organization, Store

    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="Bench", slug="bench")
    store = Store.objects.create(organization=org, store_id="bench_store", name="Bench", timezone="Asia/Kolkata")
    for camera_id, caps in (("cam_door_0", ["entrance"]), ("cam_door_1", ["entrance"]), ("cam_zone_0", ["zones"]),
                            ("cam_zone_1", ["zones", "shelves"]), ("cam_queue", ["queue"])):
        Camera.objects.create(store=store, camera_id=camera_id, name=camera_id, capabilities=caps)
    import datetime as dt

    day = dt.date(2025, 10, 1)
    start, end = local_day_bounds(day, store.tzinfo)

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table, (share, camera, cols, vals) in TABLES.items():
            n = int(args.events * share)
            sql = GENERATE.format(table=table, camera=camera, extra_cols=cols, extra_vals=vals)
            cursor.execute(sql.replace("i % ", "i %% "), {"store": store.pk, "start": start, "n": n})
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT (SELECT count(*) FROM entrance_events) + (SELECT count(*) FROM zone_events) + "
                       "(SELECT count(*) FROM shelf_interactions) + (SELECT count(*) FROM queue_events)")
        total = cursor.fetchone()[0]
    print(f"generated {total:,} events for one store-day in {time.perf_counter() - t0:.1f}s")

    def baseline() -> float:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in BASELINE.values():
                cursor.execute(sql, {"store": store.pk, "start": start, "end": end})
                cursor.fetchall()
        return time.perf_counter() - began

    def ours() -> float:
        began = time.perf_counter()
        store_hours_aggregate(store, start, end)
        return time.perf_counter() - began

    def ours_with_daily() -> float:
        began = time.perf_counter()
        store_hours_aggregate(store, start, end)
        store_days_aggregate(store, [day])
        return time.perf_counter() - began

    baseline(), ours()  # warm the caches for both
    base_times, our_times, full_times = [], [], []
    for _ in range(args.repeat):
        base_times.append(baseline())
        our_times.append(ours())
        full_times.append(ours_with_daily())
    b, o, f = statistics.median(base_times), statistics.median(our_times), statistics.median(full_times)
    rows = HourlyMetric.objects.filter(store=store).count()
    print(f"baseline plain GROUP BY (4 tables, store scope)   : {b * 1000:8.0f} ms")
    print(f"ours: hourly aggregation + upsert ({rows} rows)   : {o * 1000:8.0f} ms   ratio {o / b:.2f}x (target <= 1.5x)")
    print(f"ours: hourly + daily (day pass, trends)          : {f * 1000:8.0f} ms   ratio {f / b:.2f}x")
    if not args.keep:
        connection.close()
        _drop(url)


def _drop(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
