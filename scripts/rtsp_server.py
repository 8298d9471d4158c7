#!/usr/bin/python3
"""A small RTSP server that serves video files in an endless loop, for tests, demos and benchmarks.

    /usr/bin/python3 scripts/rtsp_server.py --port 8554 --mount cam1=/path/a.mp4 [--mount cam2=/path/b.mp4]
    -> rtsp://127.0.0.1:8554/cam1

Runs with Debian's python3 (GStreamer through PyGObject: python3-gi, gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-{good,bad,ugly}, gstreamer1.0-libav), not the project venv.

Each file is demuxed once into H.264 access units held in memory (a file in another codec is transcoded
once with x264); every client then gets its own stream that replays them from the first keyframe with
timestamps shifted per loop, paced to real time. No per-client encoding, so a dozen cameras cost little.
Prints ``READY <url> ...`` on stdout when it accepts connections (``--port 0`` picks a free port).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstPbutils, GstRtspServer  # noqa: E402


def _video_codec(path: str) -> str | None:
    """Media type of the first video stream ("video/x-h264", ...), or None when it cannot be read."""
    try:
        info = GstPbutils.Discoverer.new(20 * Gst.SECOND).discover_uri(Gst.filename_to_uri(path))
    except GLib.Error:
        return None
    streams = info.get_video_streams()
    return streams[0].get_caps().get_structure(0).get_name() if streams else None


class Clip:
    """H.264 access units of one file (byte-stream, one AU per buffer), with caps and loop duration."""

    def __init__(self, path: str):
        self.path = path
        codec = _video_codec(path)
        # H.264 is passed through; anything else is transcoded once (parsebin on a non-H.264 stream can hang)
        self.caps, self.buffers = self._load(transcode=codec != "video/x-h264")
        if not self.buffers:
            raise RuntimeError(f"no video frames in {path}")
        last = self.buffers[-1]
        frame = last.duration if last.duration != Gst.CLOCK_TIME_NONE else Gst.SECOND // 25
        ends = [(b.pts if b.pts != Gst.CLOCK_TIME_NONE else 0) for b in self.buffers]
        self.loop_ns = max(ends) + frame - min(ends)
        # pristine timestamps: need_data must never read them back from buffers it has pushed
        self.times = [(b.pts, b.dts) for b in self.buffers]

    def _load(self, transcode: bool):
        if transcode:
            middle = (
                "decodebin ! videoconvert ! video/x-raw,format=I420 ! "
                "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=50 bframes=0 ! "
            )
        else:
            middle = "parsebin ! "
        location = self.path.replace("\\", "\\\\").replace('"', '\\"')
        desc = (
            f'filesrc location="{location}" ! {middle}h264parse config-interval=-1 ! '
            "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
        )
        try:
            pipe = Gst.parse_launch(desc)
        except GLib.Error:
            return None, []
        sink = pipe.get_by_name("sink")
        pipe.set_state(Gst.State.PLAYING)
        caps, buffers = None, []
        bus = pipe.get_bus()
        err = None
        idle = 0
        while idle < 20:  # 10 s without a sample, no EOS and no error: give up rather than hang
            sample = sink.emit("try-pull-sample", Gst.SECOND // 2)
            if sample is not None:
                idle = 0
                caps = caps or sample.get_caps()
                buffers.append(sample.get_buffer().copy_deep())
                continue
            idle += 1
            err = bus.pop_filtered(Gst.MessageType.ERROR)
            if err is not None or sink.get_property("eos"):
                break
        pipe.set_state(Gst.State.NULL)
        if err is not None and not buffers:
            print(f"load {self.path}: {err.parse_error()[0].message}", file=sys.stderr)
        # a clip must start on a keyframe so every client can decode from its first frame
        while buffers and buffers[0].has_flags(Gst.BufferFlags.DELTA_UNIT):
            buffers.pop(0)
        return caps, buffers


class LoopFactory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, clip: Clip):
        super().__init__()
        self.clip = clip
        self.set_shared(False)  # each client starts at the clip's first keyframe
        self.set_launch(
            "( appsrc name=src is-live=true format=time max-bytes=2000000 "
            "! identity sync=true ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
        )
        self.connect("media-configure", self._configure)

    def _configure(self, _factory, media):
        appsrc = media.get_element().get_child_by_name("src")
        appsrc.set_property("caps", self.clip.caps)
        state = {"i": 0}
        clip = self.clip
        pts0, dts0 = clip.times[0]
        base = dts0 if dts0 != Gst.CLOCK_TIME_NONE else pts0

        def need_data(src, _length):
            n = len(clip.buffers)
            for _ in range(5):
                i = state["i"]
                loop, k = divmod(i, n)
                buf = clip.buffers[k].copy()
                shift = loop * clip.loop_ns - (base or 0)
                pts, dts = clip.times[k]
                if pts != Gst.CLOCK_TIME_NONE:
                    buf.pts = pts + shift + Gst.SECOND // 10
                if dts != Gst.CLOCK_TIME_NONE:
                    buf.dts = dts + shift + Gst.SECOND // 10
                state["i"] = i + 1
                if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                    return

        appsrc.connect("need-data", need_data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    ap.add_argument("--mount", action="append", required=True, metavar="NAME=FILE",
                    help="serve FILE in a loop at rtsp://HOST:PORT/NAME (repeatable)")
    args = ap.parse_args(argv)

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    clips: dict[str, Clip] = {}
    names = []
    for spec in args.mount:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            ap.error(f"--mount must be NAME=FILE, got {spec!r}")
        try:
            clip = clips.get(path) or Clip(path)
        except Exception as exc:
            print(f"error: cannot load {path}: {exc}", file=sys.stderr)
            return 2
        clips[path] = clip
        mounts.add_factory("/" + name.strip("/"), LoopFactory(clip))
        names.append(name.strip("/"))

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"error: cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 2
    port = server.get_bound_port()
    urls = " ".join(f"rtsp://{args.host}:{port}/{n}" for n in names)
    print(f"READY {urls}", flush=True)

    def stop(*_):
        loop.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # let Python signal handlers run while GLib's loop blocks
    GLib.timeout_add(200, lambda: True)
    threading.current_thread().name = "rtsp-server"
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
