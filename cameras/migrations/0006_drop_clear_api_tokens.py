"""Drop DRF's `authtoken_token` table: it held API tokens in clear. API tokens now live in knox's table as digests
with an expiry (cameras/authentication.py); old tokens stop working and are re-issued with `issue_admin_token`.

`rest_framework.authtoken` is no longer installed, so its migrations cannot remove the table; this does, and
forgets authtoken's migration records so the app could be installed again cleanly.
"""

from django.db import migrations


def drop_clear_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name('authtoken_token')}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0005_organization_admins"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(drop_clear_tokens, migrations.RunPython.noop)]
