"""`python manage.py import_pos FILE --store STORE_ID [--mapping JSON] [--dry-run]`: a CSV of transactions.

Streams the file (any size) through pos.services.transactions_import, the same path as the store page's upload,
with a progress bar on stderr. Importing the same file again stores nothing twice.
"""

from __future__ import annotations

import io
import json
import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cameras.models import Store
from pos import services
from pos.models import PosSource


class _CountingReader(io.RawIOBase):
    """A binary file that reports bytes read (the progress bar follows the file, rows are not known ahead)."""

    def __init__(self, raw, bar):
        self.raw, self.bar = raw, bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.bar.update(n or 0)
        return n


class Command(BaseCommand):
    help = "Import point-of-sale transactions from a CSV file into one store (idempotent on transaction_id)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, header row)")
        parser.add_argument("--store", required=True, help="store_id (slug) of the store")
        parser.add_argument("--mapping", help='JSON options, e.g. {"mapping": {"ts": "Date", "amount": "Total", '
                                              '"transaction_id": "Receipt"}, "naive_timestamps": "local"}; '
                                              "default: the store's remembered options, else a guess")
        parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **options):
        store = Store.objects.filter(store_id=options["store"]).first()
        if store is None:
            raise CommandError(f"--store: no store {options['store']!r}")
        csv_options = None
        if options["mapping"]:
            try:
                csv_options = json.loads(options["mapping"])
            except ValueError as error:
                raise CommandError(f"--mapping: malformed JSON ({error})") from None
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"file: {path!r} does not exist")
        size = os.path.getsize(path)
        with open(path, "rb", buffering=0) as raw, tqdm(
            total=size, unit="B", unit_scale=True, desc=os.path.basename(path), disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            stream = io.BufferedReader(_CountingReader(raw, bar), buffer_size=1 << 20)
            try:
                result, resolved, _ = services.transactions_import(
                    store, stream, options=csv_options, source=PosSource.COMMAND, dry_run=options["dry_run"]
                )
            except services.PosInputError as error:
                raise CommandError(str(error)) from None
        for item in result.rejected[:50]:
            self.stderr.write(f"line {item.get('line')}: {item['field']}: {item['error']}")
        if result.rejected_count > 50:
            self.stderr.write(f"… and {result.rejected_count - 50} more rejected rows")
        verb = "would store" if options["dry_run"] else "stored"
        self.stdout.write(
            f"{store.store_id}: {result.rows} rows, {verb} {result.accepted}, {result.duplicates} duplicates, "
            f"{result.rejected_count} rejected ({len(result.conflicts)} conflicts), "
            f"{result.touched_hours} hours to re-aggregate; mapping {json.dumps(resolved.mapping)}"
        )
