"""p95 latency of the dashboard/analytics endpoints with one year of hourly data for 50 stores.

Data (server-side generate_series): 50 stores in three time zones, one year of hourly metrics for 9
scopes each (store, 3 cameras, 3 zones, a shelf, a queue; ~3.9M rows), daily metrics rolled up from
them, a promotion per store and today's entrance events for the realtime call. Requests go through
Django's full stack in-process (middleware, Bearer-token auth, DRF, JSON) as an organisation member;
each endpoint is called `--requests` times cycling over the stores (spike reports are cached until the
store's metrics change, so repeated stores hit the cache; the "cold cache" line clears it before every
call). Baseline in the same run: the unauthenticated health endpoint (framework + one SELECT 1).
Target: p95 < 100 ms per endpoint.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/bench_analytics_api.py [--reuse --keep]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_DB = "wink_bench_analytics_api"
STORES = 50
TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York"]

HOURLY_SQL = """
INSERT INTO analytics_hourlymetric (store_id, scope, scope_id, hour_start, local_date, local_hour, footfall_in,
    footfall_out, unique_visitors, entries, dwell_avg, dwell_median, interactions, served, wait_avg, wait_p90,
    wait_max, peak_occupancy, computed_at, camera_online)
SELECT s.id, sc.scope, sc.scope_id, h, (h AT TIME ZONE s.timezone)::date,
       extract(hour FROM h AT TIME ZONE s.timezone)::int,
       CASE WHEN sc.scope IN ('store', 'camera') THEN v.n ELSE 0 END,
       CASE WHEN sc.scope IN ('store', 'camera') THEN greatest(v.n - 1 + (v.r * 3)::int, 0) ELSE 0 END,
       (v.n * 0.8)::int,
       CASE WHEN sc.scope IN ('store', 'zone') THEN (v.n * 0.6)::int ELSE 0 END,
       CASE WHEN sc.scope IN ('store', 'zone', 'shelf') THEN 30 + v.r * 60 END,
       CASE WHEN sc.scope IN ('store', 'zone', 'shelf') THEN 25 + v.r * 50 END,
       CASE WHEN sc.scope IN ('store', 'shelf') THEN (v.n * 0.2)::int ELSE 0 END,
       CASE WHEN sc.scope IN ('store', 'queue') THEN (v.n * 0.3)::int ELSE 0 END,
       CASE WHEN sc.scope IN ('store', 'queue') THEN 40 + v.r * 80 END,
       CASE WHEN sc.scope IN ('store', 'queue') THEN 90 + v.r * 100 END,
       CASE WHEN sc.scope IN ('store', 'queue') THEN 150 + v.r * 200 END,
       (v.n * 0.3)::int, now(), CASE WHEN sc.scope = 'camera' THEN true END
FROM cameras_store AS s
CROSS JOIN generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 hour', interval '1 hour') AS h
CROSS JOIN (VALUES ('store', ''), ('camera', 'cam_door'), ('camera', 'cam_zone'), ('camera', 'cam_queue'),
                   ('zone', 'electronics'), ('zone', 'grocery'), ('zone', 'apparel'), ('shelf', 'shelf_promo'),
                   ('queue', 'checkout')) AS sc(scope, scope_id)
CROSS JOIN LATERAL (SELECT random() AS r,
    (CASE WHEN extract(hour FROM h AT TIME ZONE s.timezone) BETWEEN 9 AND 20
          THEN 40 + 30 * sin(extract(hour FROM h AT TIME ZONE s.timezone) / 3.0) ELSE 0 END
     + random() * 10)::int AS n) AS v
ORDER BY h, s.id  -- the hourly job's insertion order: stores interleaved, as in production
"""

DAILY_SQL = """
INSERT INTO analytics_dailymetric (store_id, scope, scope_id, date, footfall_in, footfall_out, unique_visitors,
    entries, dwell_avg, dwell_median, interactions, served, wait_avg, wait_p90, wait_max, peak_occupancy,
    computed_at, footfall_dod_pct, footfall_wow_pct, footfall_vs_weekday_avg_pct)
SELECT store_id, scope, scope_id, local_date, sum(footfall_in), sum(footfall_out), sum(unique_visitors),
       sum(entries), avg(dwell_avg), avg(dwell_median), sum(interactions), sum(served), avg(wait_avg),
       max(wait_p90), max(wait_max), max(peak_occupancy), now(), random() * 20 - 10, random() * 20 - 10,
       random() * 20 - 10
FROM analytics_hourlymetric GROUP BY store_id, scope, scope_id, local_date
"""


def _url() -> str:
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_analytics_api: DATABASE_URL must point at PostgreSQL")
    return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_DB}", "", ""))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _generate(today):
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from analytics.models import Promotion
    from cameras.models import Camera, Organization, Store
    from events.models import EntranceEvent

    org = Organization.objects.create(name="Bench chain", slug="bench-chain")
    for n in range(STORES):
        store = Store.objects.create(
            organization=org, store_id=f"store_{n:03d}", name=f"Store {n}", timezone=TIMEZONES[n % len(TIMEZONES)]
        )
        for camera_id, caps in (
            ("cam_door", ["entrance"]),
            ("cam_zone", ["zones", "shelves"]),
            ("cam_queue", ["queue"]),
        ):
            Camera.objects.create(
                store=store, camera_id=camera_id, name=camera_id, capabilities=caps, last_heartbeat=timezone.now()
            )
        Promotion.objects.create(
            store=store,
            name="Autumn sale",
            start_date=today - dt.timedelta(days=20),
            end_date=today - dt.timedelta(days=14),
        )
    user = get_user_model().objects.create_user("bench_manager", password="bench-Manager-1")
    org.members.add(user)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=366)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute(HOURLY_SQL, {"start": start, "end": end})
        cursor.execute(DAILY_SQL)
        cursor.execute("VACUUM ANALYZE analytics_hourlymetric")
        cursor.execute("VACUUM ANALYZE analytics_dailymetric")
        cursor.execute("SELECT count(*) FROM analytics_hourlymetric")
        hourly = cursor.fetchone()[0]
    # Today's door crossings for the realtime call.
    now = timezone.now()
    events = []
    import uuid

    for store in Store.objects.all():
        for i in range(300):
            events.append(
                EntranceEvent(
                    event_id=uuid.uuid4(),
                    store=store,
                    camera_key="cam_door",
                    ts=now - dt.timedelta(seconds=37 * i),
                    person_key=f"t{i}",
                    direction="in" if i % 3 else "out",
                )
            )
    EntranceEvent.objects.bulk_create(events, batch_size=5000)
    print(f"generated {hourly:,} hourly rows for {STORES} stores x 1 year in {time.perf_counter() - began:.0f}s")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = _url()
    if not args.reuse:
        _admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        _admin(url, f"CREATE DATABASE {BENCH_DB}")
    os.environ.update(DATABASE_URL=url, LOG_LEVEL="WARNING")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from knox.models import AuthToken

    from cameras.models import Store

    today = timezone.now().date()
    call_command("migrate", verbosity=0)
    if not Store.objects.exists():
        _generate(today)
    stores = list(Store.objects.values_list("store_id", flat=True))
    client = Client()
    # A fresh short-lived token each run: knox stores only digests, so a --reuse database has none to read back.
    _, token = AuthToken.objects.create(user=get_user_model().objects.get(username="bench_manager"),
                                        expiry=dt.timedelta(hours=1))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    week_ago = today - dt.timedelta(days=7)

    def post(path, body):
        return lambda store: client.post(
            path, json.dumps({**body, "store_id": store}), content_type="application/json", **auth
        )

    def get(path):
        return lambda store: client.get(path.format(store=store), **auth)

    endpoints = {
        "health (baseline, no auth)": lambda store: client.get("/api/analytics/health"),
        "GET realtime": get("/api/analytics/realtime?store_id={store}"),
        "POST comprehensive 30d+zones": post("/api/analytics/comprehensive", {"days": 30, "include_zones": True}),
        "POST comprehensive 365d+zones": post("/api/analytics/comprehensive", {"days": 365, "include_zones": True}),
        "GET spikes days=7": get("/api/analytics/spikes?store_id={store}&days=7"),
        "GET spikes date=": get(f"/api/analytics/spikes?store_id={{store}}&date={week_ago.isoformat()}"),
        "GET spikes days=7, cold cache": get("/api/analytics/spikes?store_id={store}&days=7"),
        "GET promo (7 days)": get(
            f"/api/analytics/promo?store_id={{store}}&start_date={week_ago.isoformat()}&end_date={today.isoformat()}"
        ),
        "GET insights": get("/api/analytics/insights?store_id={store}"),
        "POST comprehensive 30d, all 50": lambda store: client.post(
            "/api/analytics/comprehensive", json.dumps({"days": 30}), content_type="application/json", **auth
        ),
    }
    print(f"{'endpoint':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}   (target p95 < 100 ms)")
    baseline_p95 = None
    for name, call in endpoints.items():
        for store in stores[:3]:
            response = call(store)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        times = []
        for i in range(args.requests):
            store = stores[(i * 7) % len(stores)]
            if "cold" in name:
                cache.clear()  # the bench's own cache (REDIS_URL db or file cache): every call computes
            began = time.perf_counter()
            response = call(store)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        p95 = _p(times, 0.95)
        baseline_p95 = baseline_p95 or p95
        flag = "" if name.startswith("health") else ("  ok" if p95 < 100 else "  OVER")
        print(
            f"{name:34s} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f}"
            f"   {p95 / baseline_p95:5.1f}x baseline{flag}"
        )
    if not args.keep:
        from django.db import connection

        connection.close()
        _admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
