"""`manage.py replay DET_TXT --camera CAMERA.json --out DIR [--start ISO]`

Replays MOTChallenge detections through the vision pipeline (tracker → zones → events) and writes
DIR/tracks.txt, DIR/events.jsonl and DIR/summary.json (GUIDE.md §3). Needs no database; the logic
lives in vision.replay.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workers.management.commands._options import parse_start


class Command(BaseCommand):
    help = "Replay a det.txt through the tracker and zone engine: tracks.txt, events.jsonl, summary.json."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("det_txt", help="detections in MOTChallenge det.txt format")
        parser.add_argument("--camera", required=True, help="camera config (JSON or YAML, GUIDE.md §3)")
        parser.add_argument("--out", required=True, help="output directory")
        parser.add_argument("--start", help="ISO time of frame 1 (default 2025-01-01T00:00:00Z)")
        parser.add_argument("--camera-id", help="camera to use when the config lists several cameras")

    def handle(self, *args, **opts):
        from vision.config import ConfigError, load_camera_config
        from vision.mot import MotFormatError
        from vision.replay import replay

        start = parse_start(opts.get("start"))
        det = Path(opts["det_txt"])
        if not det.is_file():
            raise CommandError(f"det.txt not found: {det}")
        try:
            config = load_camera_config(opts["camera"], camera_id=opts.get("camera_id"))
        except ConfigError as exc:
            msg = str(exc)
            raise CommandError(msg if msg.startswith("camera config") else f"camera config: {msg}") from None
        out = Path(opts["out"])
        try:
            summary = replay(det, config, out, start_time=start)
        except MotFormatError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write to {out}: {exc.strerror or exc}") from None
        self.stdout.write(json.dumps(summary, sort_keys=True))
