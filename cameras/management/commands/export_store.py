"""`manage.py export_store STORE_ID -o FILE`: one store with its configuration and history (cameras/transfer.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.transfer import TransferError, store_export


class Command(BaseCommand):
    help = "Export one store (configuration, events, aggregates, screenshots) to move it to another deployment."

    def add_arguments(self, parser):
        parser.add_argument("store_id", help="the store's slug, e.g. store_mumbai")
        parser.add_argument("--output", "-o", required=True, help="file to write (gzip JSON Lines)")
        parser.add_argument("--no-files", action="store_true", help="leave zone screenshots out")

    def handle(self, *args, **options):
        self.stdout.write(f"Exporting {options['store_id']}")
        try:
            rows = store_export(options["store_id"], Path(options["output"]), include_files=not options["no_files"],
                                progress=self.stdout.write)
        except (TransferError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"{rows} rows written to {options['output']} (holds camera passwords: keep it private)"
        ))
