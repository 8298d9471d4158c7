"""AlertChannel and AlertNotice now belong to the alerts app (alerts 0001): drop them from this app's state only.
Their tables (still named workers_alertchannel / workers_alertnotice) and rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("workers", "0002_alert_last_error_generic"),
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AlertNotice"),
                migrations.DeleteModel(name="AlertChannel"),
            ],
            database_operations=[],
        ),
    ]
