"""The web pages under test: a browser-like Flask client, and the real app served on 127.0.0.1 for headless Chromium.

Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright for Python; `playwright install` is
never run. Without Chromium they are skipped — loudly, and never under CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.config import ROOT
from service.web.pages import vendor_ready
from tests.conftest import BROWSER_TESTS_SKIPPED, password_of
from tests.service.web.conftest import WebClient
from tests.workflows.conftest import cycle  # noqa: F401  (the real workflows/ deployed, rules and libraries seeded)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture
def web(app: Any) -> Any:
    """web() → a new browser-like client with no cookies."""
    return lambda: WebClient(app)


def signed_in(app: Any, username: str) -> WebClient:
    """A browser-like client signed in as `username`."""
    client = WebClient(app)
    client.login(username, password_of(username))
    return client


@pytest.fixture(scope="session")
def assets() -> bool:
    """The npm assets in service/web/static/vendor (built once by `make assets` when npm exists)."""
    if not vendor_ready() and shutil.which("npm") and shutil.which("make"):
        subprocess.run(["make", "-s", "assets"], cwd=ROOT, check=True)
    return vendor_ready()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, one per session."""
    if not CHROMIUM.exists():
        message = (f"{CHROMIUM} is missing: {BROWSER_TESTS_SKIPPED}. "
                   "Install it with `apt-get install -y chromium` (make test and .ci/run do).")
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # A shared machine is slow at times: assertions wait as long as actions do, and nothing waits needlessly.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    """The real app on a free port of 127.0.0.1, serving this test's database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Pages:
    """Browser sessions against the live server: one context (cookies, storage) per user."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.contexts: list[Any] = []

    def open(self, username: str, lang: str = "zh") -> Any:
        """A new page signed in as `username` (through the sign-in form)."""
        context = self.browser.new_context(locale="zh-CN" if lang == "zh" else "en-US",
                                           viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.goto(f"{self.base}/login")
        page.fill("#username", username)
        page.fill("#password", password_of(username))
        page.click("form button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Any, live: str, assets: bool) -> Iterator[Pages]:
    """Signed-in browser pages on the live server."""
    found = Pages(browser, live)
    yield found
    found.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep what the user saw as a test artifact (test-artifacts/screenshots/, git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
