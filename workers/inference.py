"""One detector per worker process, shared by all the cameras it runs, behind one inference thread.

Camera threads prepare their frame themselves (the tiles of the camera's detection plan, vision.tiling; or
one letterbox) (OpenCV releases the GIL, so that runs in parallel)
and hand the input tensor to the engine; the engine thread stacks whatever is waiting (up to
``max_batch`` frames of the same input shape) into one batch, runs the network once, and each camera
thread decodes its own rows. A fixed number of engine threads (CAMERA_INFERENCE_THREADS; on CPU one
per core, each network call single-threaded) bounds how many network calls run at once, so cameras
never oversubscribe the cores, and the cores stay busy while camera threads decode and track.
Measured on the 2-core host (bench/bench_capacity.py), two single-threaded calls side by side cost
about as much CPU per frame as one call spread over both cores (30% less for BF16), and with the INT8
model pairs of frames cost ~7% less CPU per frame than single ones (batch 2 on CPU).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from vision.detectors import Detector, DetectorConfig, detector_create
from vision.types import Detection

log = logging.getLogger(__name__)


@dataclass
class _Job:
    blob: np.ndarray | None  # one row per frame (letterbox) or per tile (plan) when the detector exposes its network
    image: np.ndarray | None  # otherwise the frame itself
    future: Future


class InferenceEngine:
    def __init__(self, detector: Detector, max_batch: int = 1, threads: int = 1):
        self.detector = detector
        self.max_batch = max(1, int(max_batch))
        self.threads = max(1, int(threads))
        self._local = threading.local()
        # Split path (preprocess / network / postprocess) for the ONNX Runtime and OpenVINO detectors;
        # any other detector gets whole frames through its own batched detect().
        self._split = hasattr(detector, "_infer") and type(detector).detect is Detector.detect
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._warm: set[tuple[int, ...]] = set()
        self._warm_lock = threading.Lock()
        self._closed = False
        self.batches = 0
        self.frames = 0
        self.busy_s = 0.0
        self._stats_lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._loop, name=f"inference-{i}", daemon=True) for i in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def detect(self, image: np.ndarray, timeout: float | None = 60.0) -> list[Detection]:
        if self._closed:
            raise RuntimeError("inference engine closed")
        future: Future = Future()
        if self._split:
            blob, boxes = self.detector.prepare([image])
            if blob.shape not in self._warm:
                self._warm_up(blob)
            self._queue.put(_Job(blob, None, future))
            output = future.result(timeout)
            return self.detector.decode(output, boxes)[0]
        self._queue.put(_Job(None, image, future))
        return future.result(timeout)

    def detect_camera(self, image: np.ndarray, config=None, timeout: float | None = 60.0) -> list[Detection]:
        """One frame of a camera through its detection plan (vision.tiling): the frame's tiles go to the
        engine as one job, batched with other cameras' jobs of the same shape into one network call."""
        if not self._split or not self.detector.plannable:
            return self.detect(image, timeout)
        if self._closed:
            raise RuntimeError("inference engine closed")
        h, w = image.shape[:2]
        plan = self.detector.plan_for((w, h), config)
        blob, boxes = self.detector.prepare_plan(image, plan)
        if blob.shape not in self._warm:
            self._warm_up(blob)
        future: Future = Future()
        self._queue.put(_Job(blob, None, future))
        return self.detector.decode_plan(future.result(timeout), boxes, plan)

    def describe(self, config=None, frame_size: tuple[int, int] | None = None) -> str:
        """``backend precision (cpu feature) input/tiles`` of a camera (its plan once the frame size is known)."""
        plan = self.detector.plan_for(frame_size, config) if frame_size else None
        return self.detector.describe(plan) if hasattr(self.detector, "describe") else self.detector.name

    def _infer(self, blob: np.ndarray) -> np.ndarray:
        """The raw network on ``blob``; safe to call from several engine threads at once."""
        det = self.detector
        if self.threads > 1 and hasattr(det, "compiled_for"):
            # OpenVINO: one compiled model, one infer request per engine thread and input shape
            requests = self._local.__dict__.setdefault("requests", {})
            key = (blob.shape, blob.dtype.str)
            request = requests.get(key)
            if request is None:
                with det._lock:
                    compiled = det.compiled_for(blob)
                request = requests[key] = compiled.create_infer_request()
            request.infer({0: blob})
            return request.get_output_tensor(0).data.copy()
        if self.threads > 1 and hasattr(det, "session"):
            return det.session.run(None, {det.input_name: blob})[0]  # ONNX Runtime sessions are thread-safe
        with det._lock:
            return det._infer(blob)

    def _warm_up(self, blob: np.ndarray) -> None:
        """Run every batch size once for a new input shape, so that backends which compile per shape
        (OpenVINO) do it now, not in the middle of a batch that several cameras wait for."""
        with self._warm_lock:
            if blob.shape in self._warm:
                return
            # jobs of one shape are batched together: n rows (a frame's tiles), 2n, ... max_batch x n
            for size in range(1, self.max_batch + 1):
                self._infer(np.concatenate([blob] * size) if size > 1 else blob)
            self._warm.add(blob.shape)

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=5)

    def _take_batch(self, first: _Job) -> list[_Job]:
        jobs = [first]
        while len(jobs) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)  # keep the close marker for the loop
                break
            jobs.append(job)
        return jobs

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.put(None)  # wake the next engine thread too
                return
            jobs = self._take_batch(first)
            started = time.perf_counter()
            try:
                if self._split:
                    self._run_split(jobs)
                else:
                    results = self.detector.detect([job.image for job in jobs])
                    for job, result in zip(jobs, results, strict=True):
                        job.future.set_result(result)
            except Exception as exc:  # hand the failure to every waiting camera
                log.exception("inference failed")
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
            with self._stats_lock:
                self.busy_s += time.perf_counter() - started
                self.batches += 1
                self.frames += len(jobs)

    def _run_split(self, jobs: list[_Job]) -> None:
        # frames of different sizes letterbox to different shapes: one network call per shape
        by_shape: dict[tuple, list[_Job]] = {}
        for job in jobs:
            by_shape.setdefault(job.blob.shape, []).append(job)
        for group in by_shape.values():
            blob = group[0].blob if len(group) == 1 else np.concatenate([job.blob for job in group])
            output = self._infer(blob)
            rows = len(group[0].blob)  # 1 for a letterboxed frame, the tile count for a plan
            for i, job in enumerate(group):
                job.future.set_result(output[i * rows : (i + 1) * rows])


def detector_info(detector) -> dict[str, str]:
    """What the worker's detector runs on, for the metrics and the camera page: backend, precision and the
    CPU feature the backend picked (vision.detectors.cpu_feature)."""
    from vision.detectors import cpu_feature

    backend = getattr(detector, "backend", type(detector).__name__)
    precision = getattr(detector, "precision", "")
    cpu = cpu_feature()
    return {"backend": backend, "precision": precision, "cpu": cpu, "summary": f"{backend} {precision} ({cpu})"}


_engine: InferenceEngine | None = None
_engine_lock = threading.Lock()


def engine_threads_from_settings() -> int:
    from django.conf import settings

    if settings.CAMERA_INFERENCE_THREADS:
        return settings.CAMERA_INFERENCE_THREADS
    return 1 if str(settings.MODEL_DEVICE).startswith("cuda") else max(1, len(os.sched_getaffinity(0)))


def detector_config_from_settings(engine_threads: int = 1) -> DetectorConfig:
    """settings.DETECTOR (DetectorConfig.from_env of the process environment), with one thread per network
    call when several engine threads share the cores and DETECTOR_THREADS is not set."""
    from django.conf import settings

    config: DetectorConfig = settings.DETECTOR
    if not config.threads and engine_threads > 1:
        config = config.replace(threads=1)
    return config


def detector_from_settings(engine_threads: int = 1) -> Detector:
    return detector_create(detector_config_from_settings(engine_threads))


def shared_engine() -> InferenceEngine:
    """The process's engine, created (model loaded) on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from django.conf import settings

            started = time.perf_counter()
            engine_threads = engine_threads_from_settings()
            detector = detector_from_settings(engine_threads)
            # 2-core CPU host, INT8 (bench/bench_capacity.py --max-batch): pairs of frames cost ~7% less
            # per frame; larger batches gain nothing more. A GPU gains from larger ones.
            on_gpu = str(settings.MODEL_DEVICE).startswith("cuda")
            max_batch = settings.CAMERA_INFERENCE_MAX_BATCH or (8 if on_gpu else 2)
            _engine = InferenceEngine(detector, max_batch=max_batch, threads=engine_threads)
            log.info("loaded detector %s (%s) in %.1fs (%d engine threads, batch <= %d)", detector.name,
                     detector_info(detector)["summary"], time.perf_counter() - started, engine_threads, max_batch)
        return _engine
