"""Latency of the catalog search, the feed API and the Following tab (page and API) at
scale, under gunicorn, with wrk.

Needs the scale data set (bench/make_data.py) in DATABASE_URL and wrk on the PATH
(Debian: ``apt-get install -y wrk``; https://github.com/wg/wrk elsewhere).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_scale \\
        .venv/bin/python bench/api_latency.py

It starts gunicorn (2 sync workers, as the production server, DEBUG off, persistent
database connections as production.py sets them) on a loopback port and drives it with
wrk, BENCH_CONNECTIONS connections (default 2, one per worker, so the figures are
service times rather than queueing) for BENCH_SECONDS seconds (default 20) per
endpoint, after a warm-up:

  - floor: ``GET /api/v1/ping/``, a DRF view that runs no query, measured first and
    again last (the machine is shared, so the two bracket the run's noise);
  - catalog search: ``GET /api/v1/characters/?q=TERM``, TERM rotating over names,
    aliases and franchises sampled from the data (the catalog's search parameter is
    ``q``);
  - feed: ``GET /api/v1/feed/``, the first page and pages from cursors spread over
    the whole feed;
  - storyline takes: ``GET /api/v1/storylines/{id}/takes/`` for the storylines with the
    most takes (the busiest has about 1,900 at full scale), ranked by likes and remixes;
  - following feed: the web page ``/feed/following/``, signed in as the person who
    follows the most people, its first page and pages from cursors spread over their
    followees' works (a session cookie made in-process, sent by wrk);
  - following API: ``GET /api/v1/feed/following/``, the same reader (the same cookie:
    the API takes the session) and the same cursors.

Set REDIS_URL to use Redis as the cache, as production does (sessions are kept in the
cache, as production keeps them); without it the file cache serves both.

It prints p50, p90 and p99 in milliseconds, requests/s, and each endpoint's p50 and p99
over the floor's (the goal: p50 within 5x the floor's, p99 within 10x). The catalog, the
feed and the Following page and API read their read models (the catalog's documents,
the feed's entries: run ``manage.py read_models_rebuild`` after loading data any other
way than make_data).
Before the load it also counts each endpoint's queries in-process on the same data, to
show they are the tests' counts at scale.
"""

import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# Sessions in the cache, as production.py keeps them (Redis when REDIS_URL is set, as in
# production; the file cache otherwise): the signed-in reader's session is made here and
# read by gunicorn's workers.
os.environ.setdefault("SESSION_ENGINE", "django.contrib.sessions.backends.cache")

SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "2"))
WORKERS = 2
TERMS = 40
CURSORS = 40
GOAL_P50 = 5.0
GOAL_P99 = 10.0
MIN_CHARACTERS = 1_000
STORYLINES = 5  # the busiest storylines' takes
SIGNED_IN = ("following feed", "following API")  # sent with the reader's session cookie

WRK_SCRIPT = """
paths = {%s}
headers = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT p50=%%d p90=%%d p99=%%d requests=%%d seconds=%%f errors=%%d\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def _say(text: str) -> None:
    print(text, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _paths() -> dict[str, list[str]]:
    """Search terms and feed cursors sampled from the data set."""
    from urllib.parse import urlencode

    from licensing.models import Character, CharacterAlias
    from marketplace import selectors
    from marketplace.models import Work

    rng = random.Random(11)
    names = Character.objects.filter(kind="character").order_by("id")
    total = names.count()
    terms: list[str] = []
    for offset in rng.sample(range(total), TERMS // 2):
        name = names.values_list("name", flat=True)[offset]
        terms.append(name.split()[0])  # a given name: matches a few characters
    aliases = CharacterAlias.objects.order_by("id").values_list("text", flat=True)
    for offset in rng.sample(range(CharacterAlias.objects.count()), TERMS // 4):
        terms.append(aliases[offset])  # an alias: usually one character
    franchises = sorted(
        set(Character.objects.exclude(franchise="").values_list("franchise", flat=True)[:5000])
    )
    terms += rng.sample(franchises, TERMS // 4)  # a franchise: many characters
    catalog = [f"/api/v1/characters/?{urlencode({'q': t})}" for t in terms]

    published = Work.objects.filter(status="published").order_by("-published_at", "-id")
    oldest = published.last().published_at
    newest = published.first().published_at
    feed = ["/api/v1/feed/"] * (CURSORS // 4)
    while len(feed) < CURSORS:  # pages that start anywhere in the feed's year
        moment = oldest + (newest - oldest) * rng.random()
        work = published.filter(published_at__lte=moment).only("id", "published_at").first()
        if work is not None:
            feed.append(f"/api/v1/feed/?cursor={selectors.encode_cursor(work)}")
    from django.db.models import Count

    from accounts.models import Follow
    from marketplace.models import Storyline

    busiest = (
        Storyline.objects.annotate(n=Count("takes"))
        .order_by("-n", "id")
        .values_list("id", flat=True)[:STORYLINES]
    )
    takes = [f"/api/v1/storylines/{pk}/takes/" for pk in busiest]
    reader = (
        Follow.objects.values("follower").annotate(n=Count("id")).order_by("-n", "follower")
    ).first()
    cursors = [""] * (CURSORS // 4)
    if reader is not None:
        followees = Follow.objects.filter(follower=reader["follower"]).values("followee")
        theirs = published.filter(creator__in=followees)
        while len(cursors) < CURSORS:
            moment = oldest + (newest - oldest) * rng.random()
            work = theirs.filter(published_at__lte=moment).only("id", "published_at").first()
            if work is not None:
                cursors.append(f"?cursor={selectors.encode_cursor(work)}")
    return {
        "floor": ["/api/v1/ping/"],
        "catalog search": catalog,
        "feed": feed,
        "storyline takes": takes,
        "following feed": [f"/feed/following/{c}" for c in cursors] if reader else [],
        "following API": [f"/api/v1/feed/following/{c}" for c in cursors] if reader else [],
    }


def _follower_session() -> tuple[str, int]:
    """A session cookie (name=value) of the person who follows the most people, and
    how many they follow."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from accounts.models import Follow, User

    top = Follow.objects.values("follower").annotate(n=Count("id")).order_by("-n", "follower")
    reader = top.first()
    client = Client()
    client.force_login(User.objects.get(pk=reader["follower"]))
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}", reader["n"]


def _query_counts(paths: dict[str, list[str]], cookie: str) -> dict[str, set[int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, value = cookie.split("=", 1)
    counts: dict[str, set[int]] = {}
    for label, urls in paths.items():
        client = Client()
        if label in SIGNED_IN:
            client.cookies[name] = value
        counts[label] = set()
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            counts[label].add(len(captured.captured_queries))
    return counts


def _wrk(
    base: str, paths: list[str], seconds: int, folder: Path, cookie: str = ""
) -> dict[str, float]:
    script = folder / "paths.lua"
    headers = f'["Cookie"] = "{cookie}"' if cookie else ""
    script.write_text(WRK_SCRIPT % (", ".join(f'"{p}"' for p in paths), headers))
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "60s"]
    command += ["-s", str(script), base]  # a slow request is measured, not dropped
    run = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    out = run.stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    values = dict(part.split("=") for part in line.split()[1:])
    return {
        "p50": int(values["p50"]) / 1000,
        "p90": int(values["p90"]) / 1000,
        "p99": int(values["p99"]) / 1000,
        "rps": int(values["requests"]) / float(values["seconds"]),
        "errors": int(values["errors"]),
        "requests": int(values["requests"]),
    }


def _row(label: str, r: dict[str, float], floor: dict[str, float] | None) -> str:
    text = (
        f"  {label:<16} p50 {r['p50']:7.2f} ms  p90 {r['p90']:7.2f} ms  p99 {r['p99']:7.2f} ms"
        f"  {r['rps']:7.1f} req/s  ({r['requests']:,} requests, {r['errors']} errors)"
    )
    if floor:
        p50, p99 = r["p50"] / floor["p50"], r["p99"] / floor["p99"]
        verdict = "met" if p50 <= GOAL_P50 and p99 <= GOAL_P99 else "NOT met"
        text += (
            f"\n  {'':<16} {p50:.1f}x the floor at p50, {p99:.1f}x at p99: goal "
            f"({GOAL_P50:.0f}x, {GOAL_P99:.0f}x) {verdict}"
        )
    return text


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not shutil.which("wrk"):
        _say(
            "api_latency: needs the scale data set in a PostgreSQL DATABASE_URL and wrk "
            "(apt-get install -y wrk), e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres cocreate_scale\n"
            "  .venv/bin/python bench/make_data.py --database "
            "postgres://postgres@127.0.0.1:5432/cocreate_scale\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_scale "
            ".venv/bin/python bench/api_latency.py\n(skipped)"
        )
        return 0
    import django

    django.setup()
    from licensing.models import Character
    from marketplace.models import Work

    characters, works = Character.objects.count(), Work.objects.count()
    if characters < MIN_CHARACTERS:
        _say(f"api_latency: {characters} characters: make the data set first (skipped)")
        return 0
    paths = _paths()
    if not paths["storyline takes"] or not paths["following feed"]:
        _say("api_latency: no storylines or follows: remake the data set (skipped)")
        return 0
    cookie, followed = _follower_session()
    counts = _query_counts(paths, cookie)
    _say(f"api_latency: {characters:,} characters, {works:,} works; gunicorn {WORKERS} workers")
    from django.conf import settings

    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    _say(f"  cache {cache_backend}, sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]}")
    _say(
        f"  storyline takes: the {len(paths['storyline takes'])} busiest storylines; "
        f"following feed and API: signed in as a person who follows {followed:,} people"
    )
    _say(
        "  queries per request (in-process, same data): "
        + ", ".join(f"{label} {sorted(n)}" for label, n in counts.items())
    )

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    results: dict[str, dict[str, float]] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/ping/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("api_latency: gunicorn did not start") from None
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            cookies = dict.fromkeys(SIGNED_IN, cookie)
            for label, urls in paths.items():  # warm-up: code paths, caches, connections
                _wrk(base, urls, 3, folder, cookies.get(label, ""))
            load = os.getloadavg()
            _say(
                f"  wrk: {CONNECTIONS} connections, {SECONDS} s per endpoint; load average "
                f"before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            )
            results["floor (first)"] = _wrk(base, paths["floor"], SECONDS, folder)
            results["catalog search"] = _wrk(base, paths["catalog search"], SECONDS, folder)
            results["feed"] = _wrk(base, paths["feed"], SECONDS, folder)
            for label in ("storyline takes", *SIGNED_IN):
                results[label] = _wrk(base, paths[label], SECONDS, folder, cookies.get(label, ""))
            results["floor (last)"] = _wrk(base, paths["floor"], SECONDS, folder)
    finally:
        server.terminate()
        server.wait(timeout=30)
    first, last = results["floor (first)"], results["floor (last)"]
    floor = {k: statistics.mean([first[k], last[k]]) for k in ("p50", "p90", "p99")}
    _say(_row("floor (first)", first, None))
    _say(_row("floor (last)", last, None))
    _say(f"  {'floor (mean)':<16} p50 {floor['p50']:7.2f} ms  p99 {floor['p99']:7.2f} ms")
    _say(_row("catalog search", results["catalog search"], floor))
    _say(_row("feed", results["feed"], floor))
    _say(_row("storyline takes", results["storyline takes"], floor))
    _say(_row("following feed", results["following feed"], floor))
    _say(_row("following API", results["following API"], floor))
    load = os.getloadavg()
    _say(f"  load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    failed = sum(r["errors"] for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
