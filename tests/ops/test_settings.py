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
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DATABASE_REPLICA_URL"
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
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
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
