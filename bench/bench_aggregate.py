"""Aggregating one store-day of 1,000,000 events on PostgreSQL, against a plain SQL GROUP BY.

Ours: `store_hours_aggregate` for the whole store-local day (Asia/Kolkata, so hours start at :30 UTC):
every scope (store, 5 cameras, zones, shelves, queues), distinct visitors, medians/p90 by
percentile_cont, peak occupancy, and the idempotent upsert of the rows.
Baselines, same rows, same run, results fetched, UTC hours via date_trunc (no time-zone handling):
- "same metrics": the plain GROUP BY a person would write for the same numbers, one per event table and
  scope (hour; hour+camera; hour+zone/shelf/queue) with the same aggregate functions (no occupancy:
  plain GROUP BY cannot compute it). Target: ours within 1.5× of it.
- "store only": one GROUP BY hour per event table with the store-level aggregates (lower bound).
Data is generated server-side with generate_series.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/bench_aggregate.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch_db import django_on, scratch_database_create, scratch_database_url

BENCH_DB = "wink_bench_aggregate"


GENERATE = """
INSERT INTO {table} (event_id, store_id, camera_id, camera_key, ts, person_key, source, received_at {extra_cols})
SELECT md5('{table}' || i)::uuid, %(store)s, NULL, {camera},
       %(start)s + (i::float8 / %(n)s) * interval '1 day', 't' || (i / 3), 'edge', now() {extra_vals}
FROM generate_series(0, %(n)s - 1) AS i
"""
TABLES = {
    # table: (share of events, camera expression, extra columns, extra values)
    "entrance_events": (
        0.40,
        "'cam_door_' || (i % 2)",
        ", direction",
        ", CASE WHEN i % 2 = 0 THEN 'in' ELSE 'out' END",
    ),
    "zone_events": (
        0.35,
        "'cam_zone_' || (i % 2)",
        ", zone_id, zone_type, enter_ts, exit_ts, dwell_seconds",
        ", 'zone_' || (i % 8), CASE WHEN i % 8 = 0 THEN 'entry' ELSE 'general' END, "
        "%(start)s + (i::float8 / %(n)s) * interval '1 day' - ((i % 600) + 2) * interval '1 second', "
        "%(start)s + (i::float8 / %(n)s) * interval '1 day', (i % 600) + 2",
    ),
    "shelf_interactions": (
        0.15,
        "'cam_zone_' || (i % 2)",
        ", shelf_id, enter_ts, exit_ts, dwell_seconds",
        ", 'shelf_' || (i % 10), NULL, NULL, (i % 60) + 2",
    ),
    "queue_events": (
        0.10,
        "'cam_queue'",
        ", queue_id, enter_ts, exit_ts, wait_seconds",
        ", 'checkout_' || (i % 2), "
        "%(start)s + (i::float8 / %(n)s) * interval '1 day' - ((i % 300) + 5) * interval '1 second', "
        "%(start)s + (i::float8 / %(n)s) * interval '1 day', (i % 300) + 5",
    ),
}

_AGGREGATES = {
    "entrance_events": "count(*) FILTER (WHERE direction = 'in'), count(*) FILTER (WHERE direction = 'out'), "
    "count(DISTINCT camera_key || '/' || person_key) FILTER (WHERE direction = 'in')",
    "zone_events": "count(*), count(DISTINCT camera_key || '/' || person_key), avg(dwell_seconds), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds)",
    "shelf_interactions": "count(*), count(DISTINCT camera_key || '/' || person_key), avg(dwell_seconds), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds)",
    "queue_events": "count(*), count(DISTINCT camera_key || '/' || person_key), avg(wait_seconds), "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_seconds), max(wait_seconds)",
}
_SCOPES = {
    "entrance_events": ["", ", camera_key"],
    "zone_events": ["", ", camera_key", ", zone_id"],
    "shelf_interactions": ["", ", camera_key", ", shelf_id"],
    "queue_events": ["", ", camera_key", ", queue_id"],
}
_PLAIN = """SELECT date_trunc('hour', ts){scope}, {aggregates} FROM {table}
WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY date_trunc('hour', ts){scope}"""
BASELINE_STORE = [_PLAIN.format(scope="", aggregates=_AGGREGATES[t], table=t) for t in _SCOPES]
BASELINE_SAME = [
    _PLAIN.format(scope=s, aggregates=_AGGREGATES[t], table=t) for t, scopes in _SCOPES.items() for s in scopes
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse the data a --keep run left")
    args = parser.parse_args()

    url = scratch_database_url(BENCH_DB, "bench_aggregate")
    if not args.reuse:
        scratch_database_create(url)
    django_on(url)
    import datetime as dt

    from django.db import connection

    from cameras.localtime import local_day_bounds
    from cameras.models import Camera, Organization, Store

    day = dt.date(2025, 10, 1)
    existing = Store.objects.filter(store_id="bench_store").first() if args.reuse else None
    if existing is not None:
        start, end = local_day_bounds(existing, day)
        _measure(args, existing, day, start, end, url)
        return
    org = Organization.objects.create(name="Bench", slug="bench")
    store = Store.objects.create(organization=org, store_id="bench_store", name="Bench", timezone="Asia/Kolkata")
    for camera_id, caps in (
        ("cam_door_0", ["entrance"]),
        ("cam_door_1", ["entrance"]),
        ("cam_zone_0", ["zones"]),
        ("cam_zone_1", ["zones", "shelves"]),
        ("cam_queue", ["queue"]),
    ):
        Camera.objects.create(store=store, camera_id=camera_id, name=camera_id, capabilities=caps)
    start, end = local_day_bounds(store, day)

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table, (share, camera, cols, vals) in TABLES.items():
            n = int(args.events * share)
            sql = GENERATE.format(table=table, camera=camera, extra_cols=cols, extra_vals=vals)
            cursor.execute(sql.replace("i % ", "i %% "), {"store": store.pk, "start": start, "n": n})
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT (SELECT count(*) FROM entrance_events) + (SELECT count(*) FROM zone_events) + "
            "(SELECT count(*) FROM shelf_interactions) + (SELECT count(*) FROM queue_events)"
        )
        total = cursor.fetchone()[0]
    print(f"generated {total:,} events for one store-day in {time.perf_counter() - t0:.1f}s")

    _measure(args, store, day, start, end, url)


def _measure(args, store, day, start, end, url) -> None:
    from django.db import connection

    from analytics.models import HourlyMetric
    from analytics.services import store_days_aggregate, store_hours_aggregate

    def baseline(queries: list[str]) -> float:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in queries:
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

    baseline(BASELINE_SAME), ours()  # warm the caches for both
    times: dict[str, list[float]] = {"same": [], "store": [], "ours": [], "full": []}
    for _ in range(args.repeat):  # interleaved, so machine noise hits every variant alike
        times["same"].append(baseline(BASELINE_SAME))
        times["store"].append(baseline(BASELINE_STORE))
        times["ours"].append(ours())
        times["full"].append(ours_with_daily())
    same, store_only, o, f = (statistics.median(times[k]) for k in ("same", "store", "ours", "full"))
    rows = HourlyMetric.objects.filter(store=store).count()
    print(f"baseline: plain GROUP BYs, same metrics & scopes  : {same * 1000:8.0f} ms")
    print(f"baseline: plain GROUP BY, store scope only        : {store_only * 1000:8.0f} ms")
    print(
        f"ours: hourly aggregation + upsert ({rows} rows)    : {o * 1000:8.0f} ms   "
        f"{o / same:.2f}x same-metrics (target <= 1.5x), {o / store_only:.2f}x store-only"
    )
    print(
        f"ours: hourly + daily (day pass, trends)           : {f * 1000:8.0f} ms   "
        f"{f / same:.2f}x same-metrics, {f / store_only:.2f}x store-only"
    )
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
