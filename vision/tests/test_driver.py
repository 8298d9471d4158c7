"""The one frame loop (vision.driver) and the one detector configuration (vision.detector_config)."""

from __future__ import annotations

import json
import threading
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vision.analyze import AnalyzeResult, AnalyzeSink
from vision.config import load_camera_config
from vision.detector_config import DetectorConfig, DetectorConfigError
from vision.driver import CollectSink, FrameSink, PipelineDriver, StopReason
from vision.mot import iter_frames
from vision.replay import replay
from vision.sources import DetectionCadence, FramePacket, SyntheticSource

from .helpers import START, camera, person

FRAME = (1280, 720)


def walker_detections(index: int) -> list:
    """Two people crossing the electronics zone (x 300..700) from left to right, 12 px per frame."""
    x = 100 + 12 * index
    return [person(x, 400), person(x - 150, 450)] if x < 1100 else []


class IndexDetector:
    """Reads the frame index the source wrote into pixel (0, 0); counts its calls."""

    def __init__(self):
        self.calls = 0

    def detect(self, images):
        self.calls += len(images)
        return [walker_detections(int(im[0, 0, 0]) + 256 * int(im[0, 0, 1])) for im in images]


def render(index, t):
    image = np.zeros((FRAME[1], FRAME[0], 3), np.uint8)
    image[0, 0] = (index % 256, index // 256, 0)
    return image


class ClosingSource(SyntheticSource):
    closed = False

    def close(self) -> None:
        self.closed = True


class RecordingSink(FrameSink):
    def __init__(self):
        self.calls: list[tuple] = []
        self.events: list[dict] = []

    def on_start(self, pipeline, packet):
        self.calls.append(("start", packet.index if packet is not None else None))

    def on_events(self, events):
        assert events
        self.events.extend(events)
        self.calls.append(("events", len(events)))

    def on_frame(self, pipeline, step):
        self.calls.append(("frame", step.index, step.detected))

    def on_finish(self, pipeline):
        self.calls.append(("finish",))


def config():
    return load_camera_config(camera(fps=4))


def test_runs_a_source_through_the_detector_with_the_cadence_and_closes_it():
    det, sink = IndexDetector(), RecordingSink()
    source = ClosingSource(120, sample_fps=12, frame_size=FRAME, render=render, start_time=START)
    driver = PipelineDriver(config(), sink, detector=det, cadence=DetectionCadence(12, 3))
    assert driver.run(source, close_source=True) == StopReason.ENDED
    assert source.closed
    assert det.calls == 40 == driver.detected_frames  # frames 0, 3, ..., 117
    frames = [c for c in sink.calls if c[0] == "frame"]
    assert len(frames) == 120 == driver.frames
    assert [c[1] for c in frames if c[2]] == list(range(0, 120, 3))
    assert sink.calls[0] == ("start", 0) and sink.calls[-1] == ("finish",)
    assert sink.events and driver.events == len(sink.events)
    assert driver.summary()["zones"]["electronics"]["entries"] >= 1


def test_stops_on_request_and_on_limits_without_reading_further():
    stop = threading.Event()

    class StopAt(FrameSink):
        def on_frame(self, pipeline, step):
            if step.index == 4:
                stop.set()

    driver = PipelineDriver(config(), StopAt(), detector=IndexDetector())
    source = SyntheticSource(100, sample_fps=4, frame_size=FRAME, render=render, start_time=START)
    assert driver.run(source, stop=stop) == StopReason.STOPPED
    assert driver.frames == 5 and driver.finished

    limited = PipelineDriver(config(), detector=IndexDetector())
    assert limited.run(SyntheticSource(100, sample_fps=4, frame_size=FRAME, render=render),
                       max_frames=7) == StopReason.MAX_FRAMES
    assert limited.frames == 7
    timed = PipelineDriver(config(), detector=IndexDetector())
    assert timed.run(SyntheticSource(100, sample_fps=4, frame_size=FRAME, render=render),
                     max_seconds=2.0) == StopReason.MAX_SECONDS
    assert timed.frames == 9  # t = 0, 0.25, ..., 2.0


def test_tick_and_polled_sources_and_a_refused_frame():
    """A polled source yields None while it has no frame; tick runs before every read and can stop the loop."""
    packets = iter(SyntheticSource(12, sample_fps=4, frame_size=FRAME, render=render, start_time=START))
    reads = []

    def polled():
        while True:
            reads.append(1)
            yield next(packets, None) if len(reads) % 2 else None

    ticks = []

    def tick():
        ticks.append(1)
        return "enough" if len(ticks) > 40 else None

    class Refuse(FrameSink):
        def accept(self, step):
            return step.index != 2

    driver = PipelineDriver(config(), Refuse(), detector=IndexDetector())
    assert driver.run(polled(), tick=tick, finish=False) == "enough"
    assert len(ticks) == 41 and len(reads) == 40
    assert driver.detected_frames == 12 and not driver.finished


def test_detector_errors_are_the_sinks_to_handle():
    def broken(image):
        raise RuntimeError("no model")

    with pytest.raises(RuntimeError, match="no model"):
        PipelineDriver(config(), detector=broken).run(SyntheticSource(3, sample_fps=4, frame_size=FRAME))

    class Skip(FrameSink):
        errors = 0

        def on_detect_error(self, step, error):
            self.errors += 1

    sink = Skip()
    driver = PipelineDriver(config(), sink, detector=broken)
    assert driver.run(SyntheticSource(3, sample_fps=4, frame_size=FRAME)) == StopReason.ENDED
    assert sink.errors == 3 and driver.detected_frames == 0


def test_time_origins_date_events_alike():
    """Runner style (t = 0 at the first frame, start = its wall time) and edge style (the stream's own clock)
    give the same event times."""
    late = START + timedelta(seconds=30)

    def run(origin):
        sink = CollectSink()
        source = SyntheticSource(60, sample_fps=4, frame_size=FRAME, render=render, start_time=late)
        PipelineDriver(config(), sink, detector=IndexDetector(), time_origin=origin).run(source)
        return sink.events

    first, stream = run("first_frame"), run("stream")
    assert first and [e["ts"] for e in first] == [e["ts"] for e in stream]
    assert [e["event_id"] for e in first] == [e["event_id"] for e in stream]


def test_analyze_and_runner_style_sinks_give_the_same_events(tmp_path):
    """The same frames through the analysis sink (files) and through a runner-style loop (polled source,
    housekeeping tick, events collected in a pending list) give the same events."""
    cfg = config()
    cadence = DetectionCadence.for_detection_fps(cfg.fps, 3)

    def source():
        return SyntheticSource(240, sample_fps=cadence.frame_rate, frame_size=FRAME, render=render, start_time=START)

    result = AnalyzeResult(out_dir=tmp_path, summary={})
    sink = AnalyzeSink(tmp_path, result)
    analyzer = PipelineDriver(cfg, sink, detector=IndexDetector(), cadence=cadence, start_time=START)
    analyzer.run(source())
    sink.close()
    written = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]

    pending: list[dict] = []

    class Pending(FrameSink):
        def on_events(self, events):
            pending.extend(events)

    frames = iter(source())

    def polled():
        while True:
            yield next(frames, None)

    polls = []

    def housekeeping():
        polls.append(1)
        return "lease_lost" if len(polls) > 300 else None

    detector = IndexDetector()
    runner = PipelineDriver(cfg, Pending(), detector=lambda image: detector.detect([image])[0], cadence=cadence,
                            person_key_prefix=lambda packet: "")
    assert runner.run(polled(), tick=housekeeping, finish=False) == "lease_lost"
    runner.finish()
    assert written and written == pending
    assert analyzer.summary() == runner.summary()
    assert (tmp_path / "detections.txt").read_text().count("\n") == analyzer.detections


def test_detections_source_replays_like_manage_replay(tmp_path):
    cfg = config()
    rows = {n: walker_detections(n - 1) for n in range(1, 81)}
    det_txt = tmp_path / "det.txt"
    with det_txt.open("w") as fh:
        for n, dets in rows.items():
            for d in dets:
                fh.write(f"{n},-1,{d.x1},{d.y1},{d.x2 - d.x1},{d.y2 - d.y1},{d.conf},-1,-1,-1\n")
    summary = replay(det_txt, cfg, tmp_path / "out", start_time=START)
    sink = CollectSink()
    driver = PipelineDriver(cfg, sink, start_time=START)
    assert driver.run_detections(iter_frames(rows, cfg.fps)) == StopReason.ENDED
    replayed = [json.loads(line) for line in (tmp_path / "out" / "events.jsonl").read_text().splitlines()]
    assert sink.events == replayed and driver.summary() == summary
    empty = PipelineDriver(cfg, start_time=START)
    empty.run_detections([])
    assert empty.summary()["unique_tracks"] == 0


def test_reset_starts_a_new_pipeline_on_the_next_detected_frame():
    driver = PipelineDriver(config(), detector=IndexDetector(), person_key_prefix=lambda p: f"r{p.index}-")
    packet = FramePacket(0, 5.0, render(0, 0), datetime(2025, 1, 1, tzinfo=UTC))
    driver.process(packet)
    first = driver.pipeline
    assert first.person_key_prefix == "r0-" and first.start_time == packet.wall_time
    driver.reset(cadence=DetectionCadence(12, 2))
    assert driver.pipeline is None
    driver.process(FramePacket(1, 5.25, render(1, 0), packet.wall_time))  # not detected: no pipeline
    assert driver.pipeline is None
    driver.process(FramePacket(2, 5.5, render(2, 0), packet.wall_time))
    assert driver.pipeline is not first and driver.pipeline.person_key_prefix == "r2-"


# ------------------------------------------------------------------------------------ DetectorConfig


def test_detector_config_reads_the_one_set_of_names():
    env = {"DETECTOR_BACKEND": "openvino", "DETECTOR_MODEL_PATH": "/m/yolo.xml", "MODEL_DEVICE": "cuda:1",
           "DETECTOR_PRECISION": "INT8", "DETECTOR_IMGSZ": "1280", "DETECTOR_CONF": "0.4", "DETECTOR_IOU": "0.6",
           "DETECTOR_THREADS": "2"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = DetectorConfig.from_env(env)
    assert config == DetectorConfig("openvino", "/m/yolo.xml", "cuda:1", "int8", 1280, 0.4, 0.6, 2)
    assert DetectorConfig.from_env(config.as_env()) == config
    assert DetectorConfig.from_env({}) == DetectorConfig()
    assert DetectorConfig.from_env({"DETECTOR_BACKEND": "", "DETECTOR_THREADS": ""}) == DetectorConfig()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DETECTOR_IMGSZ", "big", "DETECTOR_IMGSZ must be an integer"),
    ("DETECTOR_IMGSZ", "500", "DETECTOR_IMGSZ='500': imgsz must be a multiple of 32"),
    ("DETECTOR_CONF", "1.5", "DETECTOR_CONF='1.5': conf must be in"),
    ("DETECTOR_IOU", "x", "DETECTOR_IOU must be a number"),
    ("DETECTOR_BACKEND", "tensorflow", "DETECTOR_BACKEND='tensorflow': unknown detector backend"),
    ("DETECTOR_PRECISION", "fp8", "DETECTOR_PRECISION='fp8'"),
    ("DETECTOR_THREADS", "-1", "DETECTOR_THREADS='-1'"),
    ("MODEL_IMGSZ", "big", "MODEL_IMGSZ must be an integer"),
])
def test_detector_config_rejects_bad_values_naming_the_variable(name, value, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(DetectorConfigError) as err:
            DetectorConfig.from_env({name: value})
    assert message in str(err.value)


def test_deprecated_names_are_mapped_with_a_warning():
    old = {"MODEL_BACKEND": "ov", "MODEL_PATH": "/m.xml", "MODEL_PRECISION": "fp32", "MODEL_IMGSZ": "320",
           "MODEL_CONF": "0.3", "MODEL_IOU": "0.45", "MODEL_THREADS": "3"}
    with pytest.warns(DeprecationWarning, match="MODEL_THREADS is deprecated: use DETECTOR_THREADS"):
        config = DetectorConfig.from_env(old)
    assert config == DetectorConfig("openvino", "/m.xml", "cpu", "fp32", 320, 0.3, 0.45, 3)
    with pytest.warns(DeprecationWarning, match="MODEL_THREADS is deprecated and ignored"):
        both = DetectorConfig.from_env({"MODEL_THREADS": "3", "DETECTOR_THREADS": "1"})
    assert both.threads == 1


def test_replace_ignores_unset_options_and_rejects_unknown_ones():
    base = DetectorConfig(conf=0.3)
    assert base.replace(conf=None, threads=2) == DetectorConfig(conf=0.3, threads=2)
    with pytest.raises(DetectorConfigError, match="unknown detector option"):
        base.replace(confidence=0.5)
