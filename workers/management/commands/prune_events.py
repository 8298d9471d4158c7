"""`manage.py prune_events --older-than-days N`: delete raw events by age; hourly/daily aggregates stay.

Hours still waiting for re-aggregation (analytics StaleHour rows) are kept, so pruning never loses numbers
that have not reached the aggregate tables yet.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from cameras.models import Store
from events.models import EntranceEvent, QueueEvent, ShelfEvent, StaffEvent, StaleHour, ZoneEvent

EVENT_MODELS = (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent, StaffEvent)


class Command(BaseCommand):
    help = "Delete raw events older than N days (aggregates are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, required=True, help="keep the last N days of raw events")
        parser.add_argument("--batch-size", type=int, default=10000, help="rows per DELETE statement")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, **options):
        days, batch = options["older_than_days"], options["batch_size"]
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        if batch < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - timedelta(days=days)
        pending = dict(
            StaleHour.objects.filter(hour_start__lt=cutoff).values("store").annotate(first=Min("hour_start"))
            .values_list("store", "first")
        )
        verb = "Would delete" if options["dry_run"] else "Deleting"
        self.stdout.write(f"{verb} raw events before {cutoff:%Y-%m-%d %H:%M} UTC")
        total = 0
        for store in Store.objects.order_by("store_id"):
            store_cutoff = min(cutoff, pending[store.pk]) if store.pk in pending else cutoff
            if store.pk in pending:
                self.stdout.write(f"  {store.store_id}: keeping events from {store_cutoff:%Y-%m-%d %H:%M} UTC "
                                  "(hours waiting for aggregation)")
            for model in EVENT_MODELS:
                total += self._prune(model, store, store_cutoff, batch, options["dry_run"])
        done = "would be deleted" if options["dry_run"] else "deleted"
        self.stdout.write(self.style.SUCCESS(f"{total} raw events {done}; aggregates kept"))

    def _prune(self, model, store, cutoff, batch: int, dry_run: bool) -> int:
        queryset = model.objects.filter(store=store, ts__lt=cutoff)
        count = queryset.count()
        if count == 0:
            return 0
        label = model._meta.db_table
        if dry_run:
            self.stdout.write(f"  {store.store_id} {label}: {count}")
            return count
        deleted = 0
        # Short batches (one statement each, oldest first) keep locks and WAL small on a live database.
        table, pk = connection.ops.quote_name(label), connection.ops.quote_name(model._meta.pk.column)
        sql = (f"DELETE FROM {table} WHERE {pk} IN (SELECT {pk} FROM {table} "
               "WHERE store_id = %s AND ts < %s ORDER BY ts LIMIT %s)")
        while True:
            with connection.cursor() as cursor:
                cursor.execute(sql, [store.pk, cutoff, batch])
                removed = cursor.rowcount
            if removed <= 0:
                break
            deleted += removed
            self.stdout.write(f"  {store.store_id} {label}: {deleted}/{count}")
        return deleted
