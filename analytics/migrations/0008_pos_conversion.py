# Point-of-sale conversion figures (pos app) on the hourly/daily aggregates, and the conversion-drop spike kind.

from django.db import migrations, models


def _pos_fields(model_name):
    return [
        migrations.AddField(model_name=model_name, name="transactions",
                            field=models.PositiveIntegerField(blank=True, null=True)),
        migrations.AddField(model_name=model_name, name="revenue",
                            field=models.DecimalField(blank=True, decimal_places=3, max_digits=18, null=True)),
        migrations.AddField(model_name=model_name, name="pos_footfall_in",
                            field=models.PositiveIntegerField(blank=True, null=True)),
        migrations.AddField(model_name=model_name, name="conversion_rate",
                            field=models.FloatField(blank=True, help_text="transactions ÷ footfall in (0..1)",
                                                    null=True)),
        migrations.AddField(model_name=model_name, name="avg_transaction_value",
                            field=models.DecimalField(blank=True, decimal_places=3, max_digits=18, null=True)),
        migrations.AddField(model_name=model_name, name="revenue_per_visitor",
                            field=models.DecimalField(blank=True, decimal_places=3, max_digits=18, null=True)),
    ]


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0007_events_move_to_events_app"),
    ]

    operations = [
        *_pos_fields("dailymetric"),
        *_pos_fields("hourlymetric"),
        migrations.AlterField(
            model_name="spikealert",
            name="kind",
            field=models.CharField(choices=[("traffic", "Traffic change"), ("data_fault", "Data fault"),
                                            ("conversion", "Conversion drop (footfall held)")], max_length=10),
        ),
    ]
