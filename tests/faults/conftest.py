"""Fixtures for the fault-injection tests: a private Redis server the tests may kill,
worker processes on it that the tests may kill, and the checks every fault ends with.

The machine's Redis (REDIS_URL) is shared with other test runs and must never be
restarted or flushed, so these tests never use it for the broker: everything they
enqueue goes through the private server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.workers import WorkerProcess, start_beat, start_worker, worker_env

FAULT_VISIBILITY_TIMEOUT = 8  # seconds; see tests/faults/worker_app.py
# The lease tests (test_leases_*.py) keep Redis's production visibility timeout (an
# hour: a message a killed worker held is out of reach for the whole test) and rely on
# leases of a few seconds and beat sweeping every second instead.
LEASE_SECONDS = 4
SWEEP_SECONDS = 1
PRODUCTION_VISIBILITY_TIMEOUT = 3600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A ``redis-server`` of our own on a free port. It is started as a broker should
    run in production: append-only file on, fsync on every write
    (``--appendonly yes --appendfsync always``), no RDB snapshots. A queued message is
    on disk before Redis answers the publish, so it survives ``kill -9``; with
    ``--appendonly no`` a restart would silently drop every queued task."""

    data_dir: Path
    port: int = 0
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.port = self.port or _free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self.data_dir),
                "--logfile", str(self.data_dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url(), socket_timeout=1).ping():
                    return self
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no final save."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_timeout=5)


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    server = RedisServer(data_dir=tmp_path_factory.mktemp("private-redis")).start()
    yield server
    server.kill()


@contextmanager
def _app_broker(url: str):
    """Point this process's Celery app (what the code under test enqueues with) at
    ``url``, and back afterwards."""
    from config.celery import app

    def drop_pools() -> None:
        # Only forget them: kombu keeps one pool per broker URL for the process, and a
        # closed one would be handed back the next time this URL is used.
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url, app.conf.result_backend
    drop_pools()
    app.conf.broker_url = app.conf.result_backend = url
    try:
        yield
    finally:
        drop_pools()
        app.conf.broker_url, app.conf.result_backend = saved


class FaultWorkers:
    """Worker processes on the private Redis, started with tests/faults/worker_app.py.
    A live worker is shared by the tests of a module; a test that kills one starts the
    next with ``fresh()``."""

    def __init__(
        self, *, env: dict[str, str], kill_dir: Path, log_dir: Path, pause_dir: Path | None = None
    ):
        self.env, self.kill_dir, self.log_dir = env, kill_dir, log_dir
        self.pause_dir = pause_dir or kill_dir
        self.current: WorkerProcess | None = None
        self.beat: WorkerProcess | None = None
        self.started = 0

    def fresh(self) -> WorkerProcess:
        if self.current is not None and self.current.alive():
            self.current.stop()
        self.started += 1
        self.current = start_worker(
            env=self.env,
            app="tests.faults.worker_app",
            log_path=self.log_dir / f"worker-{self.started}.log",
            hostname=f"fault-{os.getpid()}-{self.started}@%h",
        )
        return self.current

    def live(self) -> WorkerProcess:
        if self.current is None or not self.current.alive():
            return self.fresh()
        return self.current

    def start_beat(self, schedule_dir: Path) -> WorkerProcess:
        """Celery beat beside the workers (its own process group: killing a worker
        leaves it running, as on separate machines)."""
        self.beat = start_beat(
            env=self.env,
            app="tests.faults.worker_app",
            log_path=self.log_dir / "beat.log",
            schedule_path=schedule_dir / f"beat-{time.monotonic_ns()}",
        )
        return self.beat

    def pause_at(self, task_name: str, seconds: float) -> Path:
        """The next worker to start ``task_name`` sleeps ``seconds`` first; returns the
        file that appears when it does."""
        (self.pause_dir / task_name).write_text(str(seconds))
        return self.pause_dir / f"{task_name}.paused"

    def kill_at(self, task_name: str) -> None:
        """The next worker to start ``task_name`` dies there (SIGKILL, whole worker)."""
        (self.kill_dir / task_name).touch()

    def wait_for_death(self, worker: WorkerProcess, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while worker.alive():
            assert time.monotonic() < deadline, "the worker was never killed:\n" + worker.log()
            time.sleep(0.05)

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
        if self.beat is not None:
            self.beat.stop()


@pytest.fixture(scope="module")
def fault_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fault-media")


@pytest.fixture(scope="module")
def fault_workers(
    tmp_path_factory, django_db_setup, private_redis, provenance_keys, fault_media_root
):
    kill_dir = tmp_path_factory.mktemp("fault-kill")
    env = worker_env(
        redis_url=private_redis.url(0),
        media_root=fault_media_root,
        provenance_keys=provenance_keys,
        extra={
            "FAULT_KILL_DIR": str(kill_dir),
            "FAULT_VISIBILITY_TIMEOUT": str(FAULT_VISIBILITY_TIMEOUT),
        },
    )
    workers = FaultWorkers(env=env, kill_dir=kill_dir, log_dir=tmp_path_factory.mktemp("logs"))
    yield workers
    workers.stop()


@contextmanager
def _fault_world(*, settings, private_redis, workers: FaultWorkers, media_root, provenance_keys):
    cache_db = int(os.environ.get("TEST_CACHE_DB", "15"))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url(cache_db),
            "KEY_PREFIX": "cocreate-test",
        }
    }
    settings.MEDIA_ROOT = media_root
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    from licensing.policy.registry import forget_local_registry

    private_redis.client(0).flushdb()  # our own server: no earlier test's messages
    private_redis.client(cache_db).flushdb()
    forget_local_registry()
    for armed in [*workers.kill_dir.iterdir(), *workers.pause_dir.iterdir()]:
        armed.unlink()
    with _app_broker(private_redis.url(0)):
        yield workers
    assert not list(workers.kill_dir.iterdir()), "a kill was armed but never fired"


@pytest.fixture
def faults(
    transactional_db, settings, private_redis, fault_workers, fault_media_root, provenance_keys
):
    """Committed data, this process enqueueing on the private Redis, and its cache (the
    screening registry's version) on the same server as the workers'. Yields the
    worker manager; after the test nothing may be left armed to kill."""
    with _fault_world(
        settings=settings,
        private_redis=private_redis,
        workers=fault_workers,
        media_root=fault_media_root,
        provenance_keys=provenance_keys,
    ) as workers:
        yield workers


@pytest.fixture(scope="module")
def lease_workers(
    tmp_path_factory, django_db_setup, private_redis, provenance_keys, fault_media_root
):
    """Workers with Redis's production visibility timeout, short leases, and beat
    running only the relay and the sweepers, every second."""
    kill_dir = tmp_path_factory.mktemp("lease-kill")
    pause_dir = tmp_path_factory.mktemp("lease-pause")
    env = worker_env(
        redis_url=private_redis.url(0),
        media_root=fault_media_root,
        provenance_keys=provenance_keys,
        extra={
            "FAULT_KILL_DIR": str(kill_dir),
            "FAULT_PAUSE_DIR": str(pause_dir),
            "FAULT_VISIBILITY_TIMEOUT": str(PRODUCTION_VISIBILITY_TIMEOUT),
            "FAULT_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "GENERATION_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_RELAY_AFTER_SECONDS": "1",
            "WEBHOOK_LEASE_SECONDS": "5",
        },
    )
    workers = FaultWorkers(
        env=env,
        kill_dir=kill_dir,
        log_dir=tmp_path_factory.mktemp("lease-logs"),
        pause_dir=pause_dir,
    )
    yield workers
    workers.stop()


@pytest.fixture
def lease_faults(
    transactional_db,
    settings,
    private_redis,
    lease_workers,
    fault_media_root,
    provenance_keys,
    tmp_path,
):
    """As ``faults``, for the lease tests: this process dispatches with the same short
    lease, and beat (relay and sweepers) runs beside the workers."""
    settings.GENERATION_LEASE_SECONDS = LEASE_SECONDS
    settings.OUTBOX_RELAY_AFTER_SECONDS = 1
    with _fault_world(
        settings=settings,
        private_redis=private_redis,
        workers=lease_workers,
        media_root=fault_media_root,
        provenance_keys=provenance_keys,
    ) as workers:
        # A worker started after the flush: its start declares the queues' bindings
        # again (with Redis they are keys the flush removed, and a process that declared
        # them once never does again, so the messages it publishes would go nowhere).
        workers.fresh()
        if workers.beat is None or not workers.beat.alive():
            workers.start_beat(tmp_path)
        yield workers


class FaultFigures:
    """For each fault: requests started, requests finished, and the worst time one took
    to finish, measured from the fault's end (the broker back, the new worker ready).
    Written to var/test-artifacts/faults.json (TEST_ARTIFACTS_DIR) and printed at the end
    of the run: the README's fault table comes from here."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def record(self, fault: str, *, started: int, finished: int, worst_s: float) -> None:
        self.rows[fault] = {"started": started, "finished": finished, "worst_s": round(worst_s, 1)}


FIGURES = FaultFigures()


@pytest.fixture
def fault_figures() -> FaultFigures:
    return FIGURES


def pytest_terminal_summary(terminalreporter):
    if not FIGURES.rows:
        return
    import json

    folder = Path(
        os.environ.get(
            "TEST_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "faults.json").write_text(json.dumps(FIGURES.rows, indent=2))
    terminalreporter.section("fault suite: finished / started, worst time to finish")
    for fault, row in FIGURES.rows.items():
        terminalreporter.write_line(
            f"{fault}: {row['finished']}/{row['started']} finished, worst {row['worst_s']} s"
        )


def wait_for_status(request_id, statuses, *, timeout: float = 90.0, worker=None):
    """Poll the database until the request reaches one of ``statuses``."""
    from marketplace.models import GenerationRequest

    deadline = time.monotonic() + timeout
    while True:
        request = GenerationRequest.objects.get(pk=request_id)
        if request.status in statuses:
            return request
        if time.monotonic() > deadline:
            events = list(request.events.values_list("to_status", "note"))
            log = worker.log()[-4000:] if worker is not None else ""
            raise AssertionError(f"request stuck in {request.status}: {events}\n{log}")
        time.sleep(0.05)


def assert_generated_exactly_once(request, *, media_root: Path, works_before: set[str]):
    """One Work, one captured fee hold (one fee event, settled once: the requests in these tests
    carry a per-generation fee), each status entered once, and exactly one video and one
    poster in storage for it (no files left by a killed attempt)."""
    from marketplace.models import Work
    from payments.models import FeeHold, RevenueEvent

    assert request.status == "published", (request.status, request.reason)
    work = Work.objects.get(request=request)
    holds = FeeHold.objects.filter(request_id=request.pk)
    assert [h.status for h in holds] == ["captured"]
    fees = RevenueEvent.objects.filter(external_id__startswith=f"generation:{request.pk}:")
    assert fees.count() == 1 and fees.get().transaction_id is not None
    entered = Counter(request.events.values_list("to_status", flat=True))
    assert all(count == 1 for count in entered.values()), entered
    works_dir = media_root / "works"
    new = {p.name for p in works_dir.iterdir()} - works_before
    assert new == {str(work.pk)}, new
    assert sorted(p.name for p in (works_dir / str(work.pk)).iterdir()) == [
        "poster.jpg",
        "video.mp4",
    ]
    return work


def works_on_disk(media_root: Path) -> set[str]:
    works_dir = media_root / "works"
    return {p.name for p in works_dir.iterdir()} if works_dir.exists() else set()


# The Stripe fake and eager tasks, as the payments tests use them.
from tests.payments.conftest import eager_tasks, fake_stripe  # noqa: E402, F401
