import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory


def _own_redis_databases_per_xdist_worker() -> None:
    """Under pytest-xdist (``make test`` runs the fast tier on two processes) each worker
    process gets its own Redis databases, so that one process clearing its cache between
    tests (a FLUSHDB) or enqueueing never touches another's. gw0 keeps the run's own
    databases (REDIS_URL's for the broker and results, TEST_CACHE_DB's for the cache);
    worker n counts up from the broker's and down from the cache's. Settings are
    already loaded when this runs (pytest-django loads them first), so the new URLs go
    into them through override_settings, and into the environment that the worker
    processes the tests start inherit."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL")
    if not url or worker in ("", "gw0"):
        return
    n = int(worker.removeprefix("gw"))
    parts = urlsplit(url)
    broker_db = int(parts.path.strip("/") or 0) + n
    cache_db = int(os.environ.get("TEST_CACHE_DB", "15")) - n
    if broker_db >= cache_db:
        raise RuntimeError(
            f"xdist worker {worker}: broker database {broker_db} would meet cache database "
            f"{cache_db}; run fewer processes or move REDIS_URL / TEST_CACHE_DB apart"
        )
    broker_url = urlunsplit(parts._replace(path=f"/{broker_db}"))
    cache_url = urlunsplit(parts._replace(path=f"/{cache_db}"))
    os.environ["REDIS_URL"] = broker_url
    os.environ["TEST_CACHE_DB"] = str(cache_db)

    from django.conf import settings
    from django.test.utils import override_settings

    from config.celery import app

    cache = {**settings.CACHES["default"], "LOCATION": cache_url}
    # For the whole process: never disabled.
    override_settings(
        REDIS_URL=broker_url,
        CACHES={"default": cache},
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=broker_url,
    ).enable()
    if app.configured:  # read before now: point it at the new databases too
        app.conf.broker_url = app.conf.result_backend = broker_url


_own_redis_databases_per_xdist_worker()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache_and_registry():
    """Each test starts with an empty cache, no screening registry and no lookalike
    index: the database is rolled back between tests, so none may carry names or
    descriptions from an earlier one."""
    from django.core.cache import cache

    from licensing.policy.lookalike import forget_local_index
    from licensing.policy.registry import forget_local_registry

    cache.clear()
    forget_local_registry()
    forget_local_index()


@pytest.fixture(autouse=True)
def _ledger_balances_after_every_test(request):
    """After every test that touched the database, the ledger sums to zero per
    currency (DESIGN: money is never lost or created)."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if uses_db:
        # Set the database up inside this fixture, so it is torn down (rolled back or
        # flushed) only after the check below has read it.
        request.getfixturevalue("_django_db_helper")
    yield
    if not uses_db:
        return
    from payments.services import ledger_totals

    assert all(total == 0 for total in ledger_totals().values()), ledger_totals()


@pytest.fixture
def eager_celery():
    """Run the tasks the code under test enqueues inline, in this process, as they are
    sent (with ``django_capture_on_commit_callbacks(execute=True)``, on commit)."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    """A client signed in as ``staff`` the way the admin requires: an authenticator app
    set up, and a log-in through allauth that included its TOTP code."""
    from tests.mfa import log_in_with_totp, totp_activate

    log_in_with_totp(client, staff, secret=totp_activate(staff))
    return client


@pytest.fixture
def owner_membership(db):
    return MembershipFactory()


@pytest.fixture
def api_client():
    return APIClient()


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        raise RuntimeError("this test needs REDIS_URL: mark it @pytest.mark.redis")
    return url


def _is_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# The slow tier (STYLE.md, "Tests"): `make test-fast` leaves it out; `make test` runs it
# after the fast tier, alone. These folders and modules hold only slow tests; tests that
# start worker processes or use the seeded demo are slow wherever they are; a slow test
# in a module of fast ones carries the mark itself (the access matrix, the fresh clone,
# manage.py spectacular in a subprocess, the threads settling revenue at once, the
# bulk-caches hypothesis property).
TESTS = Path(__file__).resolve().parent
SLOW_PATHS = {
    TESTS / "browser": "Chromium against the live server and a real worker",
    TESTS / "faults": "kills and restarts Redis, workers and connections: never beside others",
    TESTS / "hostile" / "test_schemathesis.py": "about 4,000 generated API calls",
    TESTS / "hostile" / "test_prompt_fuzz.py": "hypothesis, hundreds of examples a property",
    TESTS / "ops" / "test_settings.py": "each test starts Django afresh in a subprocess",
    TESTS / "ops" / "test_make_data.py": "a subprocess writes the benchmark data set",
    TESTS / "ops" / "test_read_replica.py": "a second PostgreSQL cluster streaming from the first",
    TESTS / "ops" / "test_no_shared_disk.py": "gunicorn, two workers and a private Redis",
}
SLOW_FIXTURES = {
    "celery_worker_process": "a real Celery worker process",
    "rabbitmq_worker_process": "a real Celery worker process on RabbitMQ",
    "pipeline": "a real Celery worker process rendering videos",
    "demo": "tests/ops/test_seed_demo.py: seed_demo renders and signs about twenty videos",
}


def _in_slow_path(path: Path) -> bool:
    return any(path == slow or path.is_relative_to(slow) for slow in SLOW_PATHS)


def _is_slow(item) -> bool:
    return (
        _in_slow_path(Path(item.path).resolve())
        or bool(SLOW_FIXTURES.keys() & set(item.fixturenames))
        or item.get_closest_marker("redis") is not None
        or item.get_closest_marker("rabbitmq") is not None
    )


def pytest_ignore_collect(collection_path, config):
    """With ``-m "not slow"`` (make test-fast, and the fast tier of make test), modules
    that hold only slow tests are not even imported: schemathesis generates its cases
    while its module is collected, seconds in every xdist process."""
    if config.getoption("markexpr") == "not slow" and _in_slow_path(collection_path.resolve()):
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the slow tier (before ``-m`` selects on it). Tests that need PostgreSQL
    (triggers, COPY, concurrent transactions) or a real Redis broker (worker processes)
    run only where those are configured. Elsewhere they are deselected, and said so;
    .ci/run always configures both and fails on any deselection."""
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
    missing = set()
    if not _is_postgresql():
        missing.add("postgresql")
    if not os.environ.get("REDIS_URL"):
        missing.add("redis")
    if not os.environ.get("RABBITMQ_URL"):
        missing.add("rabbitmq")
    if not missing:
        return
    keep, drop = [], []
    for item in items:
        needs = {
            m.name for m in item.iter_markers() if m.name in ("postgresql", "redis", "rabbitmq")
        }
        if "celery_worker_process" in item.fixturenames or "pipeline" in item.fixturenames:
            needs |= {"postgresql", "redis"}
        if {"rabbitmq_worker_process", "on_rabbitmq", "rabbitmq_pipeline"} & set(item.fixturenames):
            needs |= {"postgresql", "redis", "rabbitmq"}
        (drop if needs & missing else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        needed = ", ".join(sorted(missing))
        print(
            f"\n{len(drop)} test(s) need {needed}; set DATABASE_URL/REDIS_URL/RABBITMQ_URL "
            "to run them."
        )


@pytest.fixture(scope="session")
def provenance_keys(tmp_path_factory):
    """Development C2PA keys for the whole session (root CA, signer, chain)."""
    from marketplace.provenance.keys import create_dev_keys

    return create_dev_keys(directory=tmp_path_factory.mktemp("provenance"))


@pytest.fixture
def export_keys(settings, provenance_keys):
    """Compliance exports are signed with the platform's provenance key: the session's
    development keys, trusted through their root."""
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    return provenance_keys


@pytest.fixture(scope="session")
def shared_media_root(tmp_path_factory):
    """One media folder the test process and the worker processes both use."""
    return tmp_path_factory.mktemp("shared-media")


@pytest.fixture(scope="session")
def s3_server():
    """An S3-protocol server on loopback (moto's ThreadedMotoServer, tests/objectstore.py)
    for the session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def object_storage(s3_server, settings, monkeypatch):
    """A fresh, empty bucket on ``s3_server`` as the default storage, configured the way
    production is (MEDIA_STORAGE=s3 through config/settings/storage.py). Yields the
    bucket (``tests.objectstore.Bucket``)."""
    from config.settings.storage import media_storage
    from tests.objectstore import new_bucket

    bucket = new_bucket(s3_server)
    for name, value in bucket.env().items():
        monkeypatch.setenv(name, value)
    media = media_storage(kind="s3", url_max_age=settings.MEDIA_URL_MAX_AGE)
    settings.STORAGES = {**settings.STORAGES, "default": media.backend}
    settings.MEDIA_STORAGE = "s3"
    return bucket


@pytest.fixture(scope="session")
def fake_openai():
    """The loopback fake of OpenAI's videos API, for the whole session (the worker is
    pointed at it, so requests with backend "openai" render through it)."""
    from tests.fakes.openai_videos import FakeOpenAIVideos

    with FakeOpenAIVideos(polls_to_complete=2) as fake:
        yield fake


@pytest.fixture(scope="session")
def celery_worker_process(
    tmp_path_factory,
    django_db_setup,
    django_db_blocker,
    provenance_keys,
    shared_media_root,
    fake_openai,
):
    """A real Celery worker in its own process, consuming every queue from the real
    Redis broker, as `make run` starts it, on the test database, the shared media
    folder and the session's provenance keys. Session-scoped: it starts once. Its log
    is at ``.log_path`` (see tests/workers.py)."""
    from config.celery import app
    from tests.workers import start_worker, worker_env

    env = worker_env(
        redis_url=_redis_url(),
        media_root=shared_media_root,
        provenance_keys=provenance_keys,
        fake_openai=fake_openai,
    )
    app.control.purge()
    worker = start_worker(
        env=env,
        log_path=tmp_path_factory.mktemp("worker") / "worker.log",
        hostname=f"test-{os.getpid()}@%h",
    )
    yield worker
    worker.stop()


@pytest.fixture
def pipeline(transactional_db, celery_worker_process, settings, shared_media_root, provenance_keys):
    """The real pipeline: committed data, a real worker on Redis, shared media and
    keys. Yields the worker process (its log is at ``.log_path``)."""
    settings.MEDIA_ROOT = shared_media_root
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    settings.OPENAI_API_KEY = "sk-test-fake"
    return celery_worker_process


@contextmanager
def app_broker(url: str, *, transport_options: dict | None = None):
    """Point this process's Celery app (what the code under test enqueues with) at the
    broker ``url``, and back afterwards; results stay where they are."""
    from config.celery import app, declared_queues

    def drop_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    def use_queues(queues) -> None:
        app.conf.task_queues = queues
        for cached in ("queues", "default_queue", "router"):  # computed from them once
            app.amqp.__dict__.pop(cached, None)

    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_queues
    drop_pools()
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    use_queues(declared_queues(url))
    try:
        yield
    finally:
        drop_pools()
        app.conf.broker_url, app.conf.broker_transport_options, queues = saved
        use_queues(queues)


@pytest.fixture(scope="session")
def rabbitmq_url():
    """A virtual host of this run's own on the RabbitMQ at RABBITMQ_URL (made with
    rabbitmqctl, deleted at the end), so no other run's messages meet ours."""
    base = os.environ.get("RABBITMQ_URL")
    if not base:
        raise RuntimeError("this test needs RABBITMQ_URL: mark it @pytest.mark.rabbitmq")
    vhost = f"cocreate-test-{os.getpid()}"
    ctl = shutil.which("rabbitmqctl") or "rabbitmqctl"
    subprocess.run([ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    user = urlsplit(base).username or "guest"
    subprocess.run(
        [ctl, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    yield urlunsplit(urlsplit(base)._replace(path=f"/{vhost}"))
    subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def rabbitmq_worker_process(
    tmp_path_factory, django_db_setup, provenance_keys, shared_media_root, rabbitmq_url
):
    """As ``celery_worker_process``, with RabbitMQ as the broker (BROKER_URL=amqp://...):
    durable quorum queues and publisher confirms, results still in Redis."""
    from tests.workers import start_worker, worker_env

    env = worker_env(
        redis_url=_redis_url(),
        media_root=shared_media_root,
        provenance_keys=provenance_keys,
        extra={"BROKER_URL": rabbitmq_url},
    )
    worker = start_worker(
        env=env,
        log_path=tmp_path_factory.mktemp("rabbitmq-worker") / "worker.log",
        hostname=f"test-rabbitmq-{os.getpid()}@%h",
    )
    yield worker
    worker.stop()


@pytest.fixture
def on_rabbitmq(rabbitmq_worker_process, rabbitmq_url):
    """This process enqueues on RabbitMQ, where ``rabbitmq_worker_process`` consumes."""
    from config.settings.base import broker_transport_options

    with app_broker(rabbitmq_url, transport_options=broker_transport_options(rabbitmq_url)):
        yield rabbitmq_worker_process


@pytest.fixture
def rabbitmq_pipeline(transactional_db, on_rabbitmq, settings, shared_media_root, provenance_keys):
    """``pipeline``, with RabbitMQ as the broker."""
    settings.MEDIA_ROOT = shared_media_root
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    return on_rabbitmq


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class BrokerOutage:
    """Every publish from this process goes to a broker that is not there (a closed
    port), as when the broker is down, until ``end()``. The connection pools are
    dropped at both ends, so neither side reuses a connection made for the other."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    @staticmethod
    def _drop_pools() -> None:
        from config.celery import app

        app._pool = None
        app.amqp._producer_pool = None

    def start(self) -> "BrokerOutage":
        self._drop_pools()
        # Celery reads this before its configuration, on every new connection for writing.
        self.monkeypatch.setenv("CELERY_BROKER_WRITE_URL", UNREACHABLE_BROKER)
        return self

    def end(self) -> None:
        self.monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
        self._drop_pools()


@pytest.fixture
def broker_down(monkeypatch):
    outage = BrokerOutage(monkeypatch).start()
    yield outage
    outage.end()
