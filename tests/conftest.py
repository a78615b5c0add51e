import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache_and_registry():
    """Each test starts with an empty cache and no screening registry: the database is
    rolled back between tests, so neither may carry names from an earlier one."""
    from django.core.cache import cache

    from licensing.policy.registry import forget_local_registry

    cache.clear()
    forget_local_registry()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def owner_membership(db):
    return MembershipFactory()


@pytest.fixture
def api_client():
    return APIClient()


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL: a real Redis broker (CI always sets it)")
    return url


@pytest.fixture(scope="session")
def celery_worker_process(tmp_path_factory):
    """A real Celery worker in its own process, consuming every queue from the real
    Redis broker, as `make run` starts it. Session-scoped: it starts once. Its log
    goes to a file (a pipe left undrained would stall it)."""
    redis_url = _redis_url()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": redis_url}
    from config.celery import app

    app.control.purge()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "-Q", "default,render,money", "--concurrency", "1",
                "--without-gossip", "--without-mingle", "--loglevel", "INFO",
                "--hostname", f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while " ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("worker did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    process.log_path = log_path
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
