"""Celery tasks: thin, ids in, a service call each. Beat entries live in common/schedules.py."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from cameras.localtime import local_hour_start, local_today
from cameras.models import Store

_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 5}


@shared_task(**_RETRY)
def aggregation_hourly_task() -> int:
    """Fan out: one recent-hours aggregation per store, then drain late hours."""
    store_pks = list(Store.objects.values_list("pk", flat=True))
    for pk in store_pks:
        store_recent_hours_aggregate_task.delay(pk)
    stale_hours_drain_task.delay()
    return len(store_pks)


@shared_task(**_RETRY)
def store_recent_hours_aggregate_task(store_pk: int) -> None:
    from analytics.services import store_recent_hours_aggregate

    store = Store.objects.filter(pk=store_pk).first()
    if store is not None:
        store_recent_hours_aggregate(store)


@shared_task(**_RETRY)
def stale_hours_drain_task() -> int:
    from analytics.services import stale_hours_drain

    return stale_hours_drain()


@shared_task(**_RETRY)
def store_range_aggregate_task(store_pk: int, start_iso: str, end_iso: str) -> None:
    from analytics.services import store_range_aggregate

    store = Store.objects.filter(pk=store_pk).first()
    if store is not None:
        store_range_aggregate(store, dt.datetime.fromisoformat(start_iso), dt.datetime.fromisoformat(end_iso))


@shared_task(**_RETRY)
def spikes_recent_task() -> int:
    store_pks = list(Store.objects.values_list("pk", flat=True))
    for pk in store_pks:
        store_spikes_detect_task.delay(pk, 26)
    return len(store_pks)


@shared_task(**_RETRY)
def store_spikes_detect_task(store_pk: int, hours: int = 26) -> int:
    """Detect over the last `hours` closed hours and store the alerts (upsert, so overlaps are harmless)."""
    from analytics.spikes import spikes_detect, spikes_store

    store = Store.objects.filter(pk=store_pk).first()
    if store is None:
        return 0
    end = local_hour_start(store, timezone.now())
    return spikes_store(store, spikes_detect(store, end - dt.timedelta(hours=hours), end))


@shared_task(**_RETRY)
def insights_daily_task() -> int:
    store_pks = list(Store.objects.values_list("pk", flat=True))
    for pk in store_pks:
        store_insight_generate_task.delay(pk)
    return len(store_pks)


@shared_task(**_RETRY)
def store_insight_generate_task(store_pk: int, end_date_iso: str | None = None, days: int = 7) -> int | None:
    """Insight for the 7 store-local days ending yesterday (OpenAI or rules; never fails on the model)."""
    from analytics.insights import insight_generate

    store = Store.objects.filter(pk=store_pk).first()
    if store is None:
        return None
    end_date = (
        dt.date.fromisoformat(end_date_iso)
        if end_date_iso
        else local_today(store) - dt.timedelta(days=1)
    )
    return insight_generate(store, end_date, days, trigger="daily").pk


@shared_task(**_RETRY)
def promotion_analyze_task(promotion_pk: int) -> None:
    from analytics.models import Promotion
    from analytics.promotions import promotion_analyze

    promotion = Promotion.objects.filter(pk=promotion_pk).select_related("store").first()
    if promotion is not None:
        promotion_analyze(promotion)
