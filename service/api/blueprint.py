"""The API's blueprints: request bodies parsed as strict JSON, path ids checked before any lookup."""

from __future__ import annotations

import json
import math
from typing import Any

import flask_smorest
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from service.api.schemas import unstorable
from service.errors import NotFound

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
    """webargs' Flask parser with strict_json: what is not JSON is a 400 like any malformed body."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        return strict_json(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: strict JSON bodies, and path ids the database can look up."""

    ARGUMENTS_PARSER = StrictJSONParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(_no_unstorable_path_values)


def _no_unstorable_path_values() -> None:
    # PostgreSQL refuses NUL in a query parameter; nothing is stored under such an id.
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and unstorable(value):
            raise NotFound(f"no such {name.replace('_', ' ')}")
