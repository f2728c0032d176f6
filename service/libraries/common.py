"""What the library modules share: JSON list columns, the department chain a conflict is checked against."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from service.cycle.projects_records import SECTORS
from service.errors import Forbidden, InvalidInput
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
    """Fields of a library member are the sectors the system knows (service.cycle.projects_records.SECTORS)."""
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


CITY = "city"  # the owner filter's name for the city's (市级) entries, stored as district_id None


def district_of(conn: Connection, department_id: str | None) -> str | None:
    """The district whose libraries a department keeps and draws on: a district finance bureau is its own district,
    a district department (or its unit) belongs to its bureau's; the city's departments and the bureau-wide
    (None) are the city's."""
    current = department_id
    seen: set[str] = set()
    while current is not None and current not in seen:
        seen.add(current)
        row = conn.execute(select(DEPARTMENTS.c.level, DEPARTMENTS.c.kind, DEPARTMENTS.c.district_id,
                                  DEPARTMENTS.c.parent_id).where(DEPARTMENTS.c.id == current)).first()
        if row is None or row.level != "district":
            return None
        if row.district_id is not None:
            return str(row.district_id)
        if row.kind == "bureau":
            return current
        current = row.parent_id
    return None


def shown(entry_district: str | None, *, viewer_district: str | None, owner: str | None) -> bool:
    """Whether a library entry is listed: a district sees its own entries and the city's (it draws on both), the
    city sees every level's; `owner` narrows to the city's (CITY) or one district's."""
    if viewer_district is not None and entry_district not in (None, viewer_district):
        return False
    if owner is None:
        return True
    return entry_district is None if owner == CITY else entry_district == owner


def drawn_from(entry_district: str | None, project_district: str | None) -> bool:
    """A district project draws on its district's entries and the city's; a city project on the city's only."""
    return entry_district is None or entry_district == project_district


def check_keeper(conn: Connection, keeper_department: str | None, entry_district: str | None) -> None:
    """Each level keeps its own entries: a district's administrator cannot change the city's, nor the city's a
    district's."""
    keeper = district_of(conn, keeper_department)
    if keeper != entry_district:
        raise Forbidden("the city's library entries are kept by the city" if entry_district is None
                        else "a district's library entries are kept by that district")
