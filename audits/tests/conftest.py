# The synthetic entrance clip and a private Redis, shared with the camera-worker tests.
from workers.tests.conftest import private_redis, private_redis_server, synthetic_clip  # noqa: F401
