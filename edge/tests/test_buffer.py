"""The write-ahead buffer: durable across restarts, drops only what was confirmed, bounded."""

from __future__ import annotations

import logging
import uuid

from edge.buffer import EventBuffer


def events(n: int, start: int = 0) -> list[dict]:
    return [{"event_id": str(uuid.uuid4()), "type": "entrance", "ts": f"2025-10-01T10:00:{(start + i) % 60:02d}Z",
             "direction": "in", "person_key": f"t{start + i}"} for i in range(n)]


def test_events_survive_a_restart_until_acknowledged(tmp_path):
    buffer = EventBuffer(tmp_path, segment_events=4)
    written = events(10)
    buffer.append(written)
    assert [e["event_id"] for e in buffer.peek(100)] == [e["event_id"] for e in written]
    buffer.ack([e["event_id"] for e in written[:5]])
    buffer.close()  # a crash needs no close: every append and ack was fsync'ed

    reopened = EventBuffer(tmp_path, segment_events=4)
    assert reopened.pending_count() == 5
    assert [e["event_id"] for e in reopened.peek(3)] == [e["event_id"] for e in written[5:8]]
    reopened.append(events(2, start=10))
    assert reopened.pending_count() == 7
    reopened.ack([e["event_id"] for e in reopened.peek(100)])
    assert reopened.pending_count() == 0
    reopened.close()
    assert EventBuffer(tmp_path).pending_count() == 0


def test_fully_acknowledged_segments_are_deleted(tmp_path):
    buffer = EventBuffer(tmp_path, segment_events=3)
    written = events(9)
    buffer.append(written)
    buffer.ack([e["event_id"] for e in written[:6]])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["buffer_0000000003.jsonl"]  # the two finished segments (and their acks) are gone
    buffer.close()


def test_a_line_torn_by_a_power_cut_is_skipped(tmp_path):
    buffer = EventBuffer(tmp_path)
    buffer.append(events(2))
    buffer.close()
    segment = sorted(tmp_path.glob("buffer_*.jsonl"))[-1]
    with open(segment, "a", encoding="utf-8") as handle:
        handle.write('{"event_id": "half-writ')  # the crash happened mid-write
    reopened = EventBuffer(tmp_path)
    assert reopened.pending_count() == 2
    reopened.append(events(1, start=5))  # new writes go to a new segment, never after the torn tail
    reopened.close()
    assert EventBuffer(tmp_path).pending_count() == 3


def test_skip_leaves_deferred_events_in_place(tmp_path):
    buffer = EventBuffer(tmp_path)
    written = events(3)
    buffer.append(written)
    got = buffer.peek(10, skip={written[0]["event_id"]})
    assert [e["event_id"] for e in got] == [e["event_id"] for e in written[1:]]
    assert buffer.pending_count() == 3
    buffer.close()


def test_bounded_size_drops_oldest_with_a_warning(tmp_path, caplog):
    buffer = EventBuffer(tmp_path, max_events=5, segment_events=2)
    written = events(9)
    with caplog.at_level(logging.WARNING, logger="wink.edge.buffer"):
        for event in written:
            buffer.append([event])
    assert buffer.pending_count() <= 5
    assert buffer.dropped == 9 - buffer.pending_count()
    assert "BUFFER FULL" in caplog.text
    # The newest events are kept.
    assert buffer.peek(100)[-1]["event_id"] == written[-1]["event_id"]
    buffer.close()
