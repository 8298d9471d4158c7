"""`manage.py restore FILE --yes`: replace the database and screenshots with a backup archive's content."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a `manage.py backup` archive. Stop web, workers and beat first: the database is replaced."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="archive written by `manage.py backup`")
        parser.add_argument("--yes", action="store_true", help="confirm that the current data may be replaced")
        parser.add_argument("--no-media", action="store_true", help="do not restore MEDIA_ROOT files")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError("restore replaces the current database: pass --yes to confirm")
        try:
            manifest = backup_restore(
                Path(options["archive"]), include_media=not options["no_media"], progress=self.stdout.write
            )
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored {manifest['engine']} backup of {manifest['created_at']}; run `manage.py migrate` if this "
            "code is newer than the backup"
        ))
