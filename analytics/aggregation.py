"""Event → metric aggregation, bucketed by the store's local hour.

Bucket boundaries are computed in Python per store-local hour (UTC instants), which handles DST
(23- and 25-hour days, the repeated 01:00 at a fall-back stays two buckets) and :30/:45 offsets such as
Asia/Kolkata. Rows are then assigned to buckets:

- PostgreSQL: one `GROUP BY GROUPING SETS` query per event table using `width_bucket(ts, boundaries[])`,
  so store, camera and zone/shelf/queue scopes come out of a single pass; medians and p90 use
  `percentile_cont`; peak occupancy hash-aggregates ±1 deltas per 10 s sample, then a running sum.
- SQLite (the embedded demo): the rows of the range are read and folded in Python with the same
  definitions (`percentile` below interpolates exactly like `percentile_cont`).

Definitions (docs/ and GUIDE.md §2):
- An event belongs to the hour of its `ts`.
- footfall_in/out: entrance crossings; a camera without the `entrance` capability adds the persons who
  entered one of its `entry` zones, once per person per hour.
- unique_visitors: distinct (camera, person_key). Tracker ids are per camera, so a person seen by two
  cameras counts twice. Store scope: the persons behind footfall_in (entering tracks). Zone/shelf/queue
  scope: distinct tracks with an event there. Camera scope: distinct tracks of the camera's busiest
  event type (entering tracks for a door camera, zone visitors for a zone camera).
- peak_occupancy, sampled every 10 s (SAMPLE_SECONDS) on the UTC clock: zone/queue scope = most stays
  covering one sample (enter ≤ t < exit) in the hour; store scope = highest running (in − out) since
  the local midnight, floored at 0. Stays shorter than one sample interval may fall between samples.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from analytics.staff import customer_q, customer_sql, staff_apply
from cameras.localtime import local_hour_start

UTC = dt.UTC


@dataclass(frozen=True)
class Bucket:
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC
    local_date: dt.date
    local_hour: int


def hour_buckets(tz, start: dt.datetime, end: dt.datetime) -> list[Bucket]:
    """Store-local hours covering [start, end), as UTC ranges; `start` is floored to its local hour."""
    buckets: list[Bucket] = []
    current = local_hour_start(tz, start)
    while current < end:
        candidate = local_hour_start(tz, current + dt.timedelta(hours=1))
        following = candidate if candidate > current else current + dt.timedelta(hours=1)
        local = current.astimezone(tz)
        buckets.append(Bucket(current, following, local.date(), local.hour))
        current = following
    return buckets


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks: the same result as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Numbers:
    footfall_in: int = 0
    footfall_out: int = 0
    unique_visitors: int = 0
    entries: int = 0
    dwell_avg: float | None = None
    dwell_median: float | None = None
    interactions: int = 0
    served: int = 0
    wait_avg: float | None = None
    wait_p90: float | None = None
    wait_max: float | None = None
    peak_occupancy: int = 0
    staff_crossings: int = 0  # GUIDE §2 Staff: left out of every number above (analytics/staff.py)
    staff_seconds: float = 0.0
    # Point of sale (store scope; None = no POS data): see pos_ratios.
    transactions: int | None = None
    revenue: Decimal | None = None
    pos_footfall_in: int | None = None
    conversion_rate: float | None = None
    avg_transaction_value: Decimal | None = None
    revenue_per_visitor: Decimal | None = None
    extra: dict = field(default_factory=dict)

    def as_fields(self) -> dict:
        data = dict(self.__dict__)
        data.pop("extra")
        return data


POS_FIELDS = ("transactions", "revenue", "pos_footfall_in", "conversion_rate", "avg_transaction_value",
              "revenue_per_visitor")
_MONEY = Decimal("0.001")


def pos_ratios(transactions: int | None, revenue: Decimal | None, footfall_in: int) -> dict:
    """GUIDE §2 conversion numbers of one store-local hour or day.

    `transactions`/`revenue` are None when the period has no POS data: everything is None then (never 0%).
    `footfall_in` is the footfall of the hours that have POS data. conversion_rate = transactions ÷ footfall_in
    and revenue_per_visitor = revenue ÷ footfall_in (None without footfall); avg_transaction_value = revenue ÷
    transactions (None without transactions). Refunds are already netted into revenue, not into transactions.
    """
    if transactions is None:
        return dict.fromkeys(POS_FIELDS)
    revenue = revenue if revenue is not None else Decimal(0)
    return {
        "transactions": transactions,
        "revenue": revenue,
        "pos_footfall_in": footfall_in,
        "conversion_rate": transactions / footfall_in if footfall_in else None,
        "avg_transaction_value": (revenue / transactions).quantize(_MONEY) if transactions else None,
        "revenue_per_visitor": (revenue / footfall_in).quantize(_MONEY) if footfall_in else None,
    }


# Key: (bucket index 0.., scope, scope_id) → Numbers
Result = dict[tuple[int, str, str], Numbers]

# Occupancy is sampled at every multiple of this many seconds (UTC epoch).
SAMPLE_SECONDS = 10


def _camera_unique(target: Numbers, distinct_tracks: int) -> None:
    """Camera scope: distinct tracks of its busiest event type (entering tracks for a door camera)."""
    target.unique_visitors = max(target.unique_visitors, distinct_tracks or 0)


def aggregate_range(
    store_pk: int,
    buckets: list[Bucket],
    entrance_cameras: list[str],
    day_starts: dict[int, dt.datetime],
    occupancy: bool = True,
) -> Result:
    """Aggregate all event tables of one store over consecutive `buckets`.

    `entrance_cameras`: slugs of cameras with an entrance line (their entry zones do not add footfall).
    `day_starts`: bucket index → UTC local-midnight of that bucket's day (store occupancy carry).
    """
    if not buckets:
        return {}
    if connection.vendor == "postgresql":
        result = _aggregate_postgres(store_pk, buckets, entrance_cameras, day_starts, occupancy)
    else:
        result = aggregate_python(store_pk, buckets, entrance_cameras, day_starts, occupancy)
    staff_apply(result, store_pk, buckets)
    return result


# --- PostgreSQL ------------------------------------------------------------------------------------

# Events of the range with their bucket index (0-based); grouping sets then give every scope in one pass.
# DISTINCT keys use the "C" collation: byte order is enough to find duplicates and sorts ~1.5× faster.
# Staff tracks' events are left out of every customer metric (customer_sql, analytics/staff.py).
_ROWS = """(SELECT *, width_bucket(ts, %(b)s::timestamptz[]) - 1 AS b FROM {table}
          WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s
            AND """ + customer_sql("{table}") + """) AS e"""

_ENTRANCE_SQL = f"""
SELECT b, GROUPING(camera_key) AS g_cam, camera_key,
       count(*) FILTER (WHERE direction = 'in'), count(*) FILTER (WHERE direction = 'out'),
       count(DISTINCT (camera_key || '/' || person_key) COLLATE "C")
           FILTER (WHERE direction = 'in' AND person_key <> '')
FROM {_ROWS.format(table="entrance_events")}
GROUP BY GROUPING SETS ((b), (b, camera_key))
"""

_ZONE_SQL = f"""
SELECT b, GROUPING(camera_key), GROUPING(zone_id), camera_key, zone_id,
       count(*), count(DISTINCT (camera_key || '/' || person_key) COLLATE "C") FILTER (WHERE person_key <> ''),
       avg(dwell_seconds), percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds),
       count(DISTINCT (camera_key || '/' || person_key) COLLATE "C")
           FILTER (WHERE zone_type = 'entry' AND NOT (camera_key = ANY(%(entrance)s)))
FROM {_ROWS.format(table="zone_events")}
GROUP BY GROUPING SETS ((b), (b, camera_key), (b, zone_id))
"""

_SHELF_SQL = f"""
SELECT b, GROUPING(camera_key), GROUPING(shelf_id), camera_key, shelf_id,
       count(*), count(DISTINCT (camera_key || '/' || person_key) COLLATE "C") FILTER (WHERE person_key <> ''),
       avg(dwell_seconds), percentile_cont(0.5) WITHIN GROUP (ORDER BY dwell_seconds)
FROM {_ROWS.format(table="shelf_interactions")}
GROUP BY GROUPING SETS ((b), (b, camera_key), (b, shelf_id))
"""

_QUEUE_SQL = f"""
SELECT b, GROUPING(camera_key), GROUPING(queue_id), camera_key, queue_id,
       count(*), count(DISTINCT (camera_key || '/' || person_key) COLLATE "C") FILTER (WHERE person_key <> ''),
       avg(wait_seconds), percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_seconds), max(wait_seconds)
FROM {_ROWS.format(table="queue_events")}
GROUP BY GROUPING SETS ((b), (b, camera_key), (b, queue_id))
"""

# Peak occupancy is sampled every SAMPLE_SECONDS (sample k is the instant k × step): a stay covers the
# samples with enter ≤ t < exit, so it adds +1 at the first sample ≥ enter and −1 at the first sample ≥ exit.
# The deltas are hash-aggregated per sample (cheap: no sort of the events), a running sum over the few
# thousand samples gives the occupancy, and 0-deltas at bucket starts carry it into hours without changes.
# `ts` bounds use the (store, ts) index: a stay never lasts a day.
_OCCUPANCY_SQL = """
WITH deltas AS (
    SELECT e.{key} AS sid, v.k, sum(v.d) AS d
    FROM {table} AS e
    CROSS JOIN LATERAL (VALUES
        (ceil(date_part('epoch', greatest(e.enter_ts, %(start)s)) / %(step)s), 1),
        (CASE WHEN e.exit_ts < %(end)s THEN ceil(date_part('epoch', e.exit_ts) / %(step)s) END, -1)
    ) AS v(k, d)
    WHERE e.store_id = %(store)s AND e.ts >= %(start)s - interval '1 day' AND e.ts < %(end)s + interval '1 day'
      AND e.enter_ts < %(end)s AND e.exit_ts > %(start)s AND v.k IS NOT NULL AND """ + customer_sql("e") + """
    GROUP BY 1, 2
), points AS (
    SELECT sid, k, d FROM deltas
    UNION ALL SELECT s.sid, ceil(date_part('epoch', t) / %(step)s), 0
    FROM (SELECT DISTINCT sid FROM deltas) AS s, unnest(%(b)s::timestamptz[]) AS t WHERE t < %(end)s
), run AS (
    SELECT sid, k, sum(d) OVER (PARTITION BY sid ORDER BY k ROWS UNBOUNDED PRECEDING) AS occ FROM points
)
SELECT width_bucket(to_timestamp(k * %(step)s), %(b)s::timestamptz[]) - 1, sid, max(occ) FROM run GROUP BY 1, 2
"""

# Running in − out per local day, sampled like zones; `carry` is the first day's balance before the range.
_STORE_OCCUPANCY_SQL = """
WITH points AS (
    SELECT ceil(date_part('epoch', ts) / %(step)s) AS k, sum(CASE WHEN direction = 'in' THEN 1 ELSE -1 END) AS d
    FROM entrance_events WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s
      AND """ + customer_sql("entrance_events") + """ GROUP BY 1
    UNION ALL SELECT ceil(date_part('epoch', t) / %(step)s), 0 FROM unnest(%(b)s::timestamptz[]) AS t
    WHERE t < %(end)s
), run AS (
    SELECT k, sum(d) OVER (PARTITION BY width_bucket(to_timestamp(k * %(step)s), %(days)s::timestamptz[])
                           ORDER BY k ROWS UNBOUNDED PRECEDING)
              + CASE WHEN width_bucket(to_timestamp(k * %(step)s), %(days)s::timestamptz[]) = 1
                     THEN %(carry)s ELSE 0 END AS occ
    FROM points
)
SELECT width_bucket(to_timestamp(k * %(step)s), %(b)s::timestamptz[]) - 1, greatest(max(occ), 0) FROM run GROUP BY 1
"""


def _day_boundaries(buckets: list[Bucket], day_starts: dict[int, dt.datetime]) -> list[dt.datetime]:
    starts = sorted(set(day_starts.values()))
    return [*starts, buckets[-1].end + dt.timedelta(days=2)]


def _occupancy_carry(store_pk: int, since: dt.datetime, until: dt.datetime) -> int:
    from django.db.models import Count

    from events.models import EntranceEvent

    if since >= until:
        return 0
    rows = dict(
        EntranceEvent.objects.filter(customer_q(), store_id=store_pk, ts__gte=since, ts__lt=until)
        .values_list("direction")
        .annotate(n=Count("id"))
        .order_by()
    )
    return rows.get("in", 0) - rows.get("out", 0)


def _aggregate_postgres(
    store_pk: int,
    buckets: list[Bucket],
    entrance_cameras: list[str],
    day_starts: dict[int, dt.datetime],
    occupancy: bool = True,
) -> Result:
    bounds = [b.start for b in buckets] + [buckets[-1].end]
    params = {
        "b": bounds,
        "store": store_pk,
        "start": bounds[0],
        "end": bounds[-1],
        "entrance": entrance_cameras,
        "step": SAMPLE_SECONDS,
    }
    result: Result = defaultdict(Numbers)
    with connection.cursor() as cursor:
        cursor.execute(_ENTRANCE_SQL, params)
        for b, g_cam, camera, n_in, n_out, uniq_in in cursor.fetchall():
            target = result[(b, "store", "")] if g_cam else result[(b, "camera", camera)]
            target.footfall_in += n_in
            target.footfall_out += n_out
            if g_cam:
                target.unique_visitors += uniq_in
            else:
                _camera_unique(target, uniq_in)

        cursor.execute(_ZONE_SQL, params)
        for b, g_cam, g_zone, camera, zone, n, uniq, avg, median, firsts in cursor.fetchall():
            if g_cam and g_zone:
                target = result[(b, "store", "")]
                target.footfall_in += firsts
                target.unique_visitors += firsts
            elif not g_cam:
                target = result[(b, "camera", camera)]
                target.footfall_in += firsts
                _camera_unique(target, uniq)
            else:
                target = result[(b, "zone", zone)]
                target.unique_visitors = uniq
            target.entries, target.dwell_avg, target.dwell_median = n, avg, median

        cursor.execute(_SHELF_SQL, params)
        for b, g_cam, g_shelf, camera, shelf, n, uniq, avg, median in cursor.fetchall():
            if g_cam and g_shelf:
                target = result[(b, "store", "")]
                target.extra.update(shelf_dwell_avg=avg)
            elif not g_cam:
                target = result[(b, "camera", camera)]
                _camera_unique(target, uniq)
            else:
                target = result[(b, "shelf", shelf)]
                target.unique_visitors, target.dwell_avg, target.dwell_median = uniq, avg, median
            target.interactions = n

        cursor.execute(_QUEUE_SQL, params)
        for b, g_cam, g_queue, camera, queue, n, uniq, avg, p90, wmax in cursor.fetchall():
            if g_cam and g_queue:
                target = result[(b, "store", "")]
            elif not g_cam:
                target = result[(b, "camera", camera)]
                _camera_unique(target, uniq)
            else:
                target = result[(b, "queue", queue)]
                target.unique_visitors = uniq
            target.served, target.wait_avg, target.wait_p90, target.wait_max = n, avg, p90, wmax

        for scope, table, key in (("zone", "zone_events", "zone_id"), ("queue", "queue_events", "queue_id")):
            if not occupancy:
                break
            cursor.execute(_OCCUPANCY_SQL.format(table=table, key=key), params)
            for b, sid, occ in cursor.fetchall():
                if (b, scope, sid) in result or occ:
                    result[(b, scope, sid)].peak_occupancy = max(int(occ), 0)

        if not occupancy:
            return _finish(result, buckets)
        carry = _occupancy_carry(store_pk, day_starts[0], bounds[0])
        cursor.execute(_STORE_OCCUPANCY_SQL, {**params, "days": _day_boundaries(buckets, day_starts), "carry": carry})
        for b, occ in cursor.fetchall():
            result[(b, "store", "")].peak_occupancy = int(occ)
    return _finish(result, buckets)


def _finish(result: Result, buckets: list[Bucket]) -> Result:
    for index in range(len(buckets)):
        result.setdefault((index, "store", ""), Numbers())
    return {key: value for key, value in result.items() if 0 <= key[0] < len(buckets)}


# --- Portable path (SQLite demo; also a cross-check of the SQL in tests) ---------------------------


def _bucket_index(bounds: list[dt.datetime]):
    import bisect

    def index(ts: dt.datetime) -> int:
        return bisect.bisect_right(bounds, ts) - 1

    return index


def aggregate_python(
    store_pk: int,
    buckets: list[Bucket],
    entrance_cameras: list[str],
    day_starts: dict[int, dt.datetime],
    occupancy: bool = True,
) -> Result:
    from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent

    bounds = [b.start for b in buckets] + [buckets[-1].end]
    start, end = bounds[0], bounds[-1]
    index = _bucket_index(bounds)
    entrance_set = set(entrance_cameras)
    result: Result = defaultdict(Numbers)
    sets: dict[tuple, set] = defaultdict(set)
    lists: dict[tuple, list] = defaultdict(list)

    window = {"store_id": store_pk, "ts__gte": start, "ts__lt": end}
    for ts, camera, person, direction in EntranceEvent.objects.filter(customer_q(), **window).values_list(
        "ts", "camera_key", "person_key", "direction"
    ):
        b = index(ts)
        inside = direction == "in"
        for key in ((b, "store", ""), (b, "camera", camera)):
            if inside:
                result[key].footfall_in += 1
            else:
                result[key].footfall_out += 1
        if person and inside:
            sets[(b, "store", "", "u")].add((camera, person))
            sets[(b, "camera", camera, "cu:entrance")].add(person)

    for ts, camera, person, zone, ztype, dwell in ZoneEvent.objects.filter(customer_q(), **window).values_list(
        "ts", "camera_key", "person_key", "zone_id", "zone_type", "dwell_seconds"
    ):
        b = index(ts)
        for key in ((b, "store", ""), (b, "camera", camera), (b, "zone", zone)):
            result[key].entries += 1
            lists[(*key, "dwell")].append(dwell)
        if person:
            sets[(b, "zone", zone, "u")].add((camera, person))
            sets[(b, "camera", camera, "cu:zone")].add(person)
        if ztype == "entry" and camera not in entrance_set:
            sets[(b, "store", "", "first")].add((camera, person))
            sets[(b, "camera", camera, "first")].add((camera, person))

    for ts, camera, person, shelf, dwell in ShelfEvent.objects.filter(customer_q(), **window).values_list(
        "ts", "camera_key", "person_key", "shelf_id", "dwell_seconds"
    ):
        b = index(ts)
        for key in ((b, "store", ""), (b, "camera", camera), (b, "shelf", shelf)):
            result[key].interactions += 1
        lists[(b, "shelf", shelf, "dwell")].append(dwell)
        lists[(b, "store", "", "shelf_dwell")].append(dwell)
        if person:
            sets[(b, "shelf", shelf, "u")].add((camera, person))
            sets[(b, "camera", camera, "cu:shelf")].add(person)

    for ts, camera, person, queue, wait in QueueEvent.objects.filter(customer_q(), **window).values_list(
        "ts", "camera_key", "person_key", "queue_id", "wait_seconds"
    ):
        b = index(ts)
        for key in ((b, "store", ""), (b, "camera", camera), (b, "queue", queue)):
            result[key].served += 1
            lists[(*key, "wait")].append(wait)
        if person:
            sets[(b, "queue", queue, "u")].add((camera, person))
            sets[(b, "camera", camera, "cu:queue")].add(person)

    for (b, scope, sid, what), members in sets.items():
        target = result[(b, scope, sid)]
        if what == "u":
            target.unique_visitors += len(members)
        elif what.startswith("cu:"):
            _camera_unique(target, len(members))
        elif what == "first":
            target.footfall_in += len(members)
            if scope == "store":
                target.unique_visitors += len(members)
    for (b, scope, sid, what), values in lists.items():
        target = result[(b, scope, sid)]
        if what == "dwell":
            target.dwell_avg = sum(values) / len(values)
            target.dwell_median = percentile(values, 0.5)
        elif what == "shelf_dwell":
            target.extra.update(shelf_dwell_avg=sum(values) / len(values))
        else:
            target.wait_avg = sum(values) / len(values)
            target.wait_p90 = percentile(values, 0.9)
            target.wait_max = max(values)

    if occupancy:
        _occupancy_python(store_pk, buckets, bounds, result)
        _store_occupancy_python(store_pk, buckets, bounds, day_starts, result)
    return _finish(result, buckets)


def _sample(instant: dt.datetime) -> int:
    """Index of the first occupancy sample at or after `instant` (same as ceil(epoch / step) in SQL)."""
    return math.ceil(instant.timestamp() / SAMPLE_SECONDS)


def _sweep_max(deltas: dict[int, int], bounds, n_buckets: int, carry: int = 0) -> dict[int, int]:
    """Peak running sum per bucket over samples; `deltas` must hold a 0 at each bucket-start sample."""
    index = _bucket_index(bounds)
    peaks: dict[int, int] = {}
    running = carry
    for k in sorted(deltas):
        running += deltas[k]
        b = index(dt.datetime.fromtimestamp(k * SAMPLE_SECONDS, tz=UTC))
        if 0 <= b < n_buckets:
            peaks[b] = max(peaks.get(b, running), running)
    return peaks


def _occupancy_python(store_pk, buckets, bounds, result: Result) -> None:
    from events.models import QueueEvent, ZoneEvent

    start, end = bounds[0], bounds[-1]
    for scope, model, key in (("zone", ZoneEvent, "zone_id"), ("queue", QueueEvent, "queue_id")):
        deltas: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        rows = model.objects.filter(
            customer_q(),
            store_id=store_pk,
            ts__gte=start - dt.timedelta(days=1),
            ts__lt=end + dt.timedelta(days=1),
            enter_ts__lt=end,
            exit_ts__gt=start,
        ).values_list(key, "enter_ts", "exit_ts")
        for sid, enter, leave in rows:
            deltas[sid][_sample(max(enter, start))] += 1
            if leave < end:
                deltas[sid][_sample(leave)] -= 1
        for sid, points in deltas.items():
            for bound in bounds[:-1]:
                points[_sample(bound)] += 0
            for b, occ in _sweep_max(points, bounds, len(buckets)).items():
                if (b, scope, sid) in result or occ:
                    result[(b, scope, sid)].peak_occupancy = max(occ, 0)


def _store_occupancy_python(store_pk, buckets, bounds, day_starts, result: Result) -> None:
    from events.models import EntranceEvent

    by_day: dict[dt.datetime, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for i, bucket in enumerate(buckets):
        by_day[day_starts[i]][_sample(bucket.start)] += 0
    days = sorted(by_day)
    day_index = _bucket_index([*days, bounds[-1] + dt.timedelta(days=2)])
    rows = EntranceEvent.objects.filter(customer_q(), store_id=store_pk, ts__gte=bounds[0], ts__lt=bounds[-1])
    for ts, direction in rows.values_list("ts", "direction"):
        # A day's samples are the ones inside it: an event just before midnight whose sample falls after
        # midnight belongs to the next day's running balance, as in SQL.
        k = _sample(ts)
        day = days[max(0, day_index(dt.datetime.fromtimestamp(k * SAMPLE_SECONDS, tz=UTC)))]
        by_day[day][k] += 1 if direction == "in" else -1
    carry = _occupancy_carry(store_pk, day_starts[0], bounds[0])
    for n, day in enumerate(days):
        for b, occ in _sweep_max(by_day[day], bounds, len(buckets), carry if n == 0 else 0).items():
            result[(b, "store", "")].peak_occupancy = max(occ, 0)
