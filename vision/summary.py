"""Summary helpers (GUIDE §3 summary.json) and comparison against a ground truth."""

from __future__ import annotations

from typing import Any

from .events import SummaryAccumulator, summarize_events

__all__ = ["SummaryAccumulator", "flatten_summary", "summarize_events"]


def flatten_summary(summary: dict[str, Any]) -> dict[str, float]:
    """{"footfall.in": 45, "zones.electronics.entries": 12, ...} for metric-by-metric comparison."""
    out: dict[str, float] = {}
    for d in ("in", "out"):
        out[f"footfall.{d}"] = float(summary.get("footfall", {}).get(d, 0))
    for section in ("zones", "shelves", "queues"):
        for rid, vals in (summary.get(section) or {}).items():
            for k, v in vals.items():
                out[f"{section}.{rid}.{k}"] = float(v)
    if "unique_tracks" in summary:
        out["unique_tracks"] = float(summary["unique_tracks"])
    return out
