"""Celery application: `celery -A wink worker`, `celery -A wink beat`, `celery -A wink flower`."""

import os

from celery import Celery

# Every Celery process (worker, beat) loads this module: importing common.instruments here connects the signal
# handlers that keep task failures, worker heartbeats and beat activity in Redis for /metrics.
import common.instruments  # noqa: F401
from common.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")

app = Celery("wink")


@app.on_configure.connect
def _settings_or_exit(sender=None, **_kwargs):
    """Load Django's settings when Celery first reads its configuration: a bad setting stops any `celery -A wink`
    command with one line naming the variable and exit status 2, not a traceback from deep inside Celery."""
    load_settings_or_exit()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
