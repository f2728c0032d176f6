"""Who is signed in to the web pages: the Flask session holds a user name and a login time, nothing more.

The session never authenticates the API, which stays bearer-token only (service/api/blueprint.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from service import clock, db
from service.db import Connection
from service.domain.roles import Principal
from service.people.directory import principal_of
from service.runtime import Runtime

_USER = "user"
_LOGIN_AT = "login_at"
_CACHE = "jixiao_web_user"
_PAGE_TRANSACTION = "jixiao_page_transaction"

P = ParamSpec("P")
R = TypeVar("R", bound=ResponseReturnValue)


def _runtime() -> Runtime:
    return current_app.extensions["jixiao"]


def sign_in(username: str, now: datetime) -> None:
    """Start a new session for `username`; whatever the old session held (its CSRF token too) is dropped."""
    session.clear()
    session[_USER] = username
    session[_LOGIN_AT] = int(now.timestamp())
    g.pop(_CACHE, None)


def sign_out() -> None:
    """End the session."""
    session.clear()
    g.pop(_CACHE, None)


def page_transaction() -> Connection | None:
    """The transaction this page opened (a GET's read behind login_required, a form's unit of work), or None."""
    return g.get(_PAGE_TRANSACTION)


@contextmanager
def serving(conn: Connection) -> Iterator[Connection]:
    """`conn` is the page's transaction while the block runs: what the page reads, its template too, reads in it."""
    outer = page_transaction()
    setattr(g, _PAGE_TRANSACTION, conn)
    try:
        yield conn
    finally:
        if outer is None:
            g.pop(_PAGE_TRANSACTION, None)
        else:
            setattr(g, _PAGE_TRANSACTION, outer)


def current_web_user() -> Principal | None:
    """The signed-in user, or None: no session, a session older than the token lifetime, or a disabled user."""
    if _CACHE not in g:
        setattr(g, _CACHE, _load())
    return getattr(g, _CACHE)


def _load() -> Principal | None:
    username, login_at = session.get(_USER), session.get(_LOGIN_AT)
    if not isinstance(username, str) or not isinstance(login_at, int):
        return None
    rt = _runtime()
    found = None
    # A session lasts no longer than a bearer token (JIXIAO_TOKEN_TTL_SECONDS): a signed cookie cannot be
    # revoked on the server, so its age is the only bound on a stolen one.
    if clock.now().timestamp() - login_at <= rt.settings.token_ttl_seconds:
        within = page_transaction()  # a form's unit of work; else the request's read (a GET's is shared)
        with db.read(rt.engine, within) if within is not None else rt.reading() as conn:
            found = principal_of(conn, username)
    if found is None:
        session.pop(_USER, None)
        session.pop(_LOGIN_AT, None)
    return found


def login_required(view: Callable[P, R]) -> Callable[P, ResponseReturnValue]:
    """Send visitors who are not signed in to /login, coming back here afterwards.

    A page that shows (GET, HEAD) is one unit of work (DESIGN.md, "Units of work"): the request's one read
    (service/request_reads.py) finds the signed-in user and serves the view and its template; a form that saves opens
    its own (pages.unit_of_work()) in the view."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if current_web_user() is None:
            here = request.path + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
            return redirect(url_for("web.login", next=here))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else "/" (no open redirects to other hosts or schemes)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become "//evil.example".
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
