"""What an MCP tool call adds over the REST call it wraps, p50.

Starts the REST API under gunicorn (one sync worker, DEBUG off) and the MCP server over
streamable HTTP (``manage.py mcp --http``, as ``make run`` starts it), both on loopback
and the same database, then times, one call after another from one client each:

  - REST: ``GET /api/v1/characters/?q=NAME`` with ``Authorization: Token …`` (one
    keep-alive connection);
  - MCP: the ``search_catalog`` tool with the same query, in one MCP session (the SDK's
    client; the tool makes the same REST call in the server's process).

It prints each one's p50 and p95 and the overhead (MCP p50 minus REST p50). The data is
a studio character with a published offer and a creator with a token, made in
DATABASE_URL (migrated first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench \\
        .venv/bin/python bench/mcp_overhead.py

BENCH_N sets the calls each way (default 200, after 20 of warm-up).
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
N = int(os.environ.get("BENCH_N", "200"))
WARMUP = 20


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(v * 1000 for v in values)
    return statistics.median(ordered), ordered[max(0, round(len(ordered) * 0.95) - 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, name: str) -> None:
    import httpx2

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx2.get(url, timeout=2)
            return
        except httpx2.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"mcp_overhead: {name} did not start") from None
            time.sleep(0.2)


def _world() -> tuple[str, str]:
    """A character to search for and a token to search with."""
    from rest_framework.authtoken.models import Token

    from tests.factories import CharacterFactory, OrganizationFactory, UserFactory, publish_offer

    run = time.time_ns() // 1_000 % 10**12
    for factory in (UserFactory, OrganizationFactory, CharacterFactory):
        factory.reset_sequence(run)
    character = CharacterFactory(name=f"Bench Agent {run}")
    publish_offer(character)
    return character.name, Token.objects.create(user=UserFactory()).key


def _time_rest(base: str, token: str, query: str) -> list[float]:
    import httpx2

    times = []
    with httpx2.Client(headers={"Authorization": f"Token {token}"}) as http:
        for i in range(N + WARMUP):
            started = time.perf_counter()
            response = http.get(f"{base}/api/v1/characters/", params={"q": query})
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and response.json()["count"] == 1, response.text
            if i >= WARMUP:
                times.append(elapsed)
    return times


def _time_mcp(url: str, token: str, query: str) -> list[float]:
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def run() -> list[float]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        times = []
        async with Client(streamable_http_client(url, http_client=http)) as client:
            for i in range(N + WARMUP):
                started = time.perf_counter()
                result = await client.call_tool("search_catalog", {"query": query})
                elapsed = time.perf_counter() - started
                assert not result.is_error and result.structured_content["count"] == 1, result
                if i >= WARMUP:
                    times.append(elapsed)
        return times

    return anyio.run(run)


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("mcp_overhead: needs DATABASE_URL pointing at a PostgreSQL database (skipped)")
        return 0
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("httpx2").setLevel(logging.WARNING)

    call_command("migrate", verbosity=0)
    query, token = _world()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    rest_port, mcp_port = _free_port(), _free_port()
    rest = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "1",
         "--bind", f"127.0.0.1:{rest_port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    mcp = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "mcp", "--http", "--port", str(mcp_port)],
        cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base, mcp_url = f"http://127.0.0.1:{rest_port}", f"http://127.0.0.1:{mcp_port}/mcp"
        _wait(f"{base}/api/v1/ping/", rest, "gunicorn")
        _wait(mcp_url, mcp, "the MCP server")
        load = os.getloadavg()
        print(f"mcp_overhead: {N} calls each way; load average {load[0]:.2f} {load[1]:.2f}")
        rest_p50, rest_p95 = _stats(_time_rest(base, token, query))
        mcp_p50, mcp_p95 = _stats(_time_mcp(mcp_url, token, query))
    finally:
        rest.terminate()
        mcp.terminate()
        rest.wait(timeout=20)
        mcp.wait(timeout=20)
    print(f"  REST GET /api/v1/characters/?q=…   p50 {rest_p50:6.2f} ms, p95 {rest_p95:6.2f} ms")
    print(f"  MCP search_catalog (same query)    p50 {mcp_p50:6.2f} ms, p95 {mcp_p95:6.2f} ms")
    print(f"  overhead of the tool call, p50:    {mcp_p50 - rest_p50:6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
