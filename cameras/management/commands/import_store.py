"""`manage.py import_store FILE`: add a store exported by `export_store` to this deployment (cameras/transfer.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.transfer import TransferError, store_import


class Command(BaseCommand):
    help = "Import a store exported with `manage.py export_store`; rows already present are skipped."

    def add_arguments(self, parser):
        parser.add_argument("file", help="file written by export_store")
        parser.add_argument("--into-existing", action="store_true",
                            help="merge into a store with the same slug that already exists here")

    def handle(self, *args, **options):
        try:
            counts = store_import(Path(options["file"]), into_existing=options["into_existing"],
                                  progress=self.stdout.write)
        except (TransferError, OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(self.style.SUCCESS(
            "Import finished; aggregates came along (recompute: manage.py aggregate --store SLUG --from DATE)"
        ))
