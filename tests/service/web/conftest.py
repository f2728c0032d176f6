"""A browser-like test client for the web pages: keeps cookies, reads the CSRF token from the form it was shown."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

_CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')


class WebClient:
    """Flask's test client driven like a browser: forms are posted with the CSRF token from the page."""

    def __init__(self, app: Any) -> None:
        self.http = app.test_client()
        self.page: Any = None

    def get(self, path: str, **kwargs: Any) -> Any:
        self.page = self.http.get(path, **kwargs)
        return self.page

    def csrf_token(self) -> str:
        """The token of the last page shown (the sign-in form if no page has been shown yet)."""
        if self.page is None or not _CSRF_FIELD.search(self.page.get_data(as_text=True)):
            self.get("/login")
        found = _CSRF_FIELD.search(self.page.get_data(as_text=True))
        assert found, "the page has no csrf_token field"
        return found.group(1)

    def submit(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """POST a form as the browser would, with the CSRF token of the page it is on."""
        return self.http.post(path, data={**(data or {}), "csrf_token": self.csrf_token()}, **kwargs)

    def login(self, username: str, password: str, next_path: str | None = None) -> Any:
        self.get("/login")
        path = "/login" if next_path is None else f"/login?{urlencode({'next': next_path})}"
        return self.submit(path, {"username": username, "password": password})

    def session(self) -> dict[str, Any]:
        with self.http.session_transaction() as sess:
            return dict(sess)


@pytest.fixture
def web(app: Any) -> Any:
    """web() → a new browser-like client with no cookies."""
    return lambda: WebClient(app)


# The browser tests' fixtures and hooks (headless Chromium, the live server, screenshots).
from tests.service.web.browser_fixtures import *  # noqa: E402, F403
