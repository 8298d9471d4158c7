"""The alert models move here from the workers app (workers 0001-0002 created and changed their tables).

State only: the tables keep their names (`workers_alertchannel`, `workers_alertnotice`, set as Meta.db_table), their
rows, indexes and the `alert_notice_one_open` constraint; nothing in the database changes but the content types,
which are relabelled so that permissions and admin history follow the models. workers 0003 then drops the models
from the workers app's state.
"""

import django.db.models.deletion
from django.db import migrations, models

import cameras.fields

MOVED = ("alertchannel", "alertnotice")


def relabel_content_types(apps, schema_editor, old="workers", new="alerts"):
    """Existing deployments: point the models' content types (and so their permissions) at the new app. A fresh
    database has none yet (post_migrate creates them after this), which is fine."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def relabel_content_types_back(apps, schema_editor):
    relabel_content_types(apps, schema_editor, old="alerts", new="workers")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("cameras", "0004_encrypt_rtsp_url"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("workers", "0002_alert_last_error_generic"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AlertChannel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('email', 'E-mail'), ('slack', 'Slack incoming webhook'), ('discord', 'Discord webhook'), ('webhook', 'Generic JSON webhook')], max_length=10)),
                        ('target', cameras.fields.EncryptedTextField(help_text='E-mail addresses (comma-separated) or the webhook URL', max_length=2000)),
                        ('enabled', models.BooleanField(default=True)),
                        ('last_sent_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alert_channels', to='cameras.store')),
                    ],
                    options={
                        'db_table': 'workers_alertchannel',
                        'ordering': ['store__store_id', 'kind', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='AlertNotice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('camera_offline', 'Camera offline')], max_length=20)),
                        ('subject_key', models.CharField(help_text='What the notice is about, e.g. the camera slug', max_length=100)),
                        ('opened_at', models.DateTimeField()),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('detail', models.JSONField(blank=True, default=dict)),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alert_notices', to='cameras.store')),
                    ],
                    options={
                        'db_table': 'workers_alertnotice',
                        'ordering': ['-opened_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('closed_at__isnull', True)), fields=('store', 'kind', 'subject_key'), name='alert_notice_one_open')],
                    },
                ),
            ],
            database_operations=[migrations.RunPython(relabel_content_types, relabel_content_types_back)],
        ),
    ]
