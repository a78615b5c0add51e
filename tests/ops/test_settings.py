import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Zq!vR2#mB7@pL4$wT8^nF6&hJ1*cD5(eG0)" * 2,
    "DJANGO_ALLOWED_HOSTS": "cocreate.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "SITE_URL": "https://cocreate.example",
    # Media in object storage, production's default (config/settings/storage.py).
    "MEDIA_S3_BUCKET": "cocreate-media",
    "MEDIA_S3_REGION": "eu-west-1",
    "MEDIA_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "MEDIA_S3_SECRET_ACCESS_KEY": "example-secret",
}
STORAGE_VARIABLES = (
    "MEDIA_STORAGE",
    "MEDIA_S3_ENDPOINT_URL",
    "MEDIA_S3_PREFIX",
    "CSP_MEDIA_SOURCES",
)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k not in STORAGE_VARIABLES and k != "DATABASE_REPLICA_URL"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "replica",
    [{}, {"DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5433/test"}],
    ids=["primary only", "with a read replica"],
)
def test_production_settings_pass_check_deploy_with_no_warnings(replica):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, **replica}
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "MEDIA_S3_BUCKET"],
)
def test_production_refuses_to_start_without_a_required_setting(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize("empty", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_refuses_an_empty_stripe_key_rather_than_run_in_test_mode(empty):
    result = _manage("check", env={**PRODUCTION_ENV, empty: ""})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "never runs payments in test mode" in result.stderr


def test_production_sends_cookies_over_https_only_with_hsts_and_the_csp():
    script = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        "'preload': s.SECURE_HSTS_PRELOAD, 'redirect': s.SECURE_SSL_REDIRECT,"
        "'proxy': s.SECURE_PROXY_SSL_HEADER, 'proxies': s.ALLAUTH_TRUSTED_PROXY_COUNT,"
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES'],"
        "'middleware': 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE}))"
    )

    result = _manage("shell", "-c", script, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["session"] is True and values["csrf"] is True
    assert values["hsts"] >= 365 * 24 * 3600
    assert values["subdomains"] is True and values["preload"] is True
    assert values["redirect"] is True
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["proxies"] == 1
    assert values["middleware"] is True
    assert values["csp"]["script-src"] == ["'self'"]
    assert values["csp"]["object-src"] == ["'none'"]
    assert values["csp"]["frame-ancestors"] == ["'none'"]


@pytest.mark.postgresql
@pytest.mark.parametrize(("override", "expected"), [(None, "1.1"), ("2", "2")])
def test_postgresql_connections_start_with_the_ssd_random_page_cost(override, expected):
    # given: production settings, with and without the override
    env = dict(PRODUCTION_ENV)
    if override is not None:
        env["DATABASE_RANDOM_PAGE_COST"] = override
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW random_page_cost'); print(c.fetchone()[0])"
    )

    # when: a connection asks PostgreSQL what its planner uses
    result = _manage("shell", "-c", script, env=env)

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_the_wsgi_entry_point_freezes_what_it_loaded_out_of_the_collectors_reach():
    # given: a fresh process loading the application the way gunicorn does
    script = (
        "import gc; import config.wsgi\n"
        "from licensing.api.views import CharacterListCreateView as view\n"
        "print(gc.get_freeze_count(), any(o is view for o in gc.get_objects()))"
    )

    # when
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: the heap is frozen, views included (they were imported before the freeze,
    # so the collector no longer tracks them)
    assert result.returncode == 0, result.stderr
    frozen, view_tracked = result.stdout.split()
    assert int(frozen) > 0
    assert view_tracked == "False"


def _settings(script: str, env: dict[str, str]) -> dict:
    prelude = "import json; from django.conf import settings as s; "
    result = _manage("shell", "-c", prelude + script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_media_in_the_private_bucket_on_short_presigned_urls():
    # when: production's settings, with only the bucket's variables about media
    values = _settings(
        "print(json.dumps({'storage': s.STORAGES['default'], 'kind': s.MEDIA_STORAGE,"
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']}))",
        env=PRODUCTION_ENV,
    )

    # then: S3 through django-storages, private objects, URLs as short as the media view's
    storage = values["storage"]
    assert values["kind"] == "s3"
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "cocreate-media"
    assert options["region_name"] == "eu-west-1"
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 300
    assert options["file_overwrite"] is False
    # and the pages may load media from the bucket (and only media)
    origin = "https://cocreate-media.s3.eu-west-1.amazonaws.com"
    assert origin in values["csp"]["media-src"]
    assert origin in values["csp"]["img-src"]
    assert origin not in values["csp"]["script-src"]
    assert origin not in values["csp"]["connect-src"]


def test_production_with_another_s3_store_passes_check_deploy():
    # given: an S3-compatible store that is not AWS (MinIO, Ceph...), addressed by path
    env = {**PRODUCTION_ENV, "MEDIA_S3_ENDPOINT_URL": "https://objects.cocreate.example:9000"}

    # when
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    values = _settings(
        "print(json.dumps({'o': s.STORAGES['default']['OPTIONS'], "
        "'m': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['media-src']}))",
        env=env,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert values["o"]["endpoint_url"] == "https://objects.cocreate.example:9000"
    assert values["o"]["addressing_style"] == "path"
    assert "https://objects.cocreate.example:9000" in values["m"]


def test_production_on_one_host_may_keep_media_on_the_filesystem_when_it_says_so():
    # given: no bucket, and MEDIA_STORAGE=filesystem said explicitly
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("MEDIA_S3_")}
    env["MEDIA_STORAGE"] = "filesystem"

    # when
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    values = _settings("print(json.dumps(s.STORAGES['default']))", env=env)

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert values == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE"),
        ({"MEDIA_S3_SECRET_ACCESS_KEY": ""}, "MEDIA_S3_SECRET_ACCESS_KEY"),
        ({"MEDIA_S3_ACCESS_KEY_ID": ""}, "MEDIA_S3_ACCESS_KEY_ID"),
        ({"MEDIA_S3_ENDPOINT_URL": "objects.example:9000"}, "MEDIA_S3_ENDPOINT_URL"),
    ],
)
def test_production_refuses_to_start_with_incomplete_object_storage_naming_the_variable(
    change, named
):
    result = _manage("check", env={**PRODUCTION_ENV, **change})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr
