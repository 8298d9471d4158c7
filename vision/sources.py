"""Frame sources: video files, RTSP streams and synthetic frames.

Every source yields :class:`FramePacket` objects sampled at ``sample_fps`` (stream time ``t`` in seconds,
starting at 0). Detection does not run on every sampled frame: :class:`DetectionCadence` says which
sampled frames go to the detector (FRAME_RATE / DETECTION_INTERVAL in the deployment guide).

RTSP is read by a background thread that keeps only the newest frame, so a slow consumer never builds up
lag; the thread reconnects with exponential backoff and jitter, and a watchdog replaces a reader that has
delivered nothing for ``watchdog_s`` seconds (a hung FFmpeg read cannot be interrupted, so the stale
reader is abandoned and a fresh one started). Pure Python + OpenCV: no Django here.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from .urls import ffmpeg_capture_options, ffmpeg_file_options, mask_url

log = logging.getLogger(__name__)

DEFAULT_FRAME_RATE = 12.0
DEFAULT_DETECTION_INTERVAL = 3


class SourceError(Exception):
    """A source cannot be opened or read. The message never contains credentials."""


# ---------------------------------------------------------------------------------------------- helpers

# OpenCV reads OPENCV_FFMPEG_CAPTURE_OPTIONS ("key;value|key;value") each time a capture is opened. Every open
# here sets it under _FFMPEG_ENV: network streams get a protocol whitelist (never file:, concat:, subfile:, pipe:),
# local files only `file`. Opens with the same options run concurrently; the variable is restored afterwards.
_FFMPEG_ENV_VAR = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_FFMPEG_ENV = threading.Condition()
_ffmpeg_env_state: dict = {"options": None, "active": 0, "saved": None}


@contextmanager
def _ffmpeg_options(make_options: Callable[[str | None], str]):
    """Hold OPENCV_FFMPEG_CAPTURE_OPTIONS at ``make_options(operator's value)`` while a capture opens."""
    state = _ffmpeg_env_state
    with _FFMPEG_ENV:
        base = state["saved"] if state["active"] else os.environ.get(_FFMPEG_ENV_VAR)
        options = make_options(base)
        while state["active"] and state["options"] != options:
            _FFMPEG_ENV.wait()
        if not state["active"]:
            state["saved"] = os.environ.get(_FFMPEG_ENV_VAR)
            state["options"] = options
            os.environ[_FFMPEG_ENV_VAR] = options
        state["active"] += 1
    try:
        yield
    finally:
        with _FFMPEG_ENV:
            state["active"] -= 1
            if not state["active"]:
                if state["saved"] is None:
                    os.environ.pop(_FFMPEG_ENV_VAR, None)
                else:
                    os.environ[_FFMPEG_ENV_VAR] = state["saved"]
                state["options"] = None
                _FFMPEG_ENV.notify_all()


def open_network_capture(url: str, open_timeout_s: float = 10.0, read_timeout_s: float = 10.0,
                         decode_threads: int | None = None, diagnose: bool = True):
    """The one place a network stream is opened: an opened ``cv2.VideoCapture`` or :class:`SourceError`.

    FFmpeg gets a protocol whitelist (vision.urls), so neither the URL nor anything the server sends back
    (a playlist, a redirect) can make it read a local file. ``diagnose`` adds why the host is unreachable to the
    message (operators); pass False where the message reaches someone who must not learn it (a port scanner)."""
    import cv2

    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_s * 1000),
    ]
    if decode_threads:
        params += [cv2.CAP_PROP_N_THREADS, int(decode_threads)]
    with _ffmpeg_options(lambda base: ffmpeg_capture_options(url, base)):
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        if not diagnose:
            raise SourceError(f"cannot open stream {mask_url(url)}")
        reason = probe_stream_host(url, timeout=min(3.0, open_timeout_s))
        reason = reason or "server reachable but the stream did not open (wrong path, credentials or codec?)"
        raise SourceError(f"cannot open stream {mask_url(url)}: {reason}")
    return cap


def probe_stream_host(url: str, timeout: float = 3.0) -> str | None:
    """Why a stream's host cannot be reached ("connection refused", "timed out", ...), or None if it can.

    OpenCV only says "cannot open"; this names the cause for the error message."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "malformed URL"
    if not host:
        return "no host in URL"
    port = port or {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "rtmp": 1935}.get(parts.scheme, 554)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror:
        return f"unknown host {host}"
    except TimeoutError:
        return f"connection to {host}:{port} timed out"
    except ConnectionRefusedError:
        return f"connection refused by {host}:{port}"
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


def is_stream_uri(uri: str) -> bool:
    return str(uri).lower().startswith(("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://"))


@dataclass(frozen=True)
class DetectionCadence:
    """Sample frames at ``frame_rate``; run detection on every ``detection_interval``-th sampled frame.

    Frame 0 is always detected, so detection indices are 0, N, 2N, ...; ``detection_fps`` is
    ``frame_rate / detection_interval`` (12 / 3 = 4 detections per second by default)."""

    frame_rate: float = DEFAULT_FRAME_RATE
    detection_interval: int = DEFAULT_DETECTION_INTERVAL

    def __post_init__(self) -> None:
        if not self.frame_rate or self.frame_rate <= 0:
            raise ValueError(f"frame_rate must be > 0, got {self.frame_rate!r}")
        if int(self.detection_interval) != self.detection_interval or self.detection_interval < 1:
            raise ValueError(f"detection_interval must be an integer >= 1, got {self.detection_interval!r}")

    @property
    def detection_fps(self) -> float:
        return self.frame_rate / self.detection_interval

    def should_detect(self, frame_index: int) -> bool:
        return frame_index % self.detection_interval == 0

    def detection_index(self, frame_index: int) -> int | None:
        """0-based index among detected frames, or None when this frame is not detected."""
        return frame_index // self.detection_interval if self.should_detect(frame_index) else None

    @classmethod
    def from_env(cls, environ: dict | None = None) -> DetectionCadence:
        """FRAME_RATE and DETECTION_INTERVAL as in the deployment guide (defaults 12 and 3)."""
        env = os.environ if environ is None else environ
        try:
            rate = float(env.get("FRAME_RATE") or DEFAULT_FRAME_RATE)
        except ValueError as exc:
            raise ValueError(f"FRAME_RATE must be a number, got {env.get('FRAME_RATE')!r}") from exc
        try:
            interval = int(env.get("DETECTION_INTERVAL") or DEFAULT_DETECTION_INTERVAL)
        except ValueError as exc:
            raise ValueError(
                f"DETECTION_INTERVAL must be an integer, got {env.get('DETECTION_INTERVAL')!r}"
            ) from exc
        return cls(rate, interval)

    def fitted_to(self, stream_fps: float) -> DetectionCadence:
        """This cadence, or one that keeps ``detection_fps`` on a stream that sends fewer frames than
        ``frame_rate`` (a 5 fps substream under the default 12 / 3 would be detected 1.7 times a second):
        every sampled frame is then a stream frame, and every Nth is detected with N = stream fps ÷
        detection fps, rounded, at least 1."""
        if not stream_fps or stream_fps <= 0 or stream_fps >= 0.9 * self.frame_rate:
            return self
        return DetectionCadence(float(stream_fps), max(1, round(stream_fps / self.detection_fps)))

    @classmethod
    def for_detection_fps(cls, detection_fps: float, detection_interval: int) -> DetectionCadence:
        """The cadence whose detections run at ``detection_fps`` (e.g. a camera config's ``fps``)."""
        return cls(float(detection_fps) * detection_interval, detection_interval)


@dataclass
class FramePacket:
    index: int  # 0-based index among sampled frames
    t: float  # seconds of stream time since the source started
    image: np.ndarray  # BGR, HxWx3 uint8
    wall_time: datetime  # UTC time the frame was captured (file: start_time + t)


@dataclass
class SourceStats:
    """Counters for metrics. ``frames_read`` counts frames decoded from the stream, ``frames_dropped`` sampled
    frames overwritten before the consumer took them (the consumer is slower than ``sample_fps``)."""

    status: str = "idle"  # idle | connecting | connected | reconnecting | ended | failed | closed
    frames_read: int = 0
    frames_sampled: int = 0
    frames_delivered: int = 0
    frames_dropped: int = 0
    reconnects: int = 0
    last_error: str | None = None
    last_frame_monotonic: float | None = None
    connected_since: datetime | None = None
    frame_size: tuple[int, int] | None = None

    @property
    def last_frame_age(self) -> float | None:
        """Seconds since the last frame was read from the stream (None before the first frame)."""
        if self.last_frame_monotonic is None:
            return None
        return max(0.0, time.monotonic() - self.last_frame_monotonic)

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "frames_read": self.frames_read,
            "frames_sampled": self.frames_sampled,
            "frames_delivered": self.frames_delivered,
            "frames_dropped": self.frames_dropped,
            "reconnects": self.reconnects,
            "last_error": self.last_error,
            "last_frame_age": self.last_frame_age,
            "connected_since": self.connected_since.isoformat() if self.connected_since else None,
            "frame_size": list(self.frame_size) if self.frame_size else None,
        }


class FrameSource:
    """Base class: iterate to get :class:`FramePacket` objects; use as a context manager."""

    uri: str = ""
    sample_fps: float | None = None

    def __iter__(self) -> Iterator[FramePacket]:
        raise NotImplementedError

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) once known."""
        return None

    @property
    def is_live(self) -> bool:
        return False

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Sampler:
    """Picks frames on a ``1/sample_fps`` grid of stream time (all frames when sample_fps is None)."""

    def __init__(self, sample_fps: float | None):
        if sample_fps is not None and sample_fps <= 0:
            raise ValueError(f"sample_fps must be > 0, got {sample_fps!r}")
        self.period = 1.0 / sample_fps if sample_fps else 0.0
        self.next_t = 0.0

    def take(self, t: float) -> bool:
        if not self.period:
            return True
        # half a source-frame of tolerance is implicit: take the first frame at or past the grid point
        if t + 1e-6 >= self.next_t:
            # skip grid points we can no longer meet (native fps below sample fps, or a stall)
            steps = int((t + 1e-6 - self.next_t) / self.period) + 1
            self.next_t += steps * self.period
            return True
        return False


# ------------------------------------------------------------------------------------------ video files


class VideoFileSource(FrameSource):
    """Decode a video file, sampling at ``sample_fps`` (native rate when None).

    ``t`` is the source frame's presentation time (index / native fps). A file that cannot be opened or
    decodes no frame raises :class:`SourceError`; a file that ends early (truncated) stops, and
    ``truncated`` is set when fewer frames decoded than the container announced."""

    def __init__(
        self,
        path: str | os.PathLike,
        sample_fps: float | None = None,
        start_time: datetime | None = None,
        max_frames: int | None = None,
    ):
        import cv2

        self.uri = str(path)
        self.path = Path(path)
        self.sample_fps = sample_fps
        self.max_frames = max_frames
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        with _ffmpeg_options(ffmpeg_file_options):  # a local file: FFmpeg may open nothing else
            self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"cannot open video file (corrupt or unsupported format): {self.path}")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.native_fps = float(fps) if fps and fps > 0 and fps < 1000 else 25.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        self._size = (w, h) if w and h else None
        self.start_time = start_time or datetime.now(UTC)
        self.decoded = 0
        self.truncated = False
        self._stats = SourceStats(status="connected", frame_size=self._size)
        self._iterated = False

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return self._size

    @property
    def expected_samples(self) -> int | None:
        """Number of sampled frames the container announces (for progress bars)."""
        if not self.frame_count:
            return None
        # Sampling can only drop frames, never add them: a rate above the native one yields every frame.
        n = self.frame_count if not self.sample_fps or self.sample_fps >= self.native_fps else int(
            self.frame_count / self.native_fps * self.sample_fps + 0.999
        )
        return min(n, self.max_frames) if self.max_frames else n

    def stats(self) -> dict:
        return self._stats.as_dict()

    def __iter__(self) -> Iterator[FramePacket]:
        if self._iterated:
            raise SourceError("a VideoFileSource can be iterated only once")
        self._iterated = True
        sampler = _Sampler(self.sample_fps)
        index = 0
        ended = False
        try:
            while True:
                ok, image = self._cap.read()
                if not ok or image is None:
                    ended = True
                    break
                t = self.decoded / self.native_fps
                self.decoded += 1
                self._stats.frames_read += 1
                self._stats.last_frame_monotonic = time.monotonic()
                if self._size is None:
                    self._size = (image.shape[1], image.shape[0])
                    self._stats.frame_size = self._size
                if not sampler.take(t):
                    continue
                self._stats.frames_sampled += 1
                self._stats.frames_delivered += 1
                yield FramePacket(index, t, image, self.start_time + timedelta(seconds=t))
                index += 1
                if self.max_frames and index >= self.max_frames:
                    return
        finally:
            self._stats.status = "ended"
            if ended:  # not when the consumer stopped early
                self._check_end()

    def _check_end(self) -> None:
        if self.decoded == 0:
            self._stats.status = "failed"
            self._stats.last_error = "no frame could be decoded"
            raise SourceError(f"no frame could be decoded from {self.path} (corrupt or truncated video)")
        # containers announce a count; a truncated file decodes clearly fewer frames
        if self.frame_count and self.decoded < self.frame_count * 0.9 - 1:
            self.truncated = True
            self._stats.last_error = f"decoded {self.decoded} of {self.frame_count} frames"
            log.warning("%s looks truncated: decoded %d of %d frames", self.path, self.decoded, self.frame_count)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        if self._stats.status not in ("ended", "failed"):
            self._stats.status = "closed"


# ----------------------------------------------------------------------------------------------- RTSP


@dataclass
class _Slot:
    """The newest sampled frame, handed from the reader thread to the consumer."""

    packet: tuple[float, np.ndarray, datetime] | None = None
    cond: threading.Condition = field(default_factory=threading.Condition)


class RtspSource(FrameSource):
    """Live stream through OpenCV's FFmpeg backend over TCP, newest frame only, self-healing.

    ``start(require_connection=True)`` opens the stream in the caller and raises :class:`SourceError` when it
    cannot (analyze_video: fail fast); ``start()`` returns at once and the reader keeps retrying (camera
    workers: keep going through faults). ``read(timeout)`` returns the next sampled frame or None; iteration
    yields frames until :meth:`close`, or until ``max_reconnect_attempts`` consecutive failed connects (then
    it raises :class:`SourceError`). ``t`` is seconds since :meth:`start` on the monotonic clock."""

    def __init__(
        self,
        url: str,
        sample_fps: float | None = DEFAULT_FRAME_RATE,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        watchdog_s: float = 20.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        max_reconnect_attempts: int | None = None,
        capture_factory: Callable[[], object] | None = None,
        decode_threads: int | None = None,
    ):
        self.uri = url
        # FFmpeg decodes with one thread per core by default; with many cameras per host, 1 each avoids
        # oversubscribing the cores
        self.decode_threads = decode_threads
        self.url = url
        self.sample_fps = sample_fps
        self.open_timeout_s = float(open_timeout_s)
        self.read_timeout_s = float(read_timeout_s)
        self.watchdog_s = float(watchdog_s)
        self.backoff_initial_s = float(backoff_initial_s)
        self.backoff_max_s = float(backoff_max_s)
        self.max_reconnect_attempts = max_reconnect_attempts
        self._capture_factory = capture_factory or self._open_capture
        self._stats = SourceStats()
        self._lock = threading.Lock()
        self._slot = _Slot()
        self._stop = threading.Event()
        self._generation = 0  # bumped to abandon a hung reader
        self._threads: list[threading.Thread] = []
        self._t0: float | None = None
        self._wall0: datetime | None = None
        self._next_index = 0
        self._failed: str | None = None
        self._pending_cap = None
        self._progress: float | None = None  # monotonic time of the last frame or (re)connect

    # -- public -------------------------------------------------------------------------------------

    @property
    def safe_url(self) -> str:
        return mask_url(self.url)

    @property
    def is_live(self) -> bool:
        return True

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return self._stats.frame_size

    def stats(self) -> dict:
        with self._lock:
            return self._stats.as_dict()

    def start(self, require_connection: bool = False) -> RtspSource:
        if self._threads:
            return self
        self._t0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        if require_connection:
            self._set_status("connecting")
            try:
                cap = self._capture_factory()
            except SourceError as exc:
                self._set_status("failed", str(exc))
                raise
            self._pending_cap = cap
        self._spawn_reader()
        monitor = threading.Thread(target=self._watchdog_loop, name="rtsp-watchdog", daemon=True)
        monitor.start()
        self._threads.append(monitor)
        return self

    def read(self, timeout: float | None = None) -> FramePacket | None:
        """The newest sampled frame not yet returned, waiting up to ``timeout`` seconds (None: forever)."""
        if not self._threads:
            self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._slot.cond:
            while self._slot.packet is None:
                if self._failed:
                    raise SourceError(self._failed)
                if self._stop.is_set():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._slot.cond.wait(0.5 if remaining is None else min(remaining, 0.5))
            t, image, wall = self._slot.packet
            self._slot.packet = None
        with self._lock:
            self._stats.frames_delivered += 1
        packet = FramePacket(self._next_index, t, image, wall)
        self._next_index += 1
        return packet

    def __iter__(self) -> Iterator[FramePacket]:
        self.start()
        while not self._stop.is_set():
            packet = self.read(timeout=1.0)
            if packet is not None:
                yield packet

    def close(self) -> None:
        self._stop.set()
        with self._slot.cond:
            self._slot.cond.notify_all()
        for th in self._threads:
            if th is not threading.current_thread():
                # a reader blocked inside FFmpeg returns after read_timeout; don't wait for it forever
                th.join(timeout=1.0)
        self._threads.clear()
        with self._lock:
            if self._stats.status != "failed":
                self._stats.status = "closed"

    # -- internals ----------------------------------------------------------------------------------

    def _set_status(self, status: str, error: str | None = None) -> None:
        with self._lock:
            self._stats.status = status
            if error is not None:
                self._stats.last_error = mask_url(error)

    def _open_capture(self):
        return open_network_capture(self.url, self.open_timeout_s, self.read_timeout_s, self.decode_threads)

    def _spawn_reader(self) -> None:
        self._generation += 1
        th = threading.Thread(target=self._reader_loop, args=(self._generation,), name="rtsp-reader", daemon=True)
        th.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [th]

    def _backoff(self, attempt: int) -> float:
        # full exponential with "equal jitter": half fixed, half random, so many cameras don't retry in step
        base = min(self.backoff_max_s, self.backoff_initial_s * (2 ** max(0, attempt - 1)))
        return base / 2 + random.uniform(0, base / 2)

    def _sleep(self, seconds: float, generation: int) -> bool:
        """Sleep unless stopped or superseded; False when the reader must exit."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self._stop.is_set() or generation != self._generation:
                return False
            time.sleep(min(0.1, end - time.monotonic()) if end > time.monotonic() else 0)
        return not self._stop.is_set() and generation == self._generation

    def _reader_loop(self, generation: int) -> None:
        sampler = _Sampler(self.sample_fps)
        attempt = 0
        cap = self._pending_cap
        self._pending_cap = None
        first = True
        while not self._stop.is_set() and generation == self._generation:
            if cap is None:
                if not first or self._stats.frames_read:
                    self._set_status("reconnecting")
                else:
                    self._set_status("connecting")
                try:
                    cap = self._capture_factory()
                except SourceError as exc:
                    attempt += 1
                    self._set_status("reconnecting" if (self._stats.frames_read or attempt > 1) else "connecting",
                                     str(exc))
                    if self.max_reconnect_attempts is not None and attempt > self.max_reconnect_attempts:
                        self._fail(f"{exc}; gave up after {attempt} attempts")
                        return
                    delay = self._backoff(attempt)
                    log.warning("stream %s: %s; retrying in %.1fs", self.safe_url, exc, delay)
                    if not self._sleep(delay, generation):
                        return
                    continue
            first = False
            with self._lock:
                self._stats.status = "connected"
                self._stats.connected_since = datetime.now(UTC)
                # the watchdog measures from the (re)connect, not from the last frame of the old session
                self._progress = time.monotonic()
            lost_reason = self._read_frames(cap, sampler, generation)
            try:
                cap.release()
            except Exception:
                pass
            cap = None
            if self._stop.is_set() or generation != self._generation:
                return
            with self._lock:
                self._stats.reconnects += 1
                self._stats.status = "reconnecting"
                self._stats.last_error = lost_reason
            attempt = 1
            delay = self._backoff(attempt)
            log.warning("stream %s: %s; reconnecting in %.1fs", self.safe_url, lost_reason, delay)
            if not self._sleep(delay, generation):
                return
            attempt = 0

    def _read_frames(self, cap, sampler: _Sampler, generation: int) -> str:
        """Read until the stream fails; returns the reason."""
        failures = 0
        while not self._stop.is_set() and generation == self._generation:
            ok = cap.grab()
            if not ok:
                failures += 1
                # one failed grab can be a hiccup; a few in a row means the stream is gone
                if failures >= 3:
                    return "stream ended or read timed out"
                continue
            failures = 0
            now = time.monotonic()
            t = now - (self._t0 or now)
            with self._lock:
                self._stats.frames_read += 1
                self._stats.last_frame_monotonic = now
                self._progress = now
            if not sampler.take(t):
                continue  # grab without decode-to-BGR for frames we won't use
            ok, image = cap.retrieve()
            if not ok or image is None:
                continue
            wall = (self._wall0 or datetime.now(UTC)) + timedelta(seconds=t)
            with self._slot.cond:
                dropped = self._slot.packet is not None
                self._slot.packet = (t, image, wall)
                self._slot.cond.notify_all()
            with self._lock:
                self._stats.frames_sampled += 1
                if dropped:
                    self._stats.frames_dropped += 1
                if self._stats.frame_size is None:
                    self._stats.frame_size = (image.shape[1], image.shape[0])
        return "closed"

    def _fail(self, message: str) -> None:
        self._failed = mask_url(message)
        self._set_status("failed", message)
        with self._slot.cond:
            self._slot.cond.notify_all()

    def _watchdog_loop(self) -> None:
        while not self._stop.wait(min(1.0, self.watchdog_s / 4)):
            with self._lock:
                status = self._stats.status
                last = self._progress
            if status != "connected" or last is None:
                continue
            idle = time.monotonic() - last
            if idle > self.watchdog_s:
                log.warning("stream %s: no frame for %.0fs; restarting the reader", self.safe_url, idle)
                with self._lock:
                    self._stats.reconnects += 1
                    self._stats.status = "reconnecting"
                    self._stats.last_error = f"no frame for {idle:.0f}s (watchdog)"
                    self._progress = None
                self._spawn_reader()  # the hung reader sees a new generation and exits when its read returns


# ------------------------------------------------------------------------------------------ synthetic


class SyntheticSource(FrameSource):
    """Frames from a callable ``render(index, t) -> BGR image`` (or blank frames), for tests."""

    def __init__(
        self,
        n_frames: int,
        sample_fps: float = DEFAULT_FRAME_RATE,
        frame_size: tuple[int, int] = (1280, 720),
        render: Callable[[int, float], np.ndarray] | None = None,
        start_time: datetime | None = None,
    ):
        self.uri = "synthetic://"
        self.n_frames = int(n_frames)
        self.sample_fps = float(sample_fps)
        self._size = tuple(frame_size)
        self.render = render
        self.start_time = start_time or datetime.now(UTC)
        self._stats = SourceStats(status="connected", frame_size=self._size)

    @property
    def frame_size(self) -> tuple[int, int]:
        return self._size

    @property
    def expected_samples(self) -> int:
        return self.n_frames

    def stats(self) -> dict:
        return self._stats.as_dict()

    def __iter__(self) -> Iterator[FramePacket]:
        w, h = self._size
        for i in range(self.n_frames):
            t = i / self.sample_fps
            image = self.render(i, t) if self.render else np.zeros((h, w, 3), np.uint8)
            self._stats.frames_read += 1
            self._stats.frames_delivered += 1
            self._stats.last_frame_monotonic = time.monotonic()
            yield FramePacket(i, t, image, self.start_time + timedelta(seconds=t))
        self._stats.status = "ended"


# ---------------------------------------------------------------------------------------------- factory


def open_source(
    uri: str | os.PathLike,
    sample_fps: float | None = DEFAULT_FRAME_RATE,
    *,
    start_time: datetime | None = None,
    open_timeout_s: float = 10.0,
    read_timeout_s: float = 10.0,
    watchdog_s: float = 20.0,
    max_reconnect_attempts: int | None = None,
    require_connection: bool = False,
    max_frames: int | None = None,
    decode_threads: int | None = None,
) -> FrameSource:
    """A started source for a file path or a stream URL (rtsp://, http://, ...).

    Streams are started; with ``require_connection`` the first connect happens here and a failure raises
    :class:`SourceError` (message with credentials masked)."""
    text = str(uri)
    if is_stream_uri(text):
        src = RtspSource(
            text,
            sample_fps=sample_fps,
            open_timeout_s=open_timeout_s,
            read_timeout_s=read_timeout_s,
            watchdog_s=watchdog_s,
            max_reconnect_attempts=max_reconnect_attempts,
            decode_threads=decode_threads,
        )
        return src.start(require_connection=require_connection)
    if text.startswith("file://"):
        text = text[len("file://"):]
    return VideoFileSource(text, sample_fps=sample_fps, start_time=start_time, max_frames=max_frames)
