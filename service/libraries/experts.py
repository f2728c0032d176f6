"""The expert library (专家学者库): members, the random draw of a review panel, ratings per engagement."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from service import clock, db
from service.cycle import projects
from service.domain import draw
from service.errors import InvalidInput, NotFound
from service.libraries.common import department_chain, encode_fields_and_conflicts, json_list
from service.models import Expert, ExpertEngagement
from service.rules import store as rules

EXPERTS = Expert.__table__
ENGAGEMENTS = ExpertEngagement.__table__
EDITABLE = ("username", "name", "employer", "title", "fields", "conflicts", "available")


def _item(row: Any, engagements: int = 0) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "name": row.name, "employer": row.employer, "title": row.title,
            "fields": json_list(row.fields), "conflicts": json_list(row.conflicts), "available": row.available,
            "engagements": engagements}


def _year_counts(conn: Connection, fiscal_year: int) -> dict[int, int]:
    rows = conn.execute(select(ENGAGEMENTS.c.expert_id, func.count()).where(ENGAGEMENTS.c.fiscal_year == fiscal_year)
                        .group_by(ENGAGEMENTS.c.expert_id))
    return {expert_id: count for expert_id, count in rows}


def list_experts(conn: Connection, *, fiscal_year: int, field: str | None = None, available: bool | None = None,
                 page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """Experts with their engagements in `fiscal_year`, paged."""
    rows = conn.execute(select(EXPERTS).order_by(EXPERTS.c.id)).all()
    if field is not None:
        rows = [r for r in rows if field in json_list(r.fields)]
    if available is not None:
        rows = [r for r in rows if r.available == available]
    counts = _year_counts(conn, fiscal_year)
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [_item(r, counts.get(r.id, 0)) for r in chosen], "total": len(rows)}


def get_expert(conn: Connection, expert_id: int) -> dict[str, Any]:
    """One expert."""
    row = conn.execute(select(EXPERTS).where(EXPERTS.c.id == expert_id)).first()
    if row is None:
        raise NotFound(f"no expert {expert_id}")
    return _item(row)


def _values(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in EDITABLE}
    encode_fields_and_conflicts(conn, values)
    return values


def create_expert(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Add an expert to the library."""
    values = {"fields": [], "conflicts": [], "available": True, "title": None, "username": None, **data}
    new_id = db.inserted_id(conn.execute(insert(EXPERTS).values(**_values(conn, values))))
    return get_expert(conn, new_id)


def update_expert(conn: Connection, expert_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change an expert's availability, conflicts, fields or particulars."""
    get_expert(conn, expert_id)
    values = _values(conn, changes)
    if values:
        conn.execute(update(EXPERTS).where(EXPERTS.c.id == expert_id).values(**values))
    return get_expert(conn, expert_id)


def _panel(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(EXPERTS.c.id, EXPERTS.c.name, EXPERTS.c.username)
                        .join(ENGAGEMENTS, ENGAGEMENTS.c.expert_id == EXPERTS.c.id)
                        .where(ENGAGEMENTS.c.project_id == project_id).order_by(ENGAGEMENTS.c.id)).all()
    return [{"id": r.id, "name": r.name, "username": r.username} for r in rows]


def draw_panel(conn: Connection, *, project_id: str, department_id: str, sector: str, fiscal_year: int,
               now: datetime) -> list[dict[str, Any]]:
    """The expert panel of a project's review: drawn once and recorded; a repeated draw returns the same panel."""
    existing = _panel(conn, project_id)
    if existing:
        return existing
    level = projects.get(conn, project_id).level
    size = int(rules.get(conn, fiscal_year, level, "experts.panel_size"))
    cap = int(rules.get(conn, fiscal_year, level, "experts.max_engagements_per_year"))
    counts = _year_counts(conn, fiscal_year)
    candidates = [draw.ExpertCandidate(id=r.id, name=r.name, username=r.username,
                                       fields=frozenset(json_list(r.fields)),
                                       conflicts=frozenset(json_list(r.conflicts)), available=r.available,
                                       engagements=counts.get(r.id, 0))
                  for r in conn.execute(select(EXPERTS))]
    rng = random.Random(draw.seed_for(project_id, fiscal_year))
    picked = draw.draw_experts(candidates, departments=department_chain(conn, department_id), sector=sector,
                               cap=cap, size=size, rng=rng)
    for expert in picked:
        conn.execute(insert(ENGAGEMENTS).values(expert_id=expert.id, project_id=project_id, fiscal_year=fiscal_year,
                                                rating=None, drawn_at=clock.to_db(now)))
    return _panel(conn, project_id)


def rate_engagement(conn: Connection, *, expert_id: int, project_id: str, rating: float | Decimal) -> None:
    """Record the bureau's rating (0–100) of an expert's work on a project."""
    value = Decimal(str(rating))
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise InvalidInput("a rating is from 0 to 100", [{"field": "rating", "message": "must be from 0 to 100"}])
    done = conn.execute(update(ENGAGEMENTS).where(ENGAGEMENTS.c.expert_id == expert_id,
                                                  ENGAGEMENTS.c.project_id == project_id).values(rating=value))
    if done.rowcount == 0:
        raise NotFound(f"expert {expert_id} was not drawn for project {project_id!r}")
