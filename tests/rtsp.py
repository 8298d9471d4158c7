"""Start and stop the looping RTSP test server (scripts/rtsp_server.py) from tests and benchmarks.

    with RtspServer({"cam1": CONCOURSE, "cam2": CONCOURSE}) as server:
        url = server.url("cam1")          # rtsp://127.0.0.1:PORT/cam1
        server.stop(); server.start()     # same port again: clients reconnect

The server runs under Debian's /usr/bin/python3 (PyGObject + gst-rtsp-server), not the venv.
``rtsp_unavailable_reason()`` says why it cannot run here (for pytest skips), or None.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = REPO / "scripts" / "rtsp_server.py"
SYSTEM_PYTHON = os.environ.get("RTSP_SERVER_PYTHON", "/usr/bin/python3")
CONCOURSE = Path(os.environ.get("WINK_MEDIA_DIR", REPO.parent / "shared" / "media")) / "concourse.mp4"

_probe_result: str | bool | None = False


def rtsp_unavailable_reason() -> str | None:
    """None when the RTSP server can run here, else a short reason (GStreamer packages missing...)."""
    global _probe_result
    if _probe_result is not False:
        return _probe_result
    reason = None
    if not Path(SYSTEM_PYTHON).exists() and not shutil.which(SYSTEM_PYTHON):
        reason = f"{SYSTEM_PYTHON} not found (Debian python3 with python3-gi runs the RTSP test server)"
    else:
        probe = (
            "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
            "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
            "missing = [e for e in ('parsebin', 'h264parse', 'rtph264pay', 'x264enc', 'appsrc') "
            "if Gst.ElementFactory.find(e) is None]; print(' '.join(missing))"
        )
        try:
            out = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = f"cannot run {SYSTEM_PYTHON}: {exc}"
        else:
            if out.returncode != 0:
                reason = (
                    "GStreamer RTSP server not installed (apt: python3-gi gir1.2-gst-rtsp-server-1.0 "
                    "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)"
                )
            elif out.stdout.strip():
                reason = f"GStreamer elements missing: {out.stdout.strip()}"
    _probe_result = reason
    return reason


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port_closed(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)


class RtspServer:
    """One server process serving ``mounts`` ({name: file}) at rtsp://127.0.0.1:port/name, looping."""

    def __init__(self, mounts: dict[str, str | os.PathLike], port: int | None = None, ready_timeout: float = 60):
        if not mounts:
            raise ValueError("at least one mount")
        for path in mounts.values():
            if not Path(path).is_file():
                raise FileNotFoundError(f"RTSP test server: no such file {path}")
        self.mounts = {name.strip("/"): str(path) for name, path in mounts.items()}
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self._stderr: list[str] = []

    def url(self, name: str | None = None) -> str:
        name = name or next(iter(self.mounts))
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> RtspServer:
        if self.running:
            return self
        cmd = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port)]
        for name, path in self.mounts.items():
            cmd += ["--mount", f"{name}={path}"]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self._stderr = []
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        line_box: list[str] = []
        reader = threading.Thread(target=lambda: line_box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.ready_timeout)
        line = line_box[0] if line_box else ""
        if not line.startswith("READY"):
            self.stop()
            err = "".join(self._stderr).strip().splitlines()[-3:]
            raise RuntimeError(f"RTSP test server did not start on port {self.port}: {' | '.join(err) or line!r}")
        return self

    def _drain_stderr(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            if len(self._stderr) < 200:
                self._stderr.append(line)

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        wait_port_closed(self.port)

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
