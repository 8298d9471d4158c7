from __future__ import annotations

import pytest
import redis

from vision.synthetic import default_scene
from workers.tests.cluster import RedisServer


@pytest.fixture(scope="session")
def synthetic_clip(tmp_path_factory):
    """The synthetic store entrance (vision/synthetic.py: real person cut-outs, 4 in and 3 out crossings of
    x = 640, one every 5 s or less, in a 32 s loop at 12 fps, 1280x720), written once per session. The camera
    worker tests stream it, so every checkout runs them, with or without the optional real footage."""
    directory = tmp_path_factory.mktemp("synthetic-clip")
    paths = default_scene().write_all(directory)
    return paths["video"]


@pytest.fixture(scope="session")
def private_redis_server():
    """A redis-server of our own: lease tests never touch the shared Redis, and can restart it."""
    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield server
    server.close()


@pytest.fixture
def private_redis(private_redis_server, settings):
    """Settings pointed at the private Redis (leases, metrics), flushed before each test."""
    settings.REDIS_URL = private_redis_server.url
    client = redis.Redis.from_url(private_redis_server.url, decode_responses=True)
    client.flushdb()
    return client
