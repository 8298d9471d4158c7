"""Evidence files of one audit window: MEDIA_ROOT/audits/<id>/frames/<seq>.jpg and index.jsonl.

Never under a public URL: frames are served by the signed-in, tenant-checked dashboard view
(dashboard/pages/audits.py). Written by the central recorder (audits/recorder.py) or uploaded by an edge
collector (audits/views.py, the evidence endpoint); deleted when the audit is done or after
AUDIT_RETENTION_DAYS (audits/services.audit_evidence_cleanup).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from django.conf import settings

from vision.evidence import INDEX, EvidenceDirectory, read_index  # noqa: F401  (INDEX: the views name it)

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
    """The window's frame records (vision.evidence.frame_record), in order; [] when there is no evidence."""
    return read_index(evidence_dir(audit_id))


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


class EvidenceWriter(EvidenceDirectory):
    """One window's evidence directory under MEDIA_ROOT, bounded by AUDIT_MAX_EVIDENCE_BYTES (vision.evidence)."""

    def __init__(self, audit_id: int):
        self.audit_id = int(audit_id)
        super().__init__(evidence_dir(audit_id), max_evidence_bytes())
