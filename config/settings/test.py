"""Test settings: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI always
sets them), otherwise SQLite and an in-memory broker for a quick local loop."""

import copy
from urllib.parse import urlsplit, urlunsplit

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import REDIS_URL, VAR_DIR, broker_transport_options

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else"  # noqa: S105
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405
# The read replica is the test database itself (a TEST MIRROR of default, whatever
# DATABASE_REPLICA_URL says), and reads are routed to it only in the tests that turn
# REPLICA_READS on (tests/core/test_replicas.py); tests/ops/test_read_replica.py runs
# a server against a real streaming replica.
DATABASES["replica"] = {  # noqa: F405
    **copy.deepcopy(DATABASES["default"]),  # noqa: F405
    "TEST": {"MIRROR": "default"},
}
REPLICA_READS = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "test-media"))

# With Redis, the cache is shared with the worker processes the end-to-end tests start
# (the screening registry's version lives there). It uses its own database number so
# that clearing it between tests never touches the broker's queues. TEST_CACHE_DB lets
# two test runs share one Redis server (give each its own broker database too).
if REDIS_URL:
    _redis = urlsplit(REDIS_URL)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": urlunsplit(
                _redis._replace(path=f"/{env.int('TEST_CACHE_DB', default=15)}")
            ),
            "KEY_PREFIX": "cocreate-test",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Code under test enqueues for real; tests that need a task to run start a worker
# (tests/conftest.py) rather than executing tasks eagerly.
# BROKER_URL=amqp://... runs them on RabbitMQ (the worker tests parametrized over brokers).
CELERY_BROKER_URL = env("BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    broker_transport_options(CELERY_BROKER_URL) if CELERY_BROKER_URL.startswith("amqp") else {}
)
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# The suite's Stripe is the loopback fake (tests/fakes/stripe_fake.py), reached with
# these; the sandbox's tests clear STRIPE_SECRET_KEY to run in test mode.
STRIPE_SECRET_KEY = "sk_test_cocreate_suite"  # noqa: S105
STRIPE_WEBHOOK_SECRET = "whsec_cocreate_suite"  # noqa: S105

# Limits high enough never to disturb a test; the rate-limit tests set their own low
# ones. Counters live in the cache, which every test starts empty.
RATE_LIMITS = {"generate": "1000/m", "screen": "1000/m", "token": "1000/m"}
