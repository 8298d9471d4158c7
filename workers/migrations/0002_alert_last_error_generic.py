"""Older code stored the target's answer (and, in exception text, the full webhook URL with its secret path) in
AlertChannel.last_error: replace every such message with the generic reason the code now stores."""

from django.db import migrations

GENERIC = "not sent: the channel did not accept the alert (details in the server log)"


def scrub_last_errors(apps, schema_editor):
    AlertChannel = apps.get_model("workers", "AlertChannel")
    AlertChannel.objects.using(schema_editor.connection.alias).exclude(last_error="").update(last_error=GENERIC)


class Migration(migrations.Migration):
    dependencies = [("workers", "0001_initial")]

    operations = [migrations.RunPython(scrub_last_errors, migrations.RunPython.noop)]
