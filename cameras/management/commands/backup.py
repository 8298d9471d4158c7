"""`manage.py backup [--output FILE]`: database + zone screenshots in one archive (see cameras/backup.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cameras.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format, or an SQLite online copy) and uploaded screenshots."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="archive to write (default: VAR_DIR/backups/wink-<UTC time>.tar)")
        parser.add_argument("--no-media", action="store_true", help="leave MEDIA_ROOT (zone screenshots) out")

    def handle(self, *args, **options):
        output = options["output"] or str(
            Path(settings.VAR_DIR) / "backups" / f"wink-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar"
        )
        try:
            manifest = backup_create(Path(output), include_media=not options["no_media"], progress=self.stdout.write)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        size_mb = Path(output).stat().st_size / 1e6
        self.stdout.write(self.style.SUCCESS(
            f"Backup written: {output} ({size_mb:.1f} MB, {manifest['engine']}, {manifest['media_files']} media files)"
        ))
