"""The API's blueprints: bearer-token authentication, permission before input, strict JSON bodies, path ids
checked before any lookup.

Permission before validation: an operation restricted as a whole says so with `@requires(action)`, naming the
action of service/policy.py whose rule admits its callers; a before-request hook checks it after authentication
and before flask-smorest's `@blp.arguments` parses the body or query, so a forbidden caller gets 403 whatever
they send, never a 422 that would tell them how to shape a request they may not make.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import current_app, g, request
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from service import clock
from service.domain.roles import Principal
from service.errors import NotFound, Unauthorized
from service.input_guard import refuse_unstorable_body, refuse_unstorable_text
from service.people.tokens import principal_for_token
from service.policy import Action, require

MAX_JSON_DEPTH = 64


def strict_json(body: bytes) -> Any:
    """Parse a request body as JSON proper (json.JSONDecodeError if it is not).

    Python's json module accepts NaN and Infinity and turns 1e400 into infinity, none of which any JSON
    reader downstream accepts back; it raises plain ValueError on integers of more than 4300 digits and
    overflows the stack on deeply nested arrays. An empty body stays webargs' "missing".
    """
    text = body.decode("utf-8")  # webargs answers a UnicodeDecodeError with 400 too

    def invalid(message: str) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, text, 0)

    def refuse_constant(name: str) -> Any:
        raise invalid(f"{name} is not a JSON number")

    def finite_float(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise invalid(f"{literal[:40]} is out of range")
        return value

    try:
        value = json.loads(text, parse_constant=refuse_constant, parse_float=finite_float)
    except json.JSONDecodeError:
        raise
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        raise invalid("an integer has too many digits") from None
    except RecursionError:
        raise invalid(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise invalid(f"nested deeper than {MAX_JSON_DEPTH} levels")
    refuse_unstorable_body(value)  # 422: PostgreSQL's text cannot hold NUL
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class StrictJSONParser(FlaskParser):
    """webargs' Flask parser with strict_json: what is not JSON is a 400 like any malformed body.

    A schema class is instantiated once, not per request (webargs builds one each time, deep-copying every
    field: 3 % of a command's time); marshmallow 4's schemas keep no state between loads.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        return strict_json(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: every view needs a bearer token unless its class is marked @public."""

    ARGUMENTS_PARSER = StrictJSONParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(_authenticate)
        self.before_request(_authorize)
        self.before_request(_no_unstorable_path_values)
        self.before_request(refuse_unstorable_text)  # after who may: permission before validation


T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def requires(action: Action) -> Callable[[F], F]:
    """Restrict an operation to the callers the policy's `action` admits (given the path values).

    Checked before the body and query are parsed (see the module's docstring); document 403 on the operation.
    """
    def decorator(func: F) -> F:
        func.jixiao_requires = action  # type: ignore[attr-defined]
        return func

    return decorator


def requirement(view: Any, method: str) -> Action | None:
    """The `@requires` of the operation that `view` (a registered view function) serves for `method`."""
    view_class = getattr(view, "view_class", None)
    name = "get" if method.lower() == "head" else method.lower()
    func = getattr(view_class, name, None) if view_class is not None else view
    return getattr(func, "jixiao_requires", None)


def public(view_class: T) -> T:
    """Mark a MethodView as reachable without a token (health, the token endpoint)."""
    view_class.jixiao_public = True  # type: ignore[attr-defined]
    return view_class


def principal() -> Principal:
    """The authenticated user of this request."""
    return g.jixiao_principal


def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(getattr(view, "view_class", None), "jixiao_public", False):
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token (POST /api/auth/token) in the Authorization header")
    with current_app.extensions["jixiao"].reading() as conn:
        found = principal_for_token(conn, token.strip(), clock.now())
    if found is None:
        raise Unauthorized("the token is unknown, expired or revoked")
    g.jixiao_principal = found
    g.jixiao_token = token.strip()


def _authorize() -> None:
    if request.method == "OPTIONS":
        return
    needed = requirement(current_app.view_functions.get(request.endpoint or ""), request.method)
    if needed is not None:
        require(principal(), needed, request.view_args or {})


def _no_unstorable_path_values() -> None:
    # Integer ids are 32-bit columns (text the database cannot store: service/input_guard.py).
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 0 < value < 2**31:
            raise NotFound(f"no such {name.replace('_', ' ')}")  # nothing is stored under it
