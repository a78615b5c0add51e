"""No process relies on a shared disk: a web process (gunicorn) and two Celery workers,
each with its own empty MEDIA_ROOT and temporary folder, and an S3-protocol server on
loopback (moto's ThreadedMotoServer, tests/objectstore.py) as the only media storage,
run a generation and a remix of it to the end. Every file the pipeline reads (reference
images, the parent video, the rendered files between render and sign) comes out of the
bucket, and what it makes goes back into it.

The broker is a private Redis server (tests/faults/conftest.py's ``RedisServer``), so the
session's own worker, on the shared media folder, never takes one of these tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from marketplace.models import Work
from marketplace.provenance.verify import verify_media
from tests.factories import CharacterFactory, UserFactory, grant_for
from tests.faults.conftest import RedisServer, _app_broker, _free_port
from tests.marketplace.conftest import wait_for, with_image
from tests.workers import ROOT, WorkerProcess, start_worker, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgresql]

REMIX_TERMS = {
    "allowed_actions": ["generate", "remix", "publish"],
    "remix_policy": "same_terms",
    "rev_share_bps": 1_000,
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_no_redirect = urllib.request.build_opener(_NoRedirect)


def _call(url: str, *, token: str = "", body: dict | None = None):
    """An HTTP call to the web process: (status, headers, body bytes), never following
    a redirect."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Token {token}"} if token else {}),
        },
    )
    try:
        with _no_redirect.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read()


def _start_web(*, env: dict[str, str], log_path: Path) -> tuple[WorkerProcess, str]:
    """gunicorn, as production runs the web, on a free port; waits for /healthz/."""
    port = _free_port()
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    web = WorkerProcess(process=process, log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if _call(f"{url}/healthz/")[0] == 200:
                return web, url
        except OSError:
            pass
        if not web.alive() or time.monotonic() > deadline:
            web.kill()
            raise RuntimeError("the web process did not start:\n" + web.log())
        time.sleep(0.2)


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def cluster(transactional_db, settings, tmp_path, object_storage, provenance_keys, monkeypatch):
    """The web and two workers on their own folders, the bucket and a private broker;
    this process (which only builds the world and reads results) on the same."""
    broker = RedisServer(data_dir=tmp_path / "redis").start()
    cache_db = int(os.environ.get("TEST_CACHE_DB", "15"))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": broker.url(cache_db),
            "KEY_PREFIX": "cocreate-test",
        }
    }
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    from licensing.policy.registry import forget_local_registry

    forget_local_registry()
    hosts = {}
    for name in ("web", "worker-a", "worker-b"):
        host = tmp_path / name
        (host / "media").mkdir(parents=True)
        (host / "tmp").mkdir()
        hosts[name] = host

    def env_of(name: str) -> dict[str, str]:
        return worker_env(
            redis_url=broker.url(0),
            media_root=hosts[name] / "media",
            provenance_keys=provenance_keys,
            extra={**object_storage.env(), "TMPDIR": str(hosts[name] / "tmp")},
        )

    processes: list[WorkerProcess] = []
    try:
        with _app_broker(broker.url(0)):
            web, url = _start_web(env=env_of("web"), log_path=tmp_path / "web.log")
            processes.append(web)
            for name in ("worker-a", "worker-b"):
                processes.append(
                    start_worker(
                        env=env_of(name),
                        log_path=tmp_path / f"{name}.log",
                        hostname=f"{name}-{os.getpid()}@%h",
                    )
                )
            yield {"url": url, "hosts": hosts, "bucket": object_storage, "processes": processes}
    finally:
        for process in processes:
            process.stop()
        broker.kill()


def test_a_generation_and_its_remix_complete_with_no_shared_disk(cluster, settings):
    url, bucket, hosts = cluster["url"], cluster["bucket"], cluster["hosts"]
    # given: a creator licensed for a character whose reference image is in the bucket
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator, **REMIX_TERMS)
    token = Token.objects.create(user=creator).key
    assert any(key.startswith(f"characters/{hoshi.pk}/") for key in bucket.object_keys())

    # when: the creator generates through the web process, then remixes the result
    status, _, body = _call(
        f"{url}/api/v1/generations/",
        token=token,
        body={"prompt": "Hoshi-chan waves", "character_ids": [str(hoshi.pk)], "duration_s": 4},
    )
    assert status == 202, body
    first = wait_for(json.loads(body)["id"], timeout=300)
    assert first.status == "published", (first.status, first.reason)
    original = Work.objects.get(request=first)
    status, _, body = _call(
        f"{url}/api/v1/generations/",
        token=token,
        body={
            "prompt": "Hoshi-chan waves again",
            "parent_work_id": str(original.pk),
            "duration_s": 4,
        },
    )
    assert status == 202, body
    second = wait_for(json.loads(body)["id"], timeout=300)

    # then: both are published, their signed files are in the bucket and the rendered
    # (unsigned) ones were removed once signed
    assert second.status == "published", (second.status, second.reason)
    remix = Work.objects.get(request=second)
    assert remix.parent_id == original.pk
    keys = bucket.object_keys()
    for work in (original, remix):
        assert {f"works/{work.pk}/video.mp4", f"works/{work.pk}/poster.jpg"} <= set(keys)
    # (routing deletes them just after it commits the publication the test waits for)
    deadline = time.monotonic() + 30
    while bucket.object_keys("renders/") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert bucket.object_keys("renders/") == []
    # and: no process wrote media, or left a working file, on its own disk
    for name, host in hosts.items():
        assert _files_under(host / "media") == [], name
        assert [p.name for p in (host / "tmp").iterdir() if p.name.startswith("cocreate-")] == [], (
            name
        )
    assert not Path(settings.MEDIA_ROOT).exists() or _files_under(Path(settings.MEDIA_ROOT)) == []
    # and: the steps ran in the worker processes (which of the two took which is the
    # broker's choice)
    steps = ("generation_check", "generation_render", "generation_sign", "generation_route")
    ran = {
        name: {step: log.count(f"Task marketplace.{step}[") // 2 for step in steps}
        for name, log in zip(
            ("worker-a", "worker-b"),
            (process.log() for process in cluster["processes"][1:]),
            strict=True,
        )
    }
    print(f"\nsteps run (received and finished) per worker: {ran}")
    for step in steps:
        assert sum(counts[step] for counts in ran.values()) >= 2, (step, ran)

    # when: the remix's signed video is fetched the way a player does: the web's media
    # URL from the API, which redirects to a presigned URL of the bucket
    status, _, body = _call(f"{url}/api/v1/works/{remix.pk}/", token=token)
    assert status == 200, body
    video_url = json.loads(body)["video_url"]
    status, headers, _ = _call(video_url)
    assert status == 302, headers
    location = headers["Location"]
    assert location.startswith(f"{bucket.endpoint}/{bucket.name}/works/{remix.pk}/video.mp4?")
    with urllib.request.urlopen(location, timeout=30) as response:  # noqa: S310 (loopback)
        video = response.read()

    # then: it is the stored object, and its C2PA manifest verifies, naming the parent
    assert video == bucket.read(f"works/{remix.pk}/video.mp4")
    result = verify_media(data=video, mime="video/mp4")
    assert result.state == "Trusted", result.errors
    assert "c2pa.opened" in result.actions
    assert result.parent_work_id == str(original.pk)
