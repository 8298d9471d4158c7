"""`manage.py rotate_field_encryption`: re-encrypt every encrypted column with the newest key.

    FIELD_ENCRYPTION_KEY="NEW,OLD" python manage.py rotate_field_encryption   # then drop OLD from the list
    python manage.py rotate_field_encryption --generate-key                    # print a fresh key, change nothing
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cameras.fields import EncryptedTextField, reencrypt_str


class Command(BaseCommand):
    help = "Re-encrypt RTSP URLs and webhook targets with the first FIELD_ENCRYPTION_KEY (see cameras/fields.py)."

    def add_arguments(self, parser):
        parser.add_argument("--generate-key", action="store_true", help="print a new Fernet key and exit")

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(Fernet.generate_key().decode())
            return
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            with transaction.atomic():
                for row in model.objects.select_for_update().only("pk", *fields):
                    # Values come back decrypted; write the new ciphertext straight to the column.
                    updates = {name: reencrypt_str(getattr(row, name)) for name in fields if getattr(row, name)}
                    if updates:
                        model.objects.filter(pk=row.pk).update(**updates)
                        total += len(updates)
            self.stdout.write(f"  {model._meta.label}: {', '.join(fields)}")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} value(s) with the newest key"))
