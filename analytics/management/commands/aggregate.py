"""`manage.py aggregate [--store STORE_ID] [--from DATE] [--to DATE]`: the hourly and daily jobs on demand."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from analytics.services import store_days_aggregate, store_hours_aggregate
from cameras.localtime import local_day_bounds
from cameras.models import Store


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Recompute hourly and daily metrics for store-local dates FROM..TO (inclusive; default yesterday..today)."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store_id slug; default every store")
        parser.add_argument("--from", dest="date_from", help="first store-local date, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last store-local date, YYYY-MM-DD (inclusive)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, store=None, date_from=None, date_to=None, quiet=False, **options):
        stores = Store.objects.all()
        if store:
            stores = stores.filter(store_id=store)
            if not stores.exists():
                raise CommandError(f"--store: no store with store_id {store!r}")
        today = timezone.now().date()
        last = _date(date_to, "--to") if date_to else today
        first = _date(date_from, "--from") if date_from else min(last, today) - dt.timedelta(days=1)
        if first > last:
            raise CommandError(f"--from: {first} is after --to {last}")
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        work = [(s, d) for s in stores for d in days]
        hours = 0
        for item_store, day in tqdm(work, desc="aggregate", unit="store-day", disable=quiet or not work):
            start, end = local_day_bounds(item_store, day)
            store_hours_aggregate(item_store, start, end)
            store_days_aggregate(item_store, [day])
            hours += round((end - start).total_seconds() / 3600)
        if not quiet:
            self.stdout.write(f"aggregated {len(work)} store-days ({hours} store-hours)")
