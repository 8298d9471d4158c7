from __future__ import annotations

import pytest
import redis

from workers.tests.cluster import RedisServer


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
