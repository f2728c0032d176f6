"""Text the database can store, for every request: PostgreSQL's text cannot hold NUL (U+0000) and no encoding holds an
unpaired surrogate, so a request carrying one in its JSON body, its form or its query answered 500 on PostgreSQL (and
was stored on SQLite). It is refused before anything is written — 422, naming the top-level field (404 in a path:
nothing can be named so). The API checks its JSON bodies where it parses them (service/api/blueprint.py
`strict_json`), once; the `Text` field (service/api/schemas.py) answers the same for the fields it declares."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from flask import request

from service.api.schemas import UNSTORABLE_MESSAGE, unstorable
from service.errors import InvalidInput, NotFound

OWN_CHECKS = {"web.login_post"}  # views that answer unstorable input themselves (the sign-in page: 400, no attempt)


def holds_unstorable(value: Any) -> bool:
    """Whether a decoded JSON value holds, anywhere, a string (or a key) the database cannot store."""
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, dict):
        return any(unstorable(str(k)) or holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_unstorable(item) for item in value)
    return False


def refuse_unstorable_body(value: Any) -> None:
    """422 naming the top-level fields of a decoded JSON body that hold text the database cannot store."""
    if isinstance(value, dict):
        refuse([_name(str(k)) for k, v in value.items() if unstorable(str(k)) or holds_unstorable(v)])
    elif holds_unstorable(value):
        refuse([""])


def refuse_unstorable_text() -> None:
    """The API's before-request hook (after authentication and permission): the path, the query and a url-encoded
    form; its JSON bodies are checked where they are parsed."""
    if request.endpoint in OWN_CHECKS:
        return
    if any(isinstance(v, str) and unstorable(v) for v in (request.view_args or {}).values()):
        raise NotFound("no such resource: its name holds a character the database cannot store")
    sources = [request.args] + ([request.form] if request.mimetype == "application/x-www-form-urlencoded" else [])
    refuse([_name(key) for source in sources for key, values in source.lists()
            if unstorable(key) or any(unstorable(v) for v in values)])


def refuse_unstorable_page_input() -> None:
    """The pages' before-request hook: the path, the query, a url-encoded form, and a JSON body (no parser of the
    API's reads the pages' bodies). A body that is not JSON at all is left to the view (400); a multipart upload to
    the view, which sets its own size limits before the body is parsed."""
    refuse_unstorable_text()
    if request.endpoint not in OWN_CHECKS and request.is_json:
        with suppress(ValueError, RecursionError):
            refuse_unstorable_body(json.loads(request.get_data(cache=True)))


def refuse(fields: list[str]) -> None:
    if fields:
        raise InvalidInput(f"text {UNSTORABLE_MESSAGE}", [{"field": f, "message": UNSTORABLE_MESSAGE}
                                                          for f in dict.fromkeys(fields)])


def _name(key: str) -> str:
    """A field's name as the problem can carry it (an unstorable character escaped)."""
    return json.dumps(key)[1:-1] if unstorable(key) else key
