"""`manage.py run_camera CAMERA_ID`: run one camera in the foreground (debugging), with the same
runner, lease and outputs as a Celery camera worker. Ctrl-C stops it and hands the camera back."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workers import leases, metrics, selectors


class Command(BaseCommand):
    help = "Run one camera in the foreground: stream -> detector -> pipeline -> events, printing metrics."

    def add_arguments(self, parser):
        parser.add_argument("camera_id", help="camera slug (or numeric id)")
        parser.add_argument("--store", help="store slug, when several stores have a camera with this slug")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")

    def handle(self, *args, camera_id: str, store=None, seconds=None, **options):
        from workers.runner import CameraRunner, ExitReason

        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds: must be > 0")
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL: not set; camera runners need Redis for leases and live state")
        found = selectors.camera_find(camera_id, store)
        if not found:
            raise CommandError(f"camera_id: no camera {camera_id!r}" + (f" in store {store!r}" if store else ""))
        if len(found) > 1:
            stores = ", ".join(c.store.store_id for c in found)
            raise CommandError(f"camera_id: {camera_id!r} exists in several stores ({stores}); pass --store")
        camera = found[0]
        if not camera.rtsp_url:
            raise CommandError(f"rtsp_url: camera {camera.camera_id} has no stream URL")
        try:
            holder = leases.lease_holder(camera.pk)
        except Exception as exc:  # redis errors: one line, no traceback
            raise CommandError(f"REDIS_URL: cannot reach Redis ({exc})") from None
        if holder:
            raise CommandError(f"camera {camera.camera_id} is being processed by {holder}; stop that worker first")
        if options.get("verbosity", 1) >= 1:
            logging.getLogger("workers").setLevel(logging.INFO)

        stop = threading.Event()
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
        runner = CameraRunner(camera.pk, stop_event=stop, max_seconds=seconds, worker_name="run_camera")
        name = f"{camera.store.store_id}/{camera.camera_id}"
        stream = f"detect stream {camera.masked_detect_url}" if camera.detect_url else camera.masked_rtsp_url
        self.stdout.write(f"running {name} ({stream}); Ctrl-C stops")
        result: dict = {}
        thread = threading.Thread(target=lambda: result.setdefault("reason", runner.run()), daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(5.0)
                row = next((r for r in metrics.camera_metrics_read_all(runner.client)
                            if r.get("camera") == camera.camera_id and r.get("store") == camera.store.store_id), None)
                if row and thread.is_alive():
                    self.stdout.write(
                        f"{time.strftime('%H:%M:%S')} status={row.get('status')} fps={row.get('processed_fps')} "
                        f"lag={row.get('lag_seconds')}s detect={row.get('detection_ms')}ms "
                        f"events={row.get('events_total')} dropped={row.get('frames_dropped_total')} "
                        f"reconnects={row.get('reconnects_total')}"
                    )
        finally:
            signal.signal(signal.SIGINT, previous)
        reason = result.get("reason", "failed")
        self.stdout.write(f"stopped: {reason}; {runner.frames_processed} frames analysed, "
                          f"{runner.events_written} events written")
        if reason == ExitReason.HELD:
            raise CommandError(f"camera {camera.camera_id} was taken by another worker")
