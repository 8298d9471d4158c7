"""The vision core must stay importable without Django (GUIDE §1).

The static rule (no module of vision/ or edge/ imports Django, Celery or an app) is an import-linter contract
(pyproject.toml, run by `make lint` / `make test`); these tests check what actually loads at run time."""

import importlib
import subprocess
import sys
from pathlib import Path

VISION = Path(__file__).resolve().parents[1]
FORBIDDEN = ("django", "rest_framework", "cameras", "zones", "analytics", "celery")


def test_core_modules_import_without_django_in_a_fresh_interpreter():
    core = ["types", "config", "geometry", "tracker", "zones", "events", "pipeline", "replay", "mot", "summary"]
    code = (
        "import sys\n"
        f"for m in {core!r}: __import__('vision.' + m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "assert not bad, bad\n"
    )
    root = VISION.parent
    res = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]


def test_every_vision_module_is_importable():
    for p in sorted(VISION.glob("*.py")):
        if p.stem in ("__init__",):
            continue
        try:
            importlib.import_module(f"vision.{p.stem}")
        except ImportError as exc:  # optional heavy backends (openvino, ...) may be absent
            assert not str(exc.name or "").startswith(FORBIDDEN), exc
