"""Analytics reads, always on stores the caller may see. Views and pages call these; none of them write.

- `analytics_stores_resolve(user, store_id)`: the stores a request is about (see its docstring).
- `realtime_read(store, now)`: people in store now, per zone, queue lengths, cameras online, today's
  footfall by hour against the same weekday last week.
- `comprehensive_read(stores, days, include_zones, today, start_date=, end_date=)`: totals, daily series and
  zones over the last N days or over store-local dates [start_date, end_date].
- `spikes_read(stores, start_date, end_date)`: spikes and data faults (computed, not stored) + coverage.
- `insights_list(stores, limit)`: stored insights, newest first.
- `analytics_health()`: database, aggregation lag, pending stale hours, insight backend.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from analytics.aggregation import hour_buckets
from analytics.models import DailyMetric, HourlyMetric, Insight
from analytics.services import LAST_AGGREGATION_KEY, metrics_version_key
from analytics.spikes import SpikeReport, spikes_detect
from analytics.staff import customer_q, staff_crossings_count
from cameras.localtime import local_day_bounds, local_hour_start, local_today
from cameras.models import Store
from cameras.selectors import store_list_for_user
from cameras.status import camera_is_online
from events.models import EntranceEvent, StaleHour

logger = logging.getLogger(__name__)

SPIKES_CACHE_SECONDS = 600  # rows written around the aggregation (imports) show within 10 min


class StoreNotFound(LookupError):
    """The requested store does not exist or is not the caller's (same answer for both)."""


def analytics_stores_resolve(user, store_id: str | None) -> list[Store]:
    """Stores a request is about.

    With `store_id`: that store if the user may see it (else StoreNotFound). Without: the deployment's
    default store (settings.STORE_ID) when the user can see it, otherwise every store the user can see
    (the guides' calls carry no store parameter).
    """
    visible = store_list_for_user(user)
    if store_id:
        store = visible.filter(store_id=store_id).first()
        if store is None:
            raise StoreNotFound(store_id)
        return [store]
    default = visible.filter(store_id=settings.STORE_ID).first()
    return [default] if default is not None else list(visible)


def _pct(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return round((value - reference) / reference * 100.0, 1)


# --- realtime -----------------------------------------------------------------------------------


def _live_states(store: Store) -> dict:
    try:
        from events.live import live_state_read
    except ImportError:  # ingestion not installed in this build
        return {}
    try:
        return live_state_read(store.store_id)
    except Exception:  # the cache being down must not break the dashboard
        return {}


def _conversion_today(store: Store, buckets, in_times, now: dt.datetime, today: dt.date,
                      last_week_cutoff: dt.datetime) -> dict:
    """Today's POS figures so far (live from the transactions) against the same weekday last week up to the same
    local time (its stored hours); GUIDE §2: only hours with POS data count, a day without any is null."""
    from pos.selectors import pos_hours_read

    pos = None
    if buckets:
        bounds = [b.start for b in buckets] + [now]
        footfall = defaultdict(int)
        for ts in in_times:
            for index, bucket in enumerate(buckets):
                if bucket.start <= ts < bucket.end:
                    footfall[index] += 1
                    break
        for index, (transactions, revenue) in pos_hours_read(store.pk, bounds).items():
            previous = pos or (0, 0, 0)
            pos = (previous[0] + transactions, previous[1] + revenue, previous[2] + footfall[index])
    last = None
    for transactions, revenue, covered in HourlyMetric.objects.filter(
        store=store, scope="store", scope_id="", local_date=today - dt.timedelta(days=7),
        hour_start__lt=last_week_cutoff, transactions__isnull=False,
    ).values_list("transactions", "revenue", "pos_footfall_in"):
        previous = last or (0, 0, 0)
        last = (previous[0] + transactions, previous[1] + revenue, previous[2] + (covered or 0))
    today_numbers, last_numbers = _pos_public(pos), _pos_public(last)
    change = None
    if today_numbers["conversion_rate"] is not None and last_numbers["conversion_rate"] is not None:
        change = round((today_numbers["conversion_rate"] - last_numbers["conversion_rate"]) * 100, 2)
    return {"today": today_numbers, "same_weekday_last_week": last_numbers, "change_points": change}


def realtime_read(store: Store, now: dt.datetime | None = None) -> dict:
    """Now: people in the store (today's in − out, else people in view), per zone, queue lengths, cameras."""
    now = now or timezone.now()
    today = local_today(store, now)
    day_start, _ = local_day_bounds(store, today)
    last_week_start = local_day_bounds(store, today - dt.timedelta(days=7))[0]
    elapsed = now - day_start

    # Customers only (GUIDE §2 Staff): a staff mark takes its track's crossings out as soon as it arrives.
    counts = EntranceEvent.objects.filter(customer_q(), store=store, ts__gte=day_start, ts__lt=now).aggregate(
        n_in=Count("id", filter=Q(direction="in")), n_out=Count("id", filter=Q(direction="out"))
    )
    in_times = list(
        EntranceEvent.objects.filter(
            customer_q(), store=store, ts__gte=day_start, ts__lt=now, direction="in"
        ).values_list("ts", flat=True)
    )
    buckets = hour_buckets(store.tzinfo, day_start, now)
    today_by_hour: dict[int, int] = defaultdict(int)
    for ts in in_times:
        for bucket in buckets:
            if bucket.start <= ts < bucket.end:
                today_by_hour[bucket.local_hour] += 1
                break
    last_week_rows = HourlyMetric.objects.filter(
        store=store, scope="store", scope_id="", local_date=today - dt.timedelta(days=7)
    ).values_list("local_hour", "hour_start", "footfall_in")
    last_week_by_hour: dict[int, int] = defaultdict(int)
    last_week_so_far = 0
    for hour, start, value in last_week_rows:
        last_week_by_hour[hour] += value
        if start < last_week_start + elapsed:
            last_week_so_far += value

    states = _live_states(store)
    zones: dict[str, dict] = {}
    queues: dict[str, dict] = {}
    people_in_view = 0
    for entry in states.values():
        state = entry.get("state") or {}
        value = state.get("people_now", state.get("people"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            people_in_view += max(0, int(value))
        for zone_id, n in (state.get("zones") or {}).items():
            if isinstance(n, (int, float)):
                zones.setdefault(zone_id, {"people": 0})["people"] += int(n)
        for queue_id, n in (state.get("queues") or {}).items():
            if isinstance(n, (int, float)):
                queues.setdefault(queue_id, {"length": 0})["length"] += int(n)

    cameras = []
    for camera in store.cameras.filter(enabled=True).order_by("camera_id"):
        cameras.append(
            {
                "camera_id": camera.camera_id,
                # The one rule (cameras.status), as on the dashboard; a failing camera is not online.
                "status": "online" if camera_is_online(camera, now) else "offline",
                "last_heartbeat": camera.last_heartbeat,
            }
        )
    has_door = counts["n_in"] or counts["n_out"]
    footfall_today = counts["n_in"]
    return {
        "store_id": store.store_id,
        "timestamp": now,
        "local_date": today,
        "people_in_store": max(0, counts["n_in"] - counts["n_out"]) if has_door else people_in_view,
        "people_in_view": people_in_view,
        "zones": zones,
        "queues": queues,
        "queue_length": sum(q["length"] for q in queues.values()),
        "cameras_online": sum(1 for c in cameras if c["status"] == "online"),
        "cameras_total": len(cameras),
        "cameras": cameras,
        "footfall": {"in": counts["n_in"], "out": counts["n_out"]},
        "footfall_today": footfall_today,
        "staff_crossings_today": staff_crossings_count(store.pk, day_start, now),
        "footfall_same_weekday_last_week": last_week_so_far,
        "change_pct": _pct(footfall_today, last_week_so_far),
        "conversion": _conversion_today(store, buckets, in_times, now, today, last_week_start + elapsed),
        "hourly": [
            {
                "hour": hour,
                "footfall": today_by_hour.get(hour, 0) if hour <= buckets[-1].local_hour else None,
                "last_week": last_week_by_hour.get(hour, 0),
            }
            for hour in range(24)
        ]
        if buckets
        else [],
    }


def realtime_read_many(stores: list[Store], now: dt.datetime | None = None) -> dict:
    """One store: its realtime dict. Several: summed headline numbers plus each store under `stores`."""
    now = now or timezone.now()
    per_store = [realtime_read(store, now) for store in stores]
    if len(per_store) == 1:
        return {**per_store[0], "stores": per_store}
    zones: dict[str, dict] = {}
    queues: dict[str, dict] = {}
    for item in per_store:
        for zone_id, value in item["zones"].items():
            zones.setdefault(zone_id, {"people": 0})["people"] += value["people"]
        for queue_id, value in item["queues"].items():
            queues.setdefault(queue_id, {"length": 0})["length"] += value["length"]
    total = {
        key: sum(item[key] for item in per_store)
        for key in (
            "people_in_store",
            "people_in_view",
            "queue_length",
            "cameras_online",
            "cameras_total",
            "footfall_today",
            "footfall_same_weekday_last_week",
            "staff_crossings_today",
        )
    }
    return {
        "store_id": None,
        "timestamp": now,
        **total,
        "zones": zones,
        "queues": queues,
        "footfall": {
            "in": sum(i["footfall"]["in"] for i in per_store),
            "out": sum(i["footfall"]["out"] for i in per_store),
        },
        "change_pct": _pct(total["footfall_today"], total["footfall_same_weekday_last_week"]),
        "cameras": [c for item in per_store for c in item["cameras"]],
        "stores": per_store,
    }


# --- comprehensive ------------------------------------------------------------------------------


def comprehensive_read(
    stores: list[Store],
    days: int | None = None,
    include_zones: bool = False,
    today: dt.date | None = None,
    *,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> dict:
    """Totals, a daily series and (optionally) zones over the last `days` store-local days (today included)
    or over the store-local dates [start_date, end_date] (validated by the caller: the request serializer).

    One query for the store rows and, with zones, one per scope kind (zone, shelf, queue), summed in the
    database: a 3-year period costs the same number of queries as a week. unique_visitors totals add up
    each day's distinct visitors (a person coming on two days counts twice); avg_queue_wait is weighted by
    people served.
    """
    if start_date is not None and end_date is not None:
        start, last = start_date, end_date
    else:
        last = today or (local_today(stores[0]) if stores else timezone.now().date())
        start = last - dt.timedelta(days=days - 1)
    rows = DailyMetric.objects.filter(store__in=stores, date__gte=start, date__lte=last)
    daily: dict[dt.date, dict] = {}
    totals = {
        "footfall": 0,
        "footfall_out": 0,
        "unique_visitors": 0,
        "zone_entries": 0,
        "shelf_interactions": 0,
        "queue_served": 0,
        "avg_queue_wait": None,
        "peak_occupancy": 0,
        "staff_crossings": 0,  # GUIDE §2 Staff (#17): left out of footfall, reported beside it
        "staff_hours": 0.0,
    }
    wait_sum = 0.0
    for row in (
        rows.filter(scope="store", scope_id="")
        .order_by("date")
        .values(
            "date",
            "footfall_in",
            "footfall_out",
            "unique_visitors",
            "entries",
            "interactions",
            "served",
            "wait_avg",
            "peak_occupancy",
            "footfall_dod_pct",
            "footfall_wow_pct",
            "footfall_vs_weekday_avg_pct",
            "transactions",
            "revenue",
            "pos_footfall_in",
            "staff_crossings",
            "staff_seconds",
        )
    ):
        day = daily.setdefault(
            row["date"],
            {
                "date": row["date"],
                "footfall": 0,
                "footfall_out": 0,
                "unique_visitors": 0,
                "zone_entries": 0,
                "shelf_interactions": 0,
                "queue_served": 0,
                "avg_queue_wait": None,
                "_wait": 0.0,
                "dod_pct": None,
                "wow_pct": None,
                "vs_weekday_avg_pct": None,
                "peak_occupancy": 0,
                "_pos": None,
                "staff_crossings": 0,
                "_staff_seconds": 0.0,
            },
        )
        _pos_add(day, row)
        day["footfall"] += row["footfall_in"]
        day["footfall_out"] += row["footfall_out"]
        day["unique_visitors"] += row["unique_visitors"]
        day["zone_entries"] += row["entries"]
        day["shelf_interactions"] += row["interactions"]
        day["queue_served"] += row["served"]
        day["staff_crossings"] += row["staff_crossings"]
        day["_staff_seconds"] += row["staff_seconds"]
        day["peak_occupancy"] = max(day["peak_occupancy"], row["peak_occupancy"])
        if row["wait_avg"] is not None:
            day["_wait"] += row["wait_avg"] * row["served"]
        if len(stores) == 1:
            day.update(
                dod_pct=row["footfall_dod_pct"],
                wow_pct=row["footfall_wow_pct"],
                vs_weekday_avg_pct=row["footfall_vs_weekday_avg_pct"],
            )
    series = []
    period_pos = None
    for day in sorted(daily.values(), key=lambda d: d["date"]):
        pos = day.pop("_pos")
        day.update(_pos_public(pos))
        if pos is not None:
            period_pos = [a + b for a, b in zip(period_pos or (0, 0, 0), pos, strict=True)]
        staff_seconds = day.pop("_staff_seconds")
        day["staff_hours"] = round(staff_seconds / 3600, 3)
        totals["staff_crossings"] += day["staff_crossings"]
        totals["staff_hours"] += staff_seconds  # seconds until the loop ends: one rounding, not one per day
        wait = day.pop("_wait")
        day["avg_queue_wait"] = round(wait / day["queue_served"], 1) if day["queue_served"] else None
        wait_sum += wait
        for key in (
            "footfall",
            "footfall_out",
            "unique_visitors",
            "zone_entries",
            "shelf_interactions",
            "queue_served",
        ):
            totals[key] += day[key]
        totals["peak_occupancy"] = max(totals["peak_occupancy"], day["peak_occupancy"])
        series.append(day)
    totals["staff_hours"] = round(totals["staff_hours"] / 3600, 3)
    totals["avg_queue_wait"] = round(wait_sum / totals["queue_served"], 1) if totals["queue_served"] else None
    totals.update(_pos_public(period_pos))
    if len(stores) > 1 and _mixed_currencies(stores):  # sums of rupees and euros mean nothing
        for row in (totals, *series):
            row.update(revenue=None, avg_transaction_value=None, revenue_per_visitor=None)
    result = {
        "period": {"start": start, "end": last, "days": (last - start).days + 1},
        "stores": [{"store_id": s.store_id, "name": s.name, "timezone": s.timezone} for s in stores],
        "totals": totals,
        "daily": series,
    }
    if include_zones:
        result["zones"] = _scope_totals(rows, "zone", "entries", "dwell_avg", "entries", "avg_dwell")
        result["shelves"] = _scope_totals(rows, "shelf", "interactions", "dwell_avg", "interactions", "avg_dwell")
        result["queues"] = _scope_totals(rows, "queue", "served", "wait_avg", "served", "avg_wait")
    return result


def _pos_add(day: dict, row: dict) -> None:
    """Sum a store-day's POS numbers (transactions, revenue, footfall of the hours with POS data)."""
    if row["transactions"] is None:
        return
    previous = day["_pos"] or (0, 0, 0)
    day["_pos"] = (previous[0] + row["transactions"], previous[1] + row["revenue"],
                   previous[2] + (row["pos_footfall_in"] or 0))


def _mixed_currencies(stores: list[Store]) -> bool:
    from pos.models import PosStoreSettings

    return PosStoreSettings.objects.filter(store__in=stores).exclude(currency="").values("currency").distinct() \
        .count() > 1


def _pos_public(pos) -> dict:
    """Conversion numbers as the API shows them (GUIDE §2); all None for a period without POS data."""
    from analytics.aggregation import pos_ratios

    numbers = pos_ratios(*(pos or (None, None, 0)))
    numbers.pop("pos_footfall_in")
    for name in ("revenue", "avg_transaction_value", "revenue_per_visitor"):
        if numbers[name] is not None:
            numbers[name] = round(float(numbers[name]), 3)
    if numbers["conversion_rate"] is not None:
        numbers["conversion_rate"] = round(numbers["conversion_rate"], 4)
    return numbers


def _scope_totals(rows, scope: str, count_field: str, avg_field: str, count_name: str, avg_name: str) -> dict:
    """Per scope_id over the period, summed in one grouped query (not one row per day and scope in Python).
    The average is weighted by the count; a day without an average adds its count but no weight."""
    out: dict[str, dict] = {}
    grouped = (
        rows.filter(scope=scope)
        .values("scope_id")
        .annotate(n=Sum(count_field), uv=Sum("unique_visitors"), w=Sum(F(avg_field) * F(count_field)))
        .order_by("scope_id")
    )
    for row in grouped:
        count = row["n"] or 0
        out[row["scope_id"]] = {
            count_name: count,
            "unique_visitors": row["uv"] or 0,
            avg_name: round(row["w"] / count, 1) if count and row["w"] is not None else None,
        }
    return out


# --- spikes, insights, health -------------------------------------------------------------------


def _spikes_cached(store: Store, start: dt.datetime, end: dt.datetime) -> SpikeReport:
    """spikes_detect, cached until the store's metrics change (the version moves on every aggregation)."""
    if end <= start:
        return SpikeReport(coverage=0.0)
    try:
        version = cache.get(metrics_version_key(store.pk), 0)
        # created_at tells a recreated store (same pk, e.g. a fresh test database) from the old one.
        key = (
            f"wink:analytics:spikes:v1:{store.pk}:{store.created_at.timestamp():.6f}:"
            f"{start.timestamp():.0f}:{end.timestamp():.0f}:{version}"
        )
        report = cache.get(key)
    except Exception:  # the cache being down only costs a recomputation
        key, report = None, None
    if report is None:
        report = spikes_detect(store, start, end)
        if key is not None:
            try:
                cache.set(key, report, SPIKES_CACHE_SECONDS)
            except Exception:
                logger.warning("could not cache spikes of %s", store.store_id, exc_info=True)
    return report


def spikes_read(stores: list[Store], start_date: dt.date, end_date: dt.date) -> dict:
    """Spikes and data faults over store-local dates [start_date, end_date]; coverage over all stores."""
    spikes: list[dict] = []
    camera_hours = faulty = 0
    any_rows = False
    now = timezone.now()
    for store in stores:
        start, _ = local_day_bounds(store, start_date)
        _, end = local_day_bounds(store, end_date)
        # Closed hours only: the running hour's partial counts would read as a drop.
        report = _spikes_cached(store, start, min(end, local_hour_start(store, now)))
        spikes.extend(report.spikes)
        camera_hours += report.camera_hours
        faulty += report.faulty_camera_hours
        any_rows = any_rows or report.coverage > 0
    coverage = round(1 - faulty / camera_hours, 4) if camera_hours else (1.0 if any_rows else 0.0)
    spikes.sort(key=lambda s: (s["start"], s["store_id"], s["metric"]))
    return {
        "period": {"start": start_date, "end": end_date},
        "stores": [s.store_id for s in stores],
        "spikes": spikes,
        "coverage": coverage,
    }


def insights_list(stores: list[Store], limit: int = 20) -> list[Insight]:
    return list(Insight.objects.filter(store__in=stores).select_related("store").order_by("-created_at")[:limit])


def analytics_health(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    body = {
        "status": "ok",
        "database": "ok",
        "server_ts": now,
        "last_aggregation_at": None,
        "stale_hours_pending": None,
        "insights_backend": "openai" if settings.OPENAI_API_KEY else "rules",
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["last_aggregation_at"] = cache.get(LAST_AGGREGATION_KEY)
        body["stale_hours_pending"] = StaleHour.objects.count()
    except Exception as error:
        body.update(status="error", database=f"error: {type(error).__name__}")
    return body
