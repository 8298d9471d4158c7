"""`manage.py detect_spikes [--store STORE_ID] [--days N]`: detect and store spikes/data faults (SpikeAlert)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.spikes import spikes_detect, spikes_store
from cameras.localtime import local_hour_start
from cameras.models import Store


class Command(BaseCommand):
    help = "Detect spikes and data faults over the last N days (closed hours) and store them as SpikeAlert rows."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store_id slug; default every store")
        parser.add_argument("--days", type=int, default=14, help="how many days back (1..366, default 14)")

    def handle(self, *args, store=None, days=14, **options):
        if not 1 <= days <= 366:
            raise CommandError(f"--days: {days} is not between 1 and 366")
        stores = Store.objects.all()
        if store:
            stores = stores.filter(store_id=store)
            if not stores.exists():
                raise CommandError(f"--store: no store with store_id {store!r}")
        for item in stores:
            end = local_hour_start(item, timezone.now())
            report = spikes_detect(item, end - dt.timedelta(days=days), end)
            stored = spikes_store(item, report)
            traffic = sum(1 for s in report.spikes if s["kind"] == "traffic")
            self.stdout.write(
                f"{item.store_id}: {traffic} traffic spike(s), {stored - traffic} data fault(s), "
                f"coverage {report.coverage:.2f}"
            )
