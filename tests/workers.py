"""Start real Celery worker processes for tests, the way `make run` starts one: on the
test database, the shared media folder and the session's provenance keys.

``tests/conftest.py`` starts the session's worker with it; the fault tests
(``tests/faults/``) start, kill and restart their own on a private Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the test database this process uses (worker processes share it)."""
    from django.db import connection

    database = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a worker process shares the test database only on PostgreSQL")
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@dataclass
class WorkerProcess:
    """One ``celery worker`` process. ``log_path`` holds its output (a pipe left
    undrained would stall it). It leads its own process group, so ``kill()`` takes the
    main process and its pool children down together, as a machine losing power would."""

    process: subprocess.Popen
    log_path: Path
    log_start: int = 0  # where this process's output starts in a shared log file

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 60.0) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if not self.alive() or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("worker did not start:\n" + self.log())
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> None:
        """A warm shutdown (SIGTERM), killed if it does not finish in time."""
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def worker_env(
    *,
    redis_url: str,
    media_root: Path,
    provenance_keys,
    fake_openai=None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(media_root),
        "C2PA_CERT_CHAIN": str(provenance_keys.chain),
        "C2PA_PRIVATE_KEY": str(provenance_keys.signer_key),
        "C2PA_TRUST_ANCHORS": str(provenance_keys.root_cert),
        "VIDEO_BACKEND": "local",
    }
    if fake_openai is not None:
        env.update(
            OPENAI_API_KEY=fake_openai.api_key,
            OPENAI_BASE_URL=fake_openai.base_url,
            OPENAI_VIDEO_POLL_S="0.05",
            OPENAI_VIDEO_TIMEOUT_S="20",
        )
    env.update(extra or {})
    return env


def start_worker(
    *,
    env: dict[str, str],
    log_path: Path,
    app: str = "config",
    hostname: str | None = None,
    queues: str = "default,render,money",
    wait: bool = True,
) -> WorkerProcess:
    """Start ``celery -A <app> worker`` on every queue with one pool process, and (by
    default) wait until it says it is ready."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                "-Q",
                queues,
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "--hostname",
                hostname or f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process=process, log_path=log_path, log_start=log_start)
    return worker.wait_ready() if wait else worker


def start_beat(*, env: dict[str, str], log_path: Path, schedule_path: Path, app: str = "config"):
    """Start ``celery -A <app> beat`` (its own process group, like a worker) and wait
    until it has started."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", app, "beat",
                "--schedule", str(schedule_path),
                "--loglevel", "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    beat = WorkerProcess(process=process, log_path=log_path, log_start=log_start)
    deadline = time.monotonic() + 60
    while "beat: Starting..." not in beat.log():
        if not beat.alive() or time.monotonic() > deadline:
            beat.kill()
            raise RuntimeError("beat did not start:\n" + beat.log())
        time.sleep(0.1)
    return beat
