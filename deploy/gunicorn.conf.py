"""Gunicorn settings for the web container (docker-compose.yml)."""

import os
import shutil

from common.env import load_settings_or_exit

# A bad setting stops the master with one line and exit code 2 before any worker boots (common/env.py).
load_settings_or_exit()

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = 2
timeout = 60
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (memory growth in long-lived processes)
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = "*"  # only nginx-proxy can reach the container
if os.environ.get("LOG_FORMAT") == "json":  # gunicorn's own lines as JSON too, like Django's (common/logging.py)
    from common.logging import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig("json", os.environ.get("LOG_LEVEL") or "INFO")


def on_starting(server):
    # Multiprocess metrics: start from an empty folder so numbers of a previous run do not linger.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
