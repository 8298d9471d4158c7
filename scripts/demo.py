#!/usr/bin/env python
"""`make demo`: WINK on its embedded default (SQLite, no servers) with real numbers on the dashboard.

1. migrate the SQLite database under var/;
2. seed the demo organisation, store_demo_001 and its cameras (`manage.py seed_demo`) and an admin login;
3. run the vision pipeline on a synthetic store scene (the store simulator's detections through the real
   tracker, zone engine and event builder) for today and the past weeks, write the events through the
   same ingestion service the API uses, and aggregate them;
4. serve the site on http://127.0.0.1:8000 (DEMO_PORT / DEMO_HOST to change).
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


def main() -> int:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print("==> Database ready (SQLite under var/)")
    call_command("demo_data")
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    port = os.environ.get("DEMO_PORT", "8000")
    print(f"==> Serving WINK on http://{host}:{port}/  (sign in as admin / admin; API docs at /api/docs/)")
    call_command("runserver", f"{host}:{port}", use_reloader=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
