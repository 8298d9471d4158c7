#!/usr/bin/env python
"""`make bench`: every benchmark once, each printing its figure beside its same-run baseline.

Pass names to run a subset (`python bench/run_all.py detector tracker`); `--full` uses each bench's own
defaults (the issue-sized runs: 1M events, 300 s capacity windows), which take much longer.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {
    "store_sim": ["--fps", "4", "25", "--seeds", "1", "2", "3"],
    "tracker": ["--seeds", "3"],
    "detector": ["--frames", "60", "--imgsz", "640"],
    "ingest": ["--events", "30000", "--clients", "4"],
    "aggregate": ["--events", "200000", "--repeat", "2"],
    "analytics_api": ["--requests", "40"],
    "capacity": ["--cameras", "4,8,12", "--window", "60"],
    "ops": ["--stores", "10", "--events", "50000"],
}


def main(argv: list[str]) -> int:
    full = "--full" in argv
    names = [a for a in argv if not a.startswith("--")] or list(QUICK)
    unknown = sorted(set(names) - set(QUICK))
    if unknown:
        print(f"unknown bench(es) {unknown}; choose from {sorted(QUICK)}", file=sys.stderr)
        return 2
    failures = []
    for name in names:
        command = [sys.executable, str(HERE / f"bench_{name}.py"), *([] if full else QUICK[name])]
        print(f"\n=== bench_{name} {' '.join(command[2:])}", flush=True)
        started = time.monotonic()
        if subprocess.run(command, check=False).returncode != 0:
            failures.append(name)
        print(f"=== bench_{name}: {time.monotonic() - started:.0f} s", flush=True)
    if failures:
        print(f"\nfailed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
