#!/usr/bin/env python
"""`make demo`: WINK on its embedded default (SQLite, no servers) with real numbers on the dashboard.

1. migrate the SQLite database under var/;
2. seed the demo organisation, store_demo_001 and its cameras (`manage.py seed_demo`) and an admin login;
3. run the vision pipeline on a synthetic store scene (the store simulator's detections through the real
   tracker, zone engine and event builder) for today and the past weeks, write the events through the
   same ingestion service the API uses, and aggregate them;
4. start the live camera `cam_live_01`: a looping clip of real person pixels (written once under var/demo/)
   through the real detector, tracker, zone engine and central-mode camera runner, in a thread of this
   process, without Redis (in-process lease, file cache for live state and the annotated frame);
5. serve the site on http://127.0.0.1:8000 (DEMO_PORT / DEMO_HOST to change; DEMO_LIVE=false: no live camera).
Ctrl-C stops the server, then the camera (its open visits closed, its lease released).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "")  # the embedded default: SQLite under var/
# The live camera's stream is a local file: allowed for this process only (never a server default).
os.environ.setdefault("CAMERA_ALLOW_FILE_SOURCES", "true")


def main() -> int:
    import django
    from django.core.management import call_command

    from common.env import load_settings_or_exit

    load_settings_or_exit()  # a bad setting: one line naming it, exit status 2, no traceback
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print("==> Database ready (SQLite under var/)")
    live = os.environ.get("DEMO_LIVE", "true").strip().lower() not in ("0", "false", "no", "off")
    call_command("demo_data", no_live=not live)
    camera = _start_live_camera() if live else None
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    port = os.environ.get("DEMO_PORT", "8000")
    print(f"==> Serving WINK on http://{host}:{port}/  (sign in as admin / admin; API docs at /api/docs/)")
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:  # runserver ends on Ctrl-C (SystemExit or KeyboardInterrupt): stop the camera too
        if camera is not None:
            print("==> Stopping the live camera")
            if not camera.stop(timeout=15.0):
                print("    the camera thread did not stop within 15 s; exiting anyway", file=sys.stderr)
    return 0


def _start_live_camera():
    import logging

    from cameras.models import Camera
    from workers.demo import LIVE_CAMERA_ID, LiveDemoCamera

    logging.getLogger("workers").setLevel(logging.INFO)  # the runner says when the camera is online
    camera = Camera.objects.select_related("store").get(store__store_id="store_demo_001", camera_id=LIVE_CAMERA_ID)
    print(f"==> Live camera {camera.camera_id}: detector, tracker and zones on the clip; /cameras/{camera.pk}/")
    return LiveDemoCamera(camera).start()


if __name__ == "__main__":
    raise SystemExit(main())
