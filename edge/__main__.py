"""`python -m edge run|selftest config.yaml`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge", description="WINK edge collector")
    parser.add_argument("command", choices=["run", "selftest"])
    parser.add_argument("config", help="path to config.yaml")
    parser.add_argument("--log-level", default=None, help="default INFO for run, WARNING for selftest")
    args = parser.parse_args(argv)
    level = args.log_level or ("WARNING" if args.command == "selftest" else "INFO")
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from edge.config import EdgeConfigError, load_edge_config

    if args.command == "selftest":
        from edge.selftest import run_selftest

        return run_selftest(args.config)

    try:
        config = load_edge_config(args.config)
    except EdgeConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    from edge.collector import EdgeCollector, banner

    print(banner(config), flush=True)
    collector = EdgeCollector(config)
    try:
        collector.start()
    except Exception as error:
        print(f"error: could not start: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("✅ All cameras started successfully", flush=True)

    stopped = threading.Event()

    def _stop(signum, frame):
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopped.is_set():
        stopped.wait(1.0)
        if collector.sources_finished() and collector.pending() == 0:
            break  # video files (not streams) ended and everything was delivered
    collector.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
