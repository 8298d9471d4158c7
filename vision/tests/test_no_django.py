"""The vision core must stay importable without Django (GUIDE §1)."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

VISION = Path(__file__).resolve().parents[1]
FORBIDDEN = ("django", "rest_framework", "cameras", "zones", "analytics", "celery")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_in_workers_vision_imports_django_or_apps():
    files = [p for p in VISION.rglob("*.py") if "tests" not in p.parts]
    assert len(files) >= 10
    offenders = {
        str(p.relative_to(VISION)): sorted(m for m in _imported_modules(p) if m.split(".")[0] in FORBIDDEN)
        for p in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


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
