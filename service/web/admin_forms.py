"""What the administration pages share: a posted form checked by the API's own schema, errors at their fields.

A page posts what the API operation takes; the operation's marshmallow schema checks it (one set of rules for
both), and a refusal from the domain (InvalidInput with field errors, Conflict) lands at the field it names.
Messages are the pages' own sentences per field (service/web/admin_texts.py), never the library's English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from service.db import Connection
from service.errors import Conflict, InvalidInput, JixiaoError, NotFound
from service.web import i18n


def message(field: str, kind: str = "invalid") -> str:
    """The sentence for a refused field: admin_err_<field>_<kind>, else admin_err_<field>, else a general one."""
    for key in (f"admin_err_{field}_{kind}", f"admin_err_{field}"):
        found = i18n.text(key)
        if found != key:
            return found
    return i18n.text("admin_err_invalid")


def text(name: str, limit: int = 2000) -> str | None:
    """A posted text field, trimmed; None when empty (a blank field means no value)."""
    value = request.form.get(name, "").strip()
    return value[:limit] if value else None


def load(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """`data` loaded by the API's schema: (the loaded body, {} ) or ({}, field → sentence)."""
    try:
        return schema.load(data), {}
    except ValidationError as refused:
        fields = refused.messages if isinstance(refused.messages, dict) else {"_": refused.messages}
        return {}, {str(name).rstrip("_"): message(str(name).rstrip("_")) for name in fields}


def refused(error: JixiaoError, default_field: str) -> dict[str, str]:
    """A domain refusal as field → sentence (the domain's field names, else `default_field`)."""
    kind = "exists" if isinstance(error, Conflict) else "unknown" if isinstance(error, NotFound) else "invalid"
    named = [e.get("field") for e in error.errors if isinstance(error, InvalidInput) and e.get("field")]
    return {str(f): message(str(f), kind) for f in named} or {default_field: message(default_field, kind)}


def saved(conn: Connection, save: Callable[[], object], default_field: str) -> dict[str, str]:
    """Run `save` under a savepoint of the page's unit of work: refused, it leaves nothing behind (also on
    PostgreSQL, where a failed statement spoils the transaction) and the page is shown again from the same
    transaction. The refusal's errors at their fields, {} when saved."""
    try:
        with conn.begin_nested():
            save()
    except JixiaoError as error:
        return refused(error, default_field)
    return {}
