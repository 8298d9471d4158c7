"""Central mode: the camera runner's audit recorder (one per CameraRunner, called from its frame sink).

During an audit window of the camera, and only then, every analysed frame is kept as evidence: downscaled,
heads blurred (vision.evidence), with the system's own per-frame counts, boxes and events in index.jsonl.
Outside every window it does nothing but look up the camera's windows every REFRESH_S. A failure here is
logged and never stops the runner counting.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

from audits.evidence import EvidenceWriter
from vision.events import iso
from vision.evidence import evidence_frame, frame_record

log = logging.getLogger(__name__)

REFRESH_S = 5.0


class AuditRecorder:
    def __init__(self, camera_pk: int):
        self.camera_pk = int(camera_pk)
        self.windows: list[tuple[int, object, object]] = []  # (audit id, start, end)
        self.writers: dict[int, EvidenceWriter] = {}
        self.frames_written = 0
        self._next_refresh = 0.0

    def on_frame(self, pipeline, step) -> None:
        if step.detections is None or step.packet is None or pipeline is None:
            return
        try:
            self._record(pipeline, step)
        except Exception as exc:  # evidence is a side job: never a reason to stop counting
            log.warning("camera %s: audit evidence not written: %s", self.camera_pk, exc)

    def _refresh(self) -> None:
        from audits.models import Audit

        now = timezone.now()
        try:
            rows = Audit.objects.filter(
                camera_id=self.camera_pk, status=Audit.Status.SCHEDULED, end__gt=now - timedelta(seconds=REFRESH_S),
                start__lt=now + timedelta(seconds=2 * REFRESH_S),
            ).values_list("pk", "start", "end")
            self.windows = list(rows)
        except DatabaseError as exc:
            log.warning("camera %s: audit windows not read: %s", self.camera_pk, exc)
            connection.close()
            return
        for audit_id in list(self.writers):
            if audit_id not in {w[0] for w in self.windows}:
                self._close(audit_id)

    def _close(self, audit_id: int) -> None:
        from audits.models import Audit

        writer = self.writers.pop(audit_id)
        Audit.objects.filter(pk=audit_id).update(evidence_frames=writer.frames, evidence_bytes=writer.bytes)

    def _record(self, pipeline, step) -> None:
        now = time.monotonic()
        if now >= self._next_refresh:
            self._next_refresh = now + REFRESH_S
            self._refresh()
        if not self.windows:
            return
        wall = step.packet.wall_time
        active = [audit_id for audit_id, start, end in self.windows if start <= wall < end]
        if not active:
            return
        boxes = [d.box for d in step.detections]
        jpeg, scale = evidence_frame(step.packet.image, boxes)  # heads blurred before anything is written
        counts = pipeline.live_state()
        for audit_id in active:
            writer = self.writers.get(audit_id)
            if writer is None:
                writer = self.writers[audit_id] = EvidenceWriter(audit_id)
            record = frame_record(writer.seq, iso(wall, "us"), step.t, counts, boxes, scale, step.events)
            writer.write(jpeg, record)
            self.frames_written += 1

    def close(self) -> None:
        for audit_id in list(self.writers):
            try:
                self._close(audit_id)
            except DatabaseError:
                connection.close()
