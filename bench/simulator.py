"""The store simulator moved into the vision core: vision/simulator.py (product code must not import bench/).

This file stays for scripts that still load it by path; it re-exports vision.simulator.

    python -m vision.simulator OUT_DIR --seed 1 --fps 4 --noise realistic --duration 900
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vision.simulator import *  # noqa: F403
from vision.simulator import camera_config, main, simulate  # noqa: F401

if __name__ == "__main__":
    raise SystemExit(main())
