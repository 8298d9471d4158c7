"""Point-of-sale reads: transactions and revenue per store-local hour (for analytics), store settings."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from django.db import connection

from cameras.models import Store
from pos.models import PosHourlyTotal, PosStoreSettings, PosTransaction

# Transactions count sales (amount ≥ 0); refunds (amount < 0) only reduce revenue. Hourly totals of tills
# that export only those add to the same hour.
_HOURS_SQL = """
SELECT b, sum(n)::bigint, sum(revenue) FROM (
    SELECT width_bucket(ts, %(b)s::timestamptz[]) - 1 AS b, count(*) FILTER (WHERE amount >= 0) AS n,
           sum(amount) AS revenue
    FROM pos_transactions WHERE store_id = %(store)s AND ts >= %(start)s AND ts < %(end)s GROUP BY 1
    UNION ALL
    SELECT width_bucket(hour_start, %(b)s::timestamptz[]) - 1, sum(transactions), sum(revenue)
    FROM pos_hourly_totals WHERE store_id = %(store)s AND hour_start >= %(start)s AND hour_start < %(end)s
    GROUP BY 1
) AS parts GROUP BY b
"""


def pos_hours_read(store_pk: int, bounds: list[dt.datetime]) -> dict[int, tuple[int, Decimal]]:
    """{bucket index: (transactions, revenue)} for the consecutive buckets [bounds[i], bounds[i+1]).

    Only buckets with POS data appear: an hour without any transaction or hourly total has no POS data
    (its conversion is null, never 0)."""
    if len(bounds) < 2:
        return {}
    if connection.vendor == "postgresql":
        params = {"b": bounds, "store": store_pk, "start": bounds[0], "end": bounds[-1]}
        with connection.cursor() as cursor:
            cursor.execute(_HOURS_SQL, params)
            return {b: (int(n), Decimal(revenue)) for b, n, revenue in cursor.fetchall() if 0 <= b < len(bounds) - 1}
    result: dict[int, list] = {}
    window = {"store_id": store_pk}
    for ts, amount in PosTransaction.objects.filter(ts__gte=bounds[0], ts__lt=bounds[-1], **window).values_list(
        "ts", "amount"
    ):
        entry = result.setdefault(bisect.bisect_right(bounds, ts) - 1, [0, Decimal(0)])
        entry[0] += 1 if amount >= 0 else 0
        entry[1] += amount
    for hour, n, revenue in PosHourlyTotal.objects.filter(
        hour_start__gte=bounds[0], hour_start__lt=bounds[-1], **window
    ).values_list("hour_start", "transactions", "revenue"):
        entry = result.setdefault(bisect.bisect_right(bounds, hour) - 1, [0, Decimal(0)])
        entry[0] += n
        entry[1] += revenue
    return {b: (n, revenue) for b, (n, revenue) in result.items()}


def pos_settings_read(store: Store) -> dict:
    settings = PosStoreSettings.objects.filter(store=store).first()
    return {"currency": settings.currency if settings else "", "csv": settings.csv_mapping if settings else {}}


def pos_store_summary(store: Store) -> dict:
    """What the store's POS page shows: how much is stored and over which period."""
    from django.db.models import Count, Max, Min

    numbers = PosTransaction.objects.filter(store=store).aggregate(n=Count("id"), first=Min("ts"), last=Max("ts"))
    hours = PosHourlyTotal.objects.filter(store=store).count()
    return {"transactions": numbers["n"], "first": numbers["first"], "last": numbers["last"], "hourly_totals": hours}
