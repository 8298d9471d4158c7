"""Camera workers with real parts: PostgreSQL (the test database), a private redis-server, real
`celery -A wink worker -Q cameras` and `celery -A wink beat` processes, and an RTSP server looping the synthetic
store entrance (vision/synthetic.py, the `synthetic_clip` fixture): real person pixels that the real detector
finds, crossing the door line every 5 s or less, the same on every checkout. Slow: run with
`pytest workers/tests -m slow`."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cameras.models import Camera
from events.live import live_state_read
from events.models import EntranceEvent, QueueEvent, ShelfEvent, ZoneEvent
from tests.factories import CameraFactory, EntranceLineFactory, StoreFactory, ZoneFactory
from tests.rtsp import RtspServer, rtsp_unavailable_reason
from workers import leases, metrics
from workers.runner import CameraRunner, ExitReason
from workers.tests.cluster import CeleryProcess, RedisServer, wait_for, worker_env
from zones.services import zone_create

pytestmark = [pytest.mark.slow]

EVENT_MODELS = (EntranceEvent, ZoneEvent, ShelfEvent, QueueEvent)


@pytest.fixture
def footage(synthetic_clip):
    """What the cameras see. The synthetic clip, not ../shared/media/concourse.mp4, even where that is present: no
    assertion here depends on the crowd, and the clip's ground truth guarantees events within seconds."""
    return synthetic_clip


@pytest.fixture
def rtsp_ok():
    reason = rtsp_unavailable_reason()
    if reason:
        pytest.skip(f"RTSP test server unavailable: {reason}")


def make_camera(store, slug: str, url: str) -> Camera:
    """A camera whose geometry makes the footage produce events quickly: a zone on the left half and
    a door line down the middle, where the synthetic walkers cross (screenshot = frame size)."""
    camera = CameraFactory(store=store, camera_id=slug, rtsp_url=url, frame_rate=2, detection_interval=1,
                           min_dwell_seconds=0.5)
    ZoneFactory(camera=camera, zone_id="left", polygon=[[0, 0], [640, 0], [640, 720], [0, 720]],
                screenshot_width=1280, screenshot_height=720)
    EntranceLineFactory(camera=camera, start_x=640, start_y=0, end_x=640, end_y=720, inside_x=960, inside_y=360,
                        screenshot_width=1280, screenshot_height=720)
    Camera.objects.filter(pk=camera.pk).update(config_version=1)
    return camera


def event_count(camera_key: str, since: float | None = None) -> int:
    total = 0
    for model in EVENT_MODELS:
        rows = model.objects.filter(camera_key=camera_key)
        if since is not None:
            from datetime import UTC, datetime

            rows = rows.filter(received_at__gt=datetime.fromtimestamp(since, UTC))
        total += rows.count()
    return total


def holders(client, cameras) -> dict[str, str | None]:
    try:
        return {c.camera_id: leases.lease_holder(c.pk, client) for c in cameras}
    except redis.RedisError:
        return {}


def owner_pid(token: str | None) -> int | None:
    return int(token.split(":")[1]) if token else None


class Stack:
    """Private Redis + beat + workers for one test; everything stopped at teardown."""

    def __init__(self, tmp_path, **env):
        self.tmp = tmp_path
        self.redis = RedisServer().start()
        self.client = redis.Redis.from_url(self.redis.url, decode_responses=True, socket_timeout=5)
        self.env = worker_env(connection.settings_dict["NAME"], self.redis.url, DETECTOR_BACKEND="openvino",
                              DETECTOR_PRECISION="auto", **env)
        self.procs: list[CeleryProcess] = []
        call_command("sync_beat_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
        self.beat = self._start(["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule")], "beat")
        # the supervisor runs on the default queue: camera workers' slots are all taken by cameras
        self._start(["worker", "-Q", "default", "--pool", "solo", "-n", "default@%h", "-l", "info",
                     "--without-gossip", "--without-mingle"], "default")

    def _start(self, args, name) -> CeleryProcess:
        proc = CeleryProcess(args, self.env, self.tmp / f"{name}.log").start()
        self.procs.append(proc)
        return proc

    def worker(self, name: str, concurrency: int) -> CeleryProcess:
        return self._start(["worker", "-Q", "cameras", "--pool", "threads", "--concurrency", str(concurrency),
                            "-n", f"{name}@%h", "-l", "info", "--without-gossip", "--without-mingle"], name)

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.redis.close()

    def logs(self) -> str:
        return "\n".join(f"--- {p.log_path.name}\n{p.log()[-3000:]}" for p in self.procs)


@pytest.fixture
def stack_factory(transactional_db, tmp_path, rtsp_ok):
    stacks: list[Stack] = []

    def make(**env) -> Stack:
        stack = Stack(tmp_path, **env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


def test_two_workers_share_four_cameras_and_take_over_after_kill9(stack_factory, footage):
    names = [f"cam{i}" for i in range(4)]
    with RtspServer(dict.fromkeys(names, footage)) as server:
        store = StoreFactory()
        cameras = [make_camera(store, name, server.url(name)) for name in names]
        stack = stack_factory()
        started = timezone.now()
        try:
            # A has room for two cameras; B, started once A is full, gets the other two.
            wa = stack.worker("wa", concurrency=2)
            wait_for(lambda: Counter(owner_pid(t) for t in holders(stack.client, cameras).values())[wa.pid] == 2,
                     90, message="worker A to run two cameras")
            wb = stack.worker("wb", concurrency=4)
            wait_for(lambda: all(holders(stack.client, cameras).values()), 60, message="all four cameras leased")
            by_pid = Counter(owner_pid(t) for t in holders(stack.client, cameras).values())
            assert by_pid == {wa.pid: 2, wb.pid: 2}

            # events appear for every camera, through the workers, in PostgreSQL
            wait_for(lambda: all(event_count(c.camera_id) > 0 for c in cameras), 90, message="events from each camera")
            for camera in cameras:
                camera.refresh_from_db()
                assert camera.status == Camera.Status.ONLINE and started < camera.last_heartbeat <= timezone.now()

            moved = [c for c in cameras if owner_pid(leases.lease_holder(c.pk, stack.client)) == wa.pid]
            wa.kill9()
            killed_at = time.time()
            # A's cameras run again on B within 30 s (lease TTL 15 s + supervisor tick 5 s + start)
            wait_for(lambda: all(owner_pid(t) == wb.pid for t in holders(stack.client, cameras).values()), 30,
                     message="B to hold all four cameras after A was killed")
            # ... and B analyses their frames (metrics written by B's runners)
            def b_analyses_moved():
                rows = {r["camera"]: r for r in metrics.camera_metrics_read_all(stack.client)}
                return all(rows.get(c.camera_id, {}).get("worker", "").endswith(f":{wb.pid}")
                           and int(rows[c.camera_id].get("frames_processed_total") or 0) > 0 for c in moved)

            wait_for(b_analyses_moved, 60, message="B analysing the frames of the cameras it took over")
        except AssertionError:
            print(stack.logs())
            raise

    # never two runners at once: each camera's journal alternates start/stop, except the sessions of
    # the killed worker, which end at the kill; B's sessions on moved cameras start after it.
    for camera in cameras:
        journal = leases.lease_journal(camera.pk, stack.client)
        open_session = None
        for entry in journal:
            if entry["event"] == "start":
                if open_session is not None:
                    assert owner_pid(open_session["token"]) == wa.pid, f"{camera.camera_id}: overlapping runners"
                    assert entry["t"] > killed_at, f"{camera.camera_id}: started before the old runner died"
                open_session = entry
            else:
                assert open_session is not None and entry["token"] == open_session["token"]
                open_session = None
    # no duplicated events: ids are unique, and no visit is stored twice under another id
    for model, key in ((ZoneEvent, "enter_ts"), (EntranceEvent, "ts")):
        rows = list(model.objects.values_list("camera_key", "person_key", key, "event_id"))
        assert len({r[3] for r in rows}) == len(rows)
        assert len({r[:3] for r in rows}) == len(rows)


def test_rtsp_outage_goes_offline_backs_off_and_comes_back_online(stack_factory, footage):
    with RtspServer({"door": footage}) as server:
        camera = make_camera(StoreFactory(), "door", server.url("door"))
        stack = stack_factory(CAMERA_OFFLINE_AFTER_SECONDS=5, CAMERA_RECONNECT_MAX_BACKOFF_SECONDS=8)
        worker = stack.worker("w1", concurrency=2)
        try:
            wait_for(lambda: Camera.objects.get(pk=camera.pk).status == Camera.Status.ONLINE, 90,
                     message="camera online")
            server.stop()
            stopped_at = time.monotonic()
            wait_for(lambda: Camera.objects.get(pk=camera.pk).status == Camera.Status.OFFLINE, 30,
                     message="camera offline once the stream is gone")
            assert Camera.objects.get(pk=camera.pk).last_error
            time.sleep(max(0.0, 60 - (time.monotonic() - stopped_at)))
            log_before_restart = worker.log()
            server.start()  # same port
            restarted_at = time.time()
            wait_for(lambda: Camera.objects.get(pk=camera.pk).status == Camera.Status.ONLINE, 45,
                     message="camera online again after the stream returned")
            wait_for(lambda: event_count("door", since=restarted_at) > 0, 60, message="events after the outage")
        except AssertionError:
            print(stack.logs())
            raise
    # backoff: a few attempts with growing delays over the minute, not one per second
    delays = [float(d) for d in re.findall(r"retrying in ([0-9.]+)s", log_before_restart)]
    assert 3 <= len(delays) <= 25, delays
    assert max(delays) >= 4 * min(delays), delays
    row = next(r for r in metrics.camera_metrics_read_all(stack.client) if r["camera"] == "door")
    assert int(row["reconnects_total"]) == 1  # one lost session; failed attempts during the outage do not count
    # the same runner rode out the outage: one start in the journal, the lease never changed hands
    assert [e["event"] for e in leases.lease_journal(camera.pk, stack.client)] == ["start"]


def test_workers_recover_by_themselves_after_redis_restarts(stack_factory, footage):
    names = ["a", "b"]
    with RtspServer(dict.fromkeys(names, footage)) as server:
        store = StoreFactory()
        cameras = [make_camera(store, name, server.url(name)) for name in names]
        stack = stack_factory()
        worker = stack.worker("w1", concurrency=4)
        try:
            wait_for(lambda: all(event_count(c.camera_id) > 0 for c in cameras), 120, message="events before restart")
            stack.redis.stop()
            time.sleep(3)
            stack.redis.start()  # same port, empty: leases, queue and metrics are gone
            restarted_at = time.time()
            wait_for(lambda: all(holders(stack.client, cameras).values()), 60, message="leases after restart")
            wait_for(lambda: all(event_count(c.camera_id, since=restarted_at + 1) > 0 for c in cameras), 90,
                     message="events after the Redis restart")
            wait_for(lambda: {r["camera"] for r in metrics.camera_metrics_read_all(stack.client)} >= set(names), 30,
                     message="metrics after restart")
            assert worker.proc.poll() is None
        except AssertionError:
            print(stack.logs())
            raise


@pytest.mark.django_db(transaction=True)
def test_runner_reloads_config_and_stops_when_disabled_or_deleted(footage, private_redis, settings):
    """In-process runner on a looping file: zone changes reach it, disable and delete stop it."""
    settings.CAMERA_CONFIG_POLL_SECONDS = 1
    settings.CAMERA_EVENT_FLUSH_SECONDS = 0.5
    settings.CAMERA_ALLOW_FILE_SOURCES = True  # the operator's switch for reading a local file as a camera
    store = StoreFactory()
    camera = make_camera(store, "shop", str(footage))
    results: dict[str, str] = {}

    def run(cam, key):
        results[key] = CameraRunner(cam.pk, client=private_redis).run()

    thread = threading.Thread(target=run, args=(camera, "shop"), daemon=True)
    thread.start()
    wait_for(lambda: "shop" in live_state_read(store.store_id), 60, message="live state")
    zone_create(camera=camera, name="Right", ztype="general",
                polygon=[[700, 0], [1280, 0], [1280, 720], [700, 720]], screenshot_size=(1280, 720))
    wait_for(lambda: "right" in live_state_read(store.store_id).get("shop", {}).get("state", {}).get("zones", {}),
             30, message="the new zone in the live state")
    Camera.objects.filter(pk=camera.pk).update(enabled=False)
    thread.join(30)
    assert results.get("shop") == ExitReason.DISABLED
    camera.refresh_from_db()
    assert camera.status == Camera.Status.OFFLINE
    assert leases.lease_holder(camera.pk, private_redis) is None

    doomed = make_camera(store, "doomed", str(footage))
    thread = threading.Thread(target=run, args=(doomed, "doomed"), daemon=True)
    thread.start()
    before_delete = wait_for(lambda: event_count("doomed"), 90, message="events from the second camera")
    doomed.delete()
    thread.join(30)
    assert results.get("doomed") == ExitReason.DELETED
    kept = [m.objects.filter(camera_key="doomed") for m in EVENT_MODELS]
    assert sum(q.count() for q in kept) >= before_delete  # none deleted (the runner may flush a few more)
    assert all(not q.exclude(camera=None).exists() for q in kept)  # data kept, camera link cleared
