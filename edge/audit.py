"""Edge mode count audits: evidence kept on the box during a window, uploaded only when an audit asks for it.

Per camera, an :class:`EdgeAuditRecorder`:
- polls ``GET /api/ingest/audits?camera_id=…`` (edge key) for the camera's windows;
- during a window, and only then, keeps every analysed frame: downscaled, heads blurred before anything is
  written (vision.evidence), with the system's own per-frame counts in ``index.jsonl``, under
  ``<buffer_dir>/audits/<camera>/<audit id>/`` (bounded: frames stop at the server's max_evidence_bytes);
- when the server marks a window ``upload``, sends it in pieces (``PUT …/evidence?name=frames/NNNNNN.jpg``, then
  ``index.jsonl``, then ``complete``); it asks first what the server already holds, so an upload cut by an
  outage resumes where it stopped, and every failure is retried with backoff;
- deletes a window's files once the server no longer lists it (audited, or past its retention), or after
  ``LOCAL_RETENTION_DAYS`` whatever the server says.

Pure Python (no Django): the HTTP calls go through the collector's IngestClient session.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from edge.client import Backoff, IngestClient
from vision.events import iso
from vision.evidence import INDEX, EvidenceDirectory, evidence_frame, frame_record

log = logging.getLogger("wink.edge.audit")
LOCAL_RETENTION_DAYS = 14
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class EdgeAuditRecorder:
    def __init__(self, camera_id: str, api_key: str, client: IngestClient, directory: Path, poll_s: float = 30.0):
        self.camera_id, self.api_key, self.client = camera_id, api_key, client
        self.directory = Path(directory)
        self.poll_s = float(poll_s)
        self.windows: list[dict[str, Any]] = []  # replaced whole by the poller; read by the vision thread
        self.max_bytes = DEFAULT_MAX_BYTES
        self.backoff = Backoff(base=1.0, cap=60.0)
        self._writers: dict[int, EvidenceDirectory] = {}
        self._lock = threading.Lock()
        self.frames_written = 0
        self.uploaded: set[int] = set()
        self.last_error = ""

    # -- vision thread ------------------------------------------------------------------------------

    def on_frame(self, pipeline, step) -> None:
        if step.detections is None or step.packet is None or pipeline is None or not self.windows:
            return
        try:
            self._record(pipeline, step)
        except Exception as error:  # evidence is a side job: counting goes on
            log.warning("%s: audit evidence not written: %s", self.camera_id, error)

    def _record(self, pipeline, step) -> None:
        wall = step.packet.wall_time
        active = [w for w in self.windows if w["_start"] <= wall < w["_end"]]
        if not active:
            return
        boxes = [d.box for d in step.detections]
        jpeg, scale = evidence_frame(step.packet.image, boxes)  # heads blurred before anything is written
        counts = pipeline.live_state()
        with self._lock:
            for window in active:
                writer = self._writers.get(window["id"])
                if writer is None:
                    writer = self._writers[window["id"]] = EvidenceDirectory(self.directory / str(window["id"]),
                                                                               self.max_bytes)
                record = frame_record(writer.seq, iso(wall, "us"), step.t, counts, boxes, scale, step.events)
                writer.write(jpeg, record)
                self.frames_written += 1

    # -- sync thread --------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                delay = self.sync_once()
            except Exception:
                log.exception("%s: audit sync error", self.camera_id)
                delay = self.backoff.next_delay()
            stop.wait(delay)

    def sync_once(self) -> float:
        """Poll the windows, upload what is asked for, tidy up; returns the delay until the next call."""
        answer = self._get("/api/ingest/audits", {"camera_id": self.camera_id})
        if answer is None:
            return self.backoff.next_delay()
        self.max_bytes = int(answer.get("max_evidence_bytes") or DEFAULT_MAX_BYTES)
        windows = []
        for window in answer.get("windows", []):
            windows.append(dict(window, _start=_parse(window["start"]), _end=_parse(window["end"])))
        self.windows = windows
        for window in windows:
            if window.get("upload") and window["id"] not in self.uploaded:
                if not self.upload(window["id"]):
                    return self.backoff.next_delay()
        self.backoff.reset()
        self._tidy({w["id"] for w in windows})
        return self.poll_s

    def upload(self, audit_id: int) -> bool:
        """Send the window's pieces the server lacks, then the index, then `complete`. False: try again later."""
        directory = self.directory / str(audit_id)
        with self._lock:
            self._writers.pop(audit_id, None)
        if not (directory / INDEX).is_file():
            (directory / "frames").mkdir(parents=True, exist_ok=True)
            (directory / INDEX).write_text("")  # no frame in the window (camera down): an empty index says so
        held = self._get(f"/api/ingest/audits/{audit_id}/evidence", {"camera_id": self.camera_id})
        if held is None:
            return False
        received = set(held.get("received", []))
        for path in sorted((directory / "frames").glob("*.jpg")):
            name = f"frames/{path.name}"
            if name in received:
                continue
            if not self._put(audit_id, name, path.read_bytes()):
                return False
        if not self._put(audit_id, INDEX, (directory / INDEX).read_bytes()):
            return False
        if not self._put(audit_id, "complete", b""):
            return False
        self.uploaded.add(audit_id)
        log.info("%s: audit %s evidence uploaded", self.camera_id, audit_id)
        return True

    def _tidy(self, listed: set[int]) -> None:
        if not self.directory.is_dir():
            return
        cutoff = time.time() - LOCAL_RETENTION_DAYS * 86400
        for path in self.directory.iterdir():
            if not path.is_dir() or not path.name.isdigit():
                continue
            audit_id = int(path.name)
            old = path.stat().st_mtime < cutoff
            if (audit_id not in listed or old) and audit_id not in self._writers:
                shutil.rmtree(path, ignore_errors=True)

    # -- HTTP ---------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def _get(self, path: str, params: dict) -> dict | None:
        try:
            response = self.client.session.get(f"{self.client.api_base}{path}", params=params,
                                               headers=self._headers(), timeout=self.client.timeout)
        except requests.RequestException as error:
            self.last_error = f"{type(error).__name__}"
            return None
        if not response.ok:
            self.last_error = f"{path}: HTTP {response.status_code}"
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def _put(self, audit_id: int, name: str, data: bytes) -> bool:
        try:
            response = self.client.session.put(
                f"{self.client.api_base}/api/ingest/audits/{audit_id}/evidence", params={"name": name}, data=data,
                headers={**self._headers(), "Content-Type": "application/octet-stream"}, timeout=self.client.timeout)
        except requests.RequestException as error:
            self.last_error = f"upload {name}: {type(error).__name__}"
            return False
        if response.status_code in (409, 413):  # done/expired, or over the bound: stop sending this window
            log.warning("%s: audit %s upload refused (%s)", self.camera_id, audit_id, response.status_code)
            self.uploaded.add(audit_id)
            return True
        if not response.ok:
            self.last_error = f"upload {name}: HTTP {response.status_code}"
            return False
        return True
