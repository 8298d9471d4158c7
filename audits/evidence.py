"""Evidence files of one audit window: MEDIA_ROOT/audits/<id>/frames/<seq>.jpg and index.jsonl.

Never under a public URL: frames are served by the signed-in, tenant-checked dashboard view
(dashboard/pages/audits.py). Written by the central recorder (audits/recorder.py) or uploaded by an edge
collector (audits/views.py, the evidence endpoint); deleted when the audit is done or after
AUDIT_RETENTION_DAYS (audits/services.audit_evidence_cleanup).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from django.conf import settings

INDEX = "index.jsonl"
FRAME_NAME_RE = re.compile(r"^frames/\d{6}\.jpg$")


def max_evidence_bytes() -> int:
    return int(getattr(settings, "AUDIT_MAX_EVIDENCE_BYTES", 512 * 1024 * 1024))


def audits_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "audits"


def evidence_dir(audit_id: int) -> Path:
    return audits_root() / str(int(audit_id))


def evidence_exists(audit_id: int) -> bool:
    return evidence_dir(audit_id).is_dir()


def evidence_delete(audit_id: int) -> bool:
    directory = evidence_dir(audit_id)
    if not directory.exists():
        return False
    shutil.rmtree(directory, ignore_errors=True)
    return True


def evidence_index(audit_id: int) -> list[dict]:
    """The window's frame records (vision.evidence.frame_record), in order; [] when there is no evidence.
    A torn last line (a crash mid-write) is skipped."""
    path = evidence_dir(audit_id) / INDEX
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("seq"), int):
            records.append(record)
    records.sort(key=lambda r: r["seq"])
    return records


def evidence_frame_path(audit_id: int, seq: int) -> Path | None:
    path = evidence_dir(audit_id) / "frames" / f"{int(seq):06d}.jpg"
    return path if path.is_file() else None


def evidence_size(audit_id: int) -> tuple[int, int]:
    """(frames, bytes) on disk."""
    directory = evidence_dir(audit_id)
    frames, total = 0, 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            total += (Path(root) / name).stat().st_size
            frames += name.endswith(".jpg")
    return frames, total


class EvidenceWriter:
    """Appends frames and index lines to one window's directory, up to max_evidence_bytes (then frames stop,
    the index with the system's counts goes on: it is small and the result needs it)."""

    def __init__(self, audit_id: int):
        self.audit_id = int(audit_id)
        self.directory = evidence_dir(audit_id)
        (self.directory / "frames").mkdir(parents=True, exist_ok=True)
        self.frames, self.bytes = evidence_size(audit_id)
        existing = evidence_index(audit_id)
        self.seq = existing[-1]["seq"] + 1 if existing else 0
        self.limit = max_evidence_bytes()

    def write(self, jpeg: bytes, record: dict) -> bool:
        """Write one frame (if there is room) and its index line; returns whether the frame was kept."""
        kept = self.bytes + len(jpeg) <= self.limit
        if kept:
            path = self.directory / record["file"]
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(jpeg)
            os.replace(tmp, path)
            self.frames += 1
            self.bytes += len(jpeg)
        else:
            record = dict(record, file=None)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with open(self.directory / INDEX, "a") as handle:
            handle.write(line)
        self.bytes += len(line)
        self.seq += 1
        return kept
