"""Browser journeys: Playwright drives Debian's Chromium (headless) against the live
test server, with a real Celery worker rendering on the test database.

Playwright's sync API runs an event loop in the test thread, so Django's guard against
ORM calls from async contexts is lifted for these tests only: the ORM calls here are
the test's own set-up and checks, made synchronously between browser steps."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = (
    Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).parents[2] / "var" / "test-artifacts"))
    / "browser"
)


@contextmanager
def _chromium(*args: str):
    """Debian's Chromium, headless, with ``args``. The ORM guard is lifted only while it
    runs: Playwright's sync API runs an event loop in this thread, and Django refuses
    ORM calls while one runs unless DJANGO_ALLOW_ASYNC_UNSAFE is set (the ORM calls then
    are the test's own set-up and checks, made synchronously between browser steps);
    `check --deploy`, which other tests run in a subprocess, rightly refuses it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=list(args)
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def chromium(live_server, pipeline):
    """Chromium for one test. It starts after the test's database and stops before the
    database is flushed."""
    with _chromium() as browser:
        yield browser


@pytest.fixture
def camera_chromium(live_server, transactional_db):
    """Chromium with a fake camera and microphone that it may use without asking (a
    test pattern and a beep): pages that record with getUserMedia and MediaRecorder. No
    worker: nothing it drives renders."""
    with _chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream") as b:
        yield b
        # The test's own ORM calls, made while Playwright's loop runs, opened a connection
        # of their own: close it here, in that same context, before the database goes.
        connections.close_all()


def _contexts(browser, live_server, request):
    """A factory of isolated browser sessions (one per person in the journey), all on
    the live server. A failing test leaves a screenshot of every open page."""
    contexts = []
    csp_violations: list[str] = []

    def watch(page):
        """Any message naming the Content-Security-Policy fails the test: something on
        the page was blocked (an inline script or style, eval, a foreign origin)."""

        def on_console(message):
            if "Content Security Policy" in message.text:
                csp_violations.append(f"{page.url}: console {message.type}: {message.text}")

        def on_page_error(error):
            if "Content Security Policy" in str(error):
                csp_violations.append(f"{page.url}: page error: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    def new(*, viewport=None, **options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            **options,
        )
        context.set_default_timeout(int(os.environ.get("BROWSER_TIMEOUT_MS", "15000")))
        context.on("page", watch)
        contexts.append(context)
        return context

    yield new
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            for number, page in enumerate(context.pages):
                screenshot(page, f"{request.node.name}-FAILED-{index}-{number}")
        context.close()
    assert not csp_violations, "\n".join(csp_violations)


@pytest.fixture
def browser_context(chromium, live_server, request):
    yield from _contexts(chromium, live_server, request)


@pytest.fixture
def camera_browser_context(camera_chromium, live_server, request):
    """browser_context's sessions, in the Chromium with a fake camera."""
    yield from _contexts(camera_chromium, live_server, request)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(context, email: str, password: str):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
