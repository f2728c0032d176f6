"""What every page module shares: the runtime, the signed-in principal, paging, domain errors as pages."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlencode

from flask import current_app, g, render_template, request

from service.api.problems import STATUS
from service.db import Connection
from service.domain.roles import Principal
from service.errors import Forbidden, JixiaoError
from service.queries import process_models_queries
from service.queries.departments import department_names
from service.runtime import Runtime
from service.web import bp, i18n
from service.web.session_auth import current_web_user, page_transaction, serving

VENDOR = Path(__file__).parent / "static" / "vendor"
PER_PAGE = 20


def runtime() -> Runtime:
    """The process's runtime (settings, database, workflow service)."""
    return current_app.extensions["jixiao"]


@contextmanager
def reading() -> Iterator[Connection]:
    """The page's read: a form's unit of work while it is open, else the request's read (a GET's one read, shared
    from the sign-in check on: service/request_reads.py), else a short read that is the page's while it lasts (a page
    shown again after a workflow command)."""
    opened = page_transaction()
    if opened is not None:
        yield opened
        return
    with runtime().reading() as conn, serving(conn):
        yield conn


@contextmanager
def unit_of_work() -> Iterator[Connection]:
    """A form's one write transaction: its checks, its save and, when refused, the page shown again all read and
    write in it (the template's names too)."""
    with runtime().unit_of_work() as conn, serving(conn):
        yield conn


def viewer() -> Principal:
    """The signed-in user (pages call this behind login_required)."""
    user = current_web_user()
    if user is None:
        raise Forbidden("not signed in")
    return user


def vendor_ready() -> bool:
    """Were the npm assets (bpmn-js, the properties panel, Chart.js) installed by `make assets`?"""
    return (VENDOR / "bpmn-navigated-viewer.production.min.js").is_file()


def department_name(department_id: str | None) -> str:
    """A department's name in the page's language (read once per request), or "—"."""
    if not department_id:
        return "—"
    if "jixiao_departments" not in g:
        with reading() as conn:
            g.jixiao_departments = department_names(conn, i18n.current())
    return str(g.jixiao_departments.get(department_id, department_id))


def process_name(process_id: str | None) -> str:
    """A process by its modelled name (绩效目标编报与审核…), read once per request; its id when it has none."""
    if not process_id:
        return "—"
    if "jixiao_processes" not in g:
        with reading() as conn:
            g.jixiao_processes = process_models_queries.latest_names(conn)
    return i18n.process_label(str(g.jixiao_processes.get(process_id, process_id)))


@overload
def choice(args: Mapping[str, str], name: str, allowed: Collection[str], default: str) -> str: ...
@overload
def choice(args: Mapping[str, str], name: str, allowed: Collection[str], default: None = None) -> str | None: ...
def choice(args: Mapping[str, str], name: str, allowed: Collection[str], default: str | None = None) -> str | None:
    """The query-string value `name` if it is one of `allowed`, else `default`."""
    value = args.get(name)
    return value if value is not None and value in allowed else default


def page_number(name: str = "page") -> int:
    """A page number from the query string (1 for anything that is not a positive integer)."""
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


def pager(total: int, page: int, per_page: int = PER_PAGE) -> dict[str, Any]:
    """What the paging links need: this page, the last page, links to the previous and next ones."""
    last = max(1, math.ceil(total / per_page))
    args = request.args.to_dict()

    def link(number: int) -> str:
        return "?" + urlencode({**args, "page": str(number)})

    return {"page": page, "last": last, "total": total, "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last else None}


def error_page(error: JixiaoError) -> tuple[str, int]:
    """A domain error as a page, with the status the API would answer."""
    status = next((STATUS[c] for c in type(error).__mro__ if c in STATUS), 400)  # as the API answers it
    key = {404: "error_not_found", 403: "error_forbidden", 409: "error_conflict", 413: "error_too_large",
           429: "error_too_many"}.get(status, "error_invalid")
    # The domain's own detail is written in English: it is shown on English pages only (the sentence says enough).
    detail = error.detail if i18n.current() == "en" else None
    return render_template("web/error.html", message=i18n.text(key), detail=detail), status


@bp.errorhandler(JixiaoError)
def _domain_error(error: JixiaoError) -> tuple[str, int]:
    return error_page(error)
