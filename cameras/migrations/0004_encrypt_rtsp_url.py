"""Camera.rtsp_url becomes an encrypted column; existing plain-text URLs are encrypted in place."""

from django.db import migrations

import cameras.fields


def encrypt_existing(apps, schema_editor):
    Camera = apps.get_model("cameras", "Camera")
    # The historical field reads plain text as is and encrypts on write (cameras/fields.py).
    for pk, url in Camera.objects.using(schema_editor.connection.alias).exclude(rtsp_url="").values_list("pk", "rtsp_url"):
        Camera.objects.using(schema_editor.connection.alias).filter(pk=pk).update(rtsp_url=url)


def decrypt_existing(apps, schema_editor):
    Camera = apps.get_model("cameras", "Camera")
    table = schema_editor.quote_name(Camera._meta.db_table)
    rows = list(Camera.objects.using(schema_editor.connection.alias).exclude(rtsp_url="").values_list("pk", "rtsp_url"))
    with schema_editor.connection.cursor() as cursor:
        for pk, url in rows:  # raw SQL: the field would encrypt again
            cursor.execute(f"UPDATE {table} SET rtsp_url = %s WHERE id = %s", [url, pk])


class Migration(migrations.Migration):
    dependencies = [("cameras", "0003_edgekey_store_wide")]

    operations = [
        migrations.AlterField(
            model_name="camera",
            name="rtsp_url",
            field=cameras.fields.EncryptedTextField(
                blank=True, help_text="Stored; never shown back with its password", max_length=1000
            ),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
