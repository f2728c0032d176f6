"""The expert library (专家学者库): members, the random draw of a review panel, ratings per engagement."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from service import clock, db
from service.cycle import projects_records
from service.domain import draw
from service.errors import InvalidInput, NotFound
from service.libraries.common import (
    check_keeper,
    department_chain,
    district_of,
    drawn_from,
    encode_fields_and_conflicts,
    json_list,
    shown,
)
from service.models import Expert, ExpertEngagement
from service.rules import store as rules

EXPERTS = Expert.__table__
ENGAGEMENTS = ExpertEngagement.__table__
EDITABLE = ("username", "name", "employer", "title", "fields", "conflicts", "available")


def _item(row: Any, engagements: int = 0, mean: Decimal | None = None, rated: int = 0) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "name": row.name, "employer": row.employer, "title": row.title,
            "fields": json_list(row.fields), "conflicts": json_list(row.conflicts), "available": row.available,
            "district_id": row.district_id, "engagements": engagements,
            "mean_rating": float(mean) if mean is not None else None, "rated_engagements": rated}


def _ratings(conn: Connection) -> dict[int, tuple[Decimal, int]]:
    """Each rated expert's mean engagement rating (1–5, two decimals) and how many engagements were rated."""
    rows = conn.execute(select(ENGAGEMENTS.c.expert_id, func.avg(ENGAGEMENTS.c.rating), func.count())
                        .where(ENGAGEMENTS.c.rating.is_not(None)).group_by(ENGAGEMENTS.c.expert_id))
    return {expert_id: (Decimal(str(avg)).quantize(Decimal("0.01")), count) for expert_id, avg, count in rows}


def _year_counts(conn: Connection, fiscal_year: int) -> dict[int, int]:
    rows = conn.execute(select(ENGAGEMENTS.c.expert_id, func.count()).where(ENGAGEMENTS.c.fiscal_year == fiscal_year)
                        .group_by(ENGAGEMENTS.c.expert_id))
    return {expert_id: count for expert_id, count in rows}


def list_experts(conn: Connection, *, fiscal_year: int, field: str | None = None, available: bool | None = None,
                 owner: str | None = None, viewer: str | None = None, page: int = 1,
                 per_page: int = 20) -> dict[str, Any]:
    """Experts with their engagements in `fiscal_year` and mean rating, paged; a district's viewer sees its own
    and the city's, `owner` narrows to one level's."""
    viewer_district = district_of(conn, viewer)
    rows = [r for r in conn.execute(select(EXPERTS).order_by(EXPERTS.c.id))
            if shown(r.district_id, viewer_district=viewer_district, owner=owner)]
    if field is not None:
        rows = [r for r in rows if field in json_list(r.fields)]
    if available is not None:
        rows = [r for r in rows if r.available == available]
    counts, ratings = _year_counts(conn, fiscal_year), _ratings(conn)
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [_item(r, counts.get(r.id, 0), *ratings.get(r.id, (None, 0))) for r in chosen],
            "total": len(rows)}


def get_expert(conn: Connection, expert_id: int) -> dict[str, Any]:
    """One expert."""
    row = conn.execute(select(EXPERTS).where(EXPERTS.c.id == expert_id)).first()
    if row is None:
        raise NotFound(f"no expert {expert_id}")
    return _item(row, 0, *_ratings(conn).get(expert_id, (None, 0)))


def _values(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in EDITABLE}
    encode_fields_and_conflicts(conn, values)
    return values


def create_expert(conn: Connection, data: dict[str, Any], keeper: str | None = None) -> dict[str, Any]:
    """Add an expert to the library of the keeper's level (the keeper's department: a district's or the city's)."""
    values = {"fields": [], "conflicts": [], "available": True, "title": None, "username": None, **data}
    new_id = db.inserted_id(conn.execute(insert(EXPERTS).values(**_values(conn, values),
                                                                district_id=district_of(conn, keeper))))
    return get_expert(conn, new_id)


def update_expert(conn: Connection, expert_id: int, changes: dict[str, Any],
                  keeper: str | None = None) -> dict[str, Any]:
    """Change an expert's availability, conflicts, fields or particulars (its own level's keeper only)."""
    check_keeper(conn, keeper, get_expert(conn, expert_id)["district_id"])
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
    level = projects_records.get(conn, project_id).level
    size = int(rules.get(conn, fiscal_year, level, "experts.panel_size"))
    cap = int(rules.get(conn, fiscal_year, level, "experts.max_engagements_per_year"))
    unrated = rules.get(conn, fiscal_year, level, "experts.unrated_weight")
    counts, ratings = _year_counts(conn, fiscal_year), _ratings(conn)
    district = district_of(conn, department_id)
    candidates = [draw.ExpertCandidate(id=r.id, name=r.name, username=r.username,
                                       fields=frozenset(json_list(r.fields)),
                                       conflicts=frozenset(json_list(r.conflicts)), available=r.available,
                                       engagements=counts.get(r.id, 0),
                                       mean_rating=ratings.get(r.id, (None, 0))[0])
                  for r in conn.execute(select(EXPERTS)) if drawn_from(r.district_id, district)]
    rng = random.Random(draw.seed_for(project_id, fiscal_year))
    picked = draw.draw_experts(candidates, departments=department_chain(conn, department_id), sector=sector,
                               cap=cap, size=size, rng=rng, unrated_weight=unrated)
    for expert in picked:
        conn.execute(insert(ENGAGEMENTS).values(expert_id=expert.id, project_id=project_id, fiscal_year=fiscal_year,
                                                rating=None, drawn_at=clock.to_db(now)))
    return _panel(conn, project_id)


def rate_engagement(conn: Connection, *, expert_id: int, project_id: str, rating: int, by: str | None,
                    now: datetime) -> dict[str, Any]:
    """The finance reviewer's rating (1–5: 5 excellent, 1 poor) of an expert's work on a project's review; a
    later rating replaces the earlier one. Answers the engagement."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("a rating is a whole number from 1 to 5",
                           [{"field": "rating", "message": "must be 1, 2, 3, 4 or 5"}])
    done = conn.execute(update(ENGAGEMENTS).where(ENGAGEMENTS.c.expert_id == expert_id,
                                                  ENGAGEMENTS.c.project_id == project_id)
                        .values(rating=Decimal(rating), rated_by=by, rated_at=clock.to_db(now)))
    if done.rowcount == 0:
        raise NotFound(f"expert {expert_id} was not drawn for project {project_id!r}")
    return next(e for e in engagements(conn, project_id) if e["expert_id"] == expert_id)


def engagements(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The project's drawn experts with their ratings (None until rated)."""
    rows = conn.execute(select(ENGAGEMENTS, EXPERTS.c.name, EXPERTS.c.district_id)
                        .join(EXPERTS, EXPERTS.c.id == ENGAGEMENTS.c.expert_id)
                        .where(ENGAGEMENTS.c.project_id == project_id).order_by(ENGAGEMENTS.c.id)).all()
    return [{"expert_id": r.expert_id, "name": r.name, "district_id": r.district_id, "project_id": r.project_id,
             "fiscal_year": r.fiscal_year, "rating": int(r.rating) if r.rating is not None else None,
             "rated_by": r.rated_by, "rated_at": clock.from_db(r.rated_at), "drawn_at": clock.from_db(r.drawn_at)}
            for r in rows]
