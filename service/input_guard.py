"""Text the database can store, for every request: PostgreSQL's text cannot hold NUL (U+0000) and no encoding holds an
unpaired surrogate, so a request carrying one in its JSON body, its form or its query answered 500 on PostgreSQL (and
was stored on SQLite). It is refused before the view runs — 422, naming where (404 in a path: nothing can be named
so) — and nothing is written. The API's
`Text` field (service/api/schemas.py) gives the same answer for the fields it declares; this covers the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from flask import request

from service.api.schemas import UNSTORABLE_MESSAGE, unstorable
from service.errors import InvalidInput, NotFound

OWN_CHECKS = {"web.login_post"}  # views that answer unstorable input themselves


def unstorable_fields(value: Any, path: str = "") -> Iterator[str]:
    """Where in a decoded JSON value (or a form's lists) a string the database cannot store sits: "a/b/0"."""
    if isinstance(value, str):
        if unstorable(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}/{_name(str(key))}" if path else _name(str(key))
            if unstorable(str(key)):
                yield where
            yield from unstorable_fields(item, where)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from unstorable_fields(item, f"{path}/{n}" if path else str(n))


def refuse_unstorable_text() -> None:
    """A before-request hook (the API's blueprints run it after authentication and permission, the pages' before
    their views): 422 when the query, a url-encoded form or the JSON body holds text the database cannot store,
    naming the top-level field; 404 when a path value does. A body that is not JSON at all is left to the view's
    parser (400); a multipart upload to the view, which sets its own size limits before the body is parsed; the
    sign-in page answers its own 400 (service/web/login.py) and counts no attempt."""
    if request.endpoint in OWN_CHECKS:
        return
    if any(isinstance(v, str) and unstorable(v) for v in (request.view_args or {}).values()):
        raise NotFound("no such resource: its name holds a character the database cannot store")
    sources = [request.args] + ([request.form] if request.mimetype == "application/x-www-form-urlencoded" else [])
    fields = [_name(key) for source in sources for key, values in source.lists()
              if unstorable(key) or any(unstorable(v) for v in values)]
    if request.is_json:
        with suppress(ValueError, RecursionError):  # not JSON at all: the view's parser answers 400
            fields += [where.split("/")[0] for where in unstorable_fields(json.loads(request.get_data(cache=True)))]
    if fields:
        raise InvalidInput(f"text {UNSTORABLE_MESSAGE}", [{"field": f, "message": UNSTORABLE_MESSAGE}
                                                          for f in dict.fromkeys(fields)])


def _name(key: str) -> str:
    """A field's name as the problem can carry it (an unstorable character escaped)."""
    return json.dumps(key)[1:-1] if unstorable(key) else key
