"""Celery application: `celery -A wink worker`, `celery -A wink beat`, `celery -A wink flower`."""

import os

from celery import Celery

# Every Celery process (worker, beat) loads this module: importing wink.instruments here connects the signal
# handlers that keep task failures, worker heartbeats and beat activity in Redis for /metrics.
import wink.instruments  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")

app = Celery("wink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
