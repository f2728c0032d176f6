"""What the library modules share: JSON list columns, the department chain a conflict is checked against."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from service.cycle.projects import SECTORS
from service.errors import InvalidInput
from service.models import Department

DEPARTMENTS = Department.__table__


def json_list(value: str | None) -> list[Any]:
    """A JSON list column's value (empty when unset)."""
    return list(json.loads(value)) if value else []


def dumps(value: Any) -> str:
    """JSON for a text column, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False)


def department_chain(conn: Connection, department_id: str) -> list[str]:
    """The department and its parents: an expert conflicted with a first-level department never reviews its
    units either (回避)."""
    chain = [department_id]
    current: str | None = department_id
    while current is not None:
        row = conn.execute(select(DEPARTMENTS.c.parent_id).where(DEPARTMENTS.c.id == current)).first()
        current = row.parent_id if row is not None else None
        if current is None or current in chain:
            break
        chain.append(current)
    return chain


def check_sectors(field: str, values: Iterable[str]) -> None:
    """Fields of a library member are the sectors the system knows (service.cycle.projects.SECTORS)."""
    bad = [v for v in values if v not in SECTORS]
    if bad:
        raise InvalidInput("unknown sector", [{"field": field, "message": f"unknown sector {v!r}"} for v in bad])


def check_departments(conn: Connection, field: str, values: Iterable[str]) -> None:
    """Conflicts name departments that exist."""
    wanted = set(values)
    known = set(conn.execute(select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.id.in_(wanted))).scalars())
    bad = sorted(wanted - known)
    if bad:
        raise InvalidInput("unknown department", [{"field": field, "message": f"no department {v!r}"} for v in bad])


def encode_fields_and_conflicts(conn: Connection, values: dict[str, Any]) -> None:
    """Check a member's sectors and conflicted departments and store them as sorted JSON lists (in place)."""
    if "fields" in values:
        check_sectors("fields", values["fields"])
        values["fields"] = dumps(sorted(set(values["fields"])))
    if "conflicts" in values:
        check_departments(conn, "conflicts", values["conflicts"])
        values["conflicts"] = dumps(sorted(set(values["conflicts"])))
