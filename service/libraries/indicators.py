"""The indicator library (绩效指标库): common indicators set by the bureau, individual ones proposed by
departments and confirmed by the bureau (DOMAIN.md, Libraries)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from service.errors import InvalidInput, NotFound
from service.libraries.common import DEPARTMENTS, check_keeper, district_of, dumps, json_list, shown
from service.models import LibraryIndicator

INDICATORS = LibraryIndicator.__table__
# The second level of the national framework; a third-level indicator belongs to one of them.
CATEGORIES = ("quantity", "quality", "timeliness", "cost", "economic", "social", "ecological", "sustainability",
              "satisfaction")


def _item(row: Any) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "name_en": row.name_en, "level": row.level,
            "parent_code": row.parent_code, "category": row.category, "scope": row.scope, "status": row.status,
            "definition": row.definition, "formula": row.formula, "quantitative": row.quantitative, "unit": row.unit,
            "default_weight": float(row.default_weight) if row.default_weight is not None else None,
            "sectors": json_list(row.sectors), "standards": json.loads(row.standards) if row.standards else {},
            "proposed_by": row.proposed_by, "comparator": row.comparator, "district_id": row.district_id}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_indicators(conn: Connection, *, sector: str | None = None, category: str | None = None,
                    level: int | None = None, q: str | None = None, scope: str | None = None,
                    status: str | None = None, department_id: str | None = None, owner: str | None = None,
                    viewer: str | None = None, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """Indicators by sector (those of every sector included), category, level, name; paged, ordered by code. A
    district's viewer sees its district's and the city's, `owner` narrows to one level's."""
    where = []
    if category is not None:
        where.append(INDICATORS.c.category == category)
    if level is not None:
        where.append(INDICATORS.c.level == level)
    if scope is not None:
        where.append(INDICATORS.c.scope == scope)
    if status is not None:
        where.append(INDICATORS.c.status == status)
    if department_id is not None:
        where.append(INDICATORS.c.proposed_by == department_id)
    if q:
        pattern = _like(q)
        where.append(or_(*(column.ilike(pattern, escape="\\") for column in
                           (INDICATORS.c.name, INDICATORS.c.name_en, INDICATORS.c.code))))
    rows = conn.execute(select(INDICATORS).where(*where).order_by(INDICATORS.c.level, INDICATORS.c.code)).all()
    if sector is not None:
        rows = [r for r in rows if not json_list(r.sectors) or sector in json_list(r.sectors)]
    viewer_district = district_of(conn, viewer)
    rows = [r for r in rows if shown(r.district_id, viewer_district=viewer_district, owner=owner)]
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [_item(r) for r in chosen], "total": len(rows)}


def get_indicator(conn: Connection, code: str) -> dict[str, Any]:
    """One indicator by code."""
    row = conn.execute(select(INDICATORS).where(INDICATORS.c.code == code)).first()
    if row is None:
        raise NotFound(f"no indicator {code!r}")
    return _item(row)


def propose_individual(conn: Connection, *, department_id: str, name: str, category: str, unit: str | None,
                       now: datetime) -> str:
    """A department's individual (个性) indicator, proposed for the bureau to confirm; the same name proposed
    again by the same department returns the existing code."""
    del now  # the library keeps no timestamps; the proposal's time is in the goal declaration that made it
    name = name.strip()
    errors = []
    if not name:
        errors.append({"field": "name", "message": "required"})
    if category not in CATEGORIES:
        errors.append({"field": "category", "message": f"one of {', '.join(CATEGORIES)}"})
    dept = conn.execute(select(DEPARTMENTS.c.id, DEPARTMENTS.c.sector).where(DEPARTMENTS.c.id == department_id)).first()
    if dept is None:
        errors.append({"field": "department_id", "message": "no such department"})
    if errors:
        raise InvalidInput("the indicator cannot be proposed", errors)
    existing = conn.execute(select(INDICATORS.c.code).where(INDICATORS.c.proposed_by == department_id,
                                                             INDICATORS.c.name == name)).first()
    if existing is not None:
        return str(existing.code)
    count = conn.execute(select(func.count()).select_from(INDICATORS)
                         .where(INDICATORS.c.proposed_by == department_id)).scalar_one()
    code = _free_code(conn, department_id, count + 1)
    conn.execute(insert(INDICATORS).values(
        code=code, name=name, name_en=None, level=3, parent_code=f"L2-{category}", category=category,
        scope="individual", status="proposed", definition=None, formula=None, quantitative=True, unit=unit,
        default_weight=None, sectors=dumps([dept.sector] if dept and dept.sector else []), standards=dumps({}),
        proposed_by=department_id, district_id=district_of(conn, department_id)))
    return code


def _free_code(conn: Connection, department_id: str, number: int) -> str:
    while True:  # codes hold 50 characters: a long department id is cut, so a code may already be taken
        code = f"P-{department_id[:40]}-{number:03d}"
        if conn.execute(select(INDICATORS.c.code).where(INDICATORS.c.code == code)).first() is None:
            return code
        number += 1


def confirm(conn: Connection, code: str, keeper: str | None = None) -> dict[str, Any]:
    """The bureau of the indicator's level confirms a proposed individual indicator: the city's bureau the city's
    departments', a district's finance bureau its departments' (confirming twice changes nothing)."""
    check_keeper(conn, keeper, get_indicator(conn, code)["district_id"])
    conn.execute(update(INDICATORS).where(INDICATORS.c.code == code).values(status="confirmed"))
    return get_indicator(conn, code)


def propose(conn: Connection, *, department_id: str, name: str, category: str, unit: str | None,
            now: datetime) -> dict[str, Any]:
    """propose_individual, answered with the indicator (for the API)."""
    return get_indicator(conn, propose_individual(conn, department_id=department_id, name=name, category=category,
                                                  unit=unit, now=now))
