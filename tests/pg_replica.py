"""A real PostgreSQL read replica for the tests: a second cluster on this machine,
streaming from the primary the suite runs on (tests/ops/test_read_replica.py).

Debian's postgresql-common tools do the work, as root (CI runs ``bash .ci/run`` as root
with PostgreSQL's cluster ``main`` on 5432):

1. the primary must accept replication connections from 127.0.0.1 without a password:
   if the first ``replication`` rule of its pg_hba.conf is not ``trust`` from
   127.0.0.1, a ``host replication all 127.0.0.1/32 trust`` line is put at the top of
   the file and the configuration reloaded (once: the next run finds it there);
2. ``pg_createcluster`` makes an empty cluster on a free port, its data directory is
   replaced by ``pg_basebackup -R`` from the primary (a standby that streams), and it
   starts;
3. at the end ``pg_dropcluster --stop`` removes it. A cluster left by a run that was
   killed (its name carries the pid of a process that is gone) is dropped first.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PREFIX = "cocreate_replica_"
HBA_LINE = "host replication all 127.0.0.1/32 trust"


def _run(*args: str, user: str | None = None, timeout: int = 120) -> str:
    command = ["runuser", "-u", user, "--", *args] if user else list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result.stdout


def _clusters() -> list[dict]:
    return json.loads(_run("pg_lsclusters", "--json") or "[]")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def drop_stale_clusters() -> None:
    """Drop replicas that runs no longer alive left behind."""
    for cluster in _clusters():
        name = cluster["cluster"]
        suffix = name.removeprefix(PREFIX)
        if name.startswith(PREFIX) and suffix.isdigit() and not _alive(int(suffix)):
            _run("pg_dropcluster", "--stop", str(cluster["version"]), name)


def _free_port(start: int = 5433) -> int:
    taken = {int(c["port"]) for c in _clusters()}
    for port in range(start, start + 200):
        if port not in taken and _port_free(port):
            return port
    raise RuntimeError("no free port for a PostgreSQL replica between 5433 and 5632")


def sql(dsn: str, query: str, *params):
    """The first column of the first row ``query`` returns (autocommit)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def _allow_replication(primary: str) -> None:
    wal_level = sql(primary, "SHOW wal_level")
    senders = int(sql(primary, "SHOW max_wal_senders"))
    if wal_level not in ("replica", "logical") or senders < 1:
        raise RuntimeError(
            f"the primary cannot stream (wal_level={wal_level}, max_wal_senders={senders}): "
            "set wal_level = replica and max_wal_senders >= 1, and restart it"
        )
    first = None
    with psycopg.connect(primary, autocommit=True) as conn:
        first = conn.execute(
            "SELECT address, auth_method FROM pg_hba_file_rules "
            "WHERE 'replication' = ANY(database) AND type = 'host' AND error IS NULL "
            "ORDER BY line_number LIMIT 1"
        ).fetchone()
    if first == ("127.0.0.1", "trust"):
        return
    hba = Path(sql(primary, "SHOW hba_file"))
    text = hba.read_text()
    hba.write_text(
        "# Cocreate's tests stream a read replica from here (tests/pg_replica.py).\n"
        f"{HBA_LINE}\n{text}"
    )
    sql(primary, "SELECT pg_reload_conf()")


@dataclass
class Replica:
    version: int
    name: str
    port: int
    primary: str  # libpq URL of the primary's server (database postgres)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return self.url(database)

    def pause(self) -> None:
        sql(self.dsn(), "SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 30
        while sql(self.dsn(), "SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not pause its replay")
            time.sleep(0.05)

    def resume(self) -> None:
        sql(self.dsn(), "SELECT pg_wal_replay_resume()")

    def catch_up(self, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written."""
        target = sql(self.primary, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not sql(self.dsn(), "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", target):
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not catch up with the primary")
            time.sleep(0.05)

    def drop(self) -> None:
        _run("pg_dropcluster", "--stop", str(self.version), self.name)


def start_replica(*, host: str = "127.0.0.1", port: int = 5432) -> Replica:
    """A streaming replica of the PostgreSQL server at ``host:port`` (as ``postgres``)."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        raise RuntimeError(
            "a real read replica needs root and Debian's postgresql-common "
            "(pg_createcluster), as CI has"
        )
    primary = f"postgres://postgres@{host}:{port}/postgres"
    version = int(sql(primary, "SHOW server_version_num")) // 10_000
    drop_stale_clusters()
    _allow_replication(primary)
    replica = Replica(
        version=version, name=f"{PREFIX}{os.getpid()}", port=_free_port(), primary=primary
    )
    _run(
        "pg_createcluster", str(version), replica.name,
        "--port", str(replica.port), "--start-conf", "manual",
    )  # fmt: skip
    try:
        (cluster,) = [c for c in _clusters() if c["cluster"] == replica.name]
        config = Path(cluster["configdir"])
        data = Path(cluster["pgdata"])
        (config / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        # A hot standby needs at least the primary's number of these.
        limits = {
            name: sql(primary, f"SHOW {name}")
            for name in (
                "max_connections",
                "max_worker_processes",
                "max_wal_senders",
                "max_prepared_transactions",
                "max_locks_per_transaction",
            )
        }
        (config / "conf.d").mkdir(exist_ok=True)
        (config / "conf.d" / "cocreate-replica.conf").write_text(
            "listen_addresses = '127.0.0.1'\nhot_standby = on\n"
            + "".join(f"{name} = {value}\n" for name, value in limits.items())
        )
        shutil.rmtree(data)
        data.mkdir(mode=0o700)
        shutil.chown(data, user=cluster["owneruid"], group=cluster["ownergid"])
        _run(
            f"/usr/lib/postgresql/{version}/bin/pg_basebackup",
            "-h", host, "-p", str(port), "-U", "postgres",
            "-D", str(data), "-R", "-X", "stream", "-c", "fast",
            user="postgres", timeout=300,
        )  # fmt: skip
        _run("pg_ctlcluster", "--skip-systemctl-redirect", str(version), replica.name, "start")
        deadline = time.monotonic() + 60
        while True:
            try:
                if sql(replica.dsn(), "SELECT pg_is_in_recovery()"):
                    break
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica on port {replica.port} did not start")
            time.sleep(0.2)
        replica.catch_up()
    except BaseException:
        replica.drop()
        raise
    return replica
