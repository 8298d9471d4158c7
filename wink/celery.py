"""Celery application: `celery -A wink worker`, `celery -A wink beat`, `celery -A wink flower`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")

app = Celery("wink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
