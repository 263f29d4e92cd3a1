"""Browser fixtures: the app on a real port and Debian's chromium driven by Playwright.

Every test gets a fresh browser context (English, no cookies) and a page that records
everything that went wrong in the browser: console errors (CSP violations show up here),
uncaught script errors, failed requests and HTTP errors. A test that expects an HTTP
error says so with `browser_problems.allow(path, status)`; anything else recorded fails
the test at teardown. A screenshot of the last state of every test is written to
test-artifacts/<test name>.png.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.mailings.workers import real_dispatch  # noqa: F401 (the mailing flow's worker)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Chromium's own console line for a response with an error status.
HTTP_STATUS_CONSOLE_RE = re.compile(r"status of (\d{3})\b")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if not path:
        pytest.skip(
            "chromium not installed: apt-get install chromium chromium-driver"
            " (make test does this as root)"
        )
    return path


@pytest.fixture
def live_server(app):
    """The test app on 127.0.0.1 and a free port; yields the base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class BrowserProblems:
    """What went wrong in the browser during one test, minus what the test expected."""

    def __init__(self):
        self.problems: list[str] = []
        self.allowed: set[tuple[str, int]] = set()

    def allow(self, path: str, status: int) -> None:
        """An HTTP error the test expects, e.g. ("/login", 422) for a failed sign-in."""
        self.allowed.add((path, status))

    def _is_allowed(self, url: str, status: int) -> bool:
        return (urlsplit(url).path, status) in self.allowed

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        match = HTTP_STATUS_CONSOLE_RE.search(message.text)
        if match and self._is_allowed(url, int(match.group(1))):
            return  # chromium logs every error status; this one was expected
        self.problems.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error) -> None:
        self.problems.append(f"page error: {error}")

    def on_request_failed(self, request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # the browser cancelled it because the page navigated on: not a fault
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(self, response) -> None:
        if response.status >= 400 and not self._is_allowed(response.url, response.status):
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )


@pytest.fixture
def browser_problems():
    return BrowserProblems()


def _artifact_name(node) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)


@pytest.fixture
def page(browser, live_server, browser_problems, request):
    """A fresh English page; fails the test if the browser reported anything unexpected."""
    context = browser.new_context(locale="en-US", base_url=live_server)
    # generous: argon2 and a loaded CI machine can take seconds; a test still fails
    # when what it waits for never comes
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.on("console", browser_problems.on_console)
        page.on("pageerror", browser_problems.on_page_error)
        page.on("requestfailed", browser_problems.on_request_failed)
        page.on("response", browser_problems.on_response)
        yield page
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request.node)}.png"), full_page=True)
    finally:
        context.close()
    assert browser_problems.problems == [], "the browser reported problems"
