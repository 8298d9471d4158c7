"""Disk-backed write-ahead buffer of events, one directory per camera (`buffers/<camera>/`).

Files: `buffer_<seq>.jsonl` (one event per line, append-only) and `buffer_<seq>.acks` (ids the API
confirmed, append-only). Every append and every ack is flushed and fsync'ed before the call
returns, so an event handed to `append` survives a crash or power loss, and an event is dropped only
after the server confirmed it (accepted or duplicate). After a restart the buffer holds exactly
the events that were appended and not acknowledged; a line torn by a power cut (the last line of
a segment) is skipped, as it was never acknowledged to the writer. A fully acknowledged segment is
deleted. Writes always go to a new segment after a restart, so a torn tail is never appended to.

Bounded: over `max_events` unacknowledged events, the oldest segment is dropped with a warning
naming how many events and which time span were lost (disk is finite; the newest data is kept).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("wink.edge.buffer")
SEGMENT_RE = re.compile(r"^buffer_(\d{10})\.jsonl$")


@dataclass
class _Segment:
    seq: int
    path: Path
    ack_path: Path
    events: list[dict[str, Any]] | None = None  # loaded lazily for old segments
    acked: set[str] = field(default_factory=set)
    total: int = 0

    @property
    def pending(self) -> int:
        return self.total - len(self.acked)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return data.decode("utf-8", errors="replace").split("\n")


class EventBuffer:
    def __init__(self, directory: str | Path, max_events: int = 200_000, segment_events: int = 1000):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_events = int(max_events)
        self.segment_events = int(segment_events)
        self.dropped = 0
        self._lock = threading.Lock()
        self._segments: list[_Segment] = []
        self._writer = None
        self._ack_writer = None
        self._load()
        self._open_new_segment()

    # -- public ------------------------------------------------------------------------------------

    def append(self, events: Iterable[dict[str, Any]]) -> int:
        """Write events durably (fsync) before returning; each needs an `event_id`."""
        events = list(events)
        if not events:
            return 0
        for event in events:
            if not event.get("event_id"):
                raise ValueError("every buffered event needs an event_id")
        with self._lock:
            for event in events:
                if self._segments[-1].total >= self.segment_events:
                    self._open_new_segment()
                current = self._segments[-1]
                self._writer.write(json.dumps(event, separators=(",", ":"), sort_keys=True) + "\n")
                current.events.append(event)
                current.total += 1
            self._writer.flush()
            os.fsync(self._writer.fileno())
            self._enforce_bound()
        return len(events)

    def peek(self, limit: int, skip: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """The oldest unacknowledged events, at most `limit`, oldest first (ids in `skip` left out)."""
        out: list[dict[str, Any]] = []
        with self._lock:
            for segment in self._segments:
                if len(out) >= limit:
                    break
                if segment.pending == 0:
                    continue
                for event in self._events_of(segment):
                    if event["event_id"] not in segment.acked and event["event_id"] not in skip:
                        out.append(event)
                        if len(out) >= limit:
                            break
        return out

    def ack(self, event_ids: Iterable[str]) -> int:
        """Forget confirmed events (durably); returns how many pending events were acknowledged."""
        wanted = set(event_ids)
        if not wanted:
            return 0
        done = 0
        with self._lock:
            for segment in list(self._segments):
                if not wanted:
                    break
                if segment.pending == 0:
                    continue
                ids = {e["event_id"] for e in self._events_of(segment)} - segment.acked
                hit = ids & wanted
                if not hit:
                    continue
                wanted -= hit
                segment.acked |= hit
                done += len(hit)
                self._write_acks(segment, hit)
            self._delete_finished()
        return done

    def pending_count(self) -> int:
        with self._lock:
            return sum(segment.pending for segment in self._segments)

    def close(self) -> None:
        with self._lock:
            for handle in (self._writer, self._ack_writer):
                if handle is not None:
                    handle.close()
            self._writer = self._ack_writer = None

    # -- internals ---------------------------------------------------------------------------------

    def _load(self) -> None:
        for path in sorted(self.directory.iterdir()):
            match = SEGMENT_RE.match(path.name)
            if not match:
                continue
            segment = _Segment(int(match.group(1)), path, path.with_suffix(".acks"))
            events = self._parse(path)
            segment.acked = {line.strip() for line in _read_lines(segment.ack_path) if line.strip()}
            segment.acked &= {e["event_id"] for e in events}
            segment.total = len(events)
            if segment.pending == 0:
                self._remove(segment)
                continue
            self._segments.append(segment)
        if self._segments:
            log.info("buffer %s: %d unsent event(s) recovered from disk", self.directory, self.pending_count())

    @staticmethod
    def _parse(path: Path) -> list[dict[str, Any]]:
        events = []
        seen: set[str] = set()
        for line in _read_lines(path):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: it was never confirmed to the writer
            if isinstance(event, dict) and event.get("event_id") and event["event_id"] not in seen:
                seen.add(event["event_id"])
                events.append(event)
        return events

    def _events_of(self, segment: _Segment) -> list[dict[str, Any]]:
        if segment.events is None:
            segment.events = self._parse(segment.path)
        return segment.events

    def _open_new_segment(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._ack_writer is not None:
            self._ack_writer.close()
            self._ack_writer = None
        seq = self._segments[-1].seq + 1 if self._segments else 1
        path = self.directory / f"buffer_{seq:010d}.jsonl"
        self._writer = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across appends
        _fsync_dir(self.directory)
        self._segments.append(_Segment(seq, path, path.with_suffix(".acks"), events=[]))

    def _write_acks(self, segment: _Segment, ids: set[str]) -> None:
        with open(segment.ack_path, "a", encoding="utf-8") as handle:
            handle.write("".join(f"{event_id}\n" for event_id in sorted(ids)))
            handle.flush()
            os.fsync(handle.fileno())

    def _delete_finished(self) -> None:
        keep = []
        for segment in self._segments:
            if segment.pending == 0 and segment is not self._segments[-1]:
                self._remove(segment)
            else:
                keep.append(segment)
        self._segments = keep

    def _remove(self, segment: _Segment) -> None:
        for path in (segment.path, segment.ack_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        _fsync_dir(self.directory)

    def _enforce_bound(self) -> None:
        total = sum(segment.pending for segment in self._segments)
        while total > self.max_events and len(self._segments) > 1:
            oldest = self._segments.pop(0)
            lost = [e for e in self._events_of(oldest) if e["event_id"] not in oldest.acked]
            span = f"{lost[0].get('ts')} .. {lost[-1].get('ts')}" if lost else "-"
            self.dropped += len(lost)
            total -= len(lost)
            log.warning(
                "BUFFER FULL (%s, limit %d events): dropped the %d oldest unsent events (%s); "
                "the API has been unreachable too long or max_buffer_events is too small",
                self.directory, self.max_events, len(lost), span,
            )
            self._remove(oldest)
