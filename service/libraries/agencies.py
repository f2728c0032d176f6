"""The agency library (中介机构库): members, commissioning an agency for a key evaluation, rating its report."""

from __future__ import annotations

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
    dumps,
    encode_fields_and_conflicts,
    json_list,
    shown,
)
from service.models import Agency, AgencyEngagement
from service.rules import store as rules

AGENCIES = Agency.__table__
ENGAGEMENTS = AgencyEngagement.__table__
EDITABLE = ("username", "name", "kind", "qualifications", "fields", "conflicts", "status")
KINDS = ("consultancy", "accounting", "research", "university")
STATUSES = ("active", "suspended", "removed")


def _averages(conn: Connection) -> dict[int, Decimal]:
    rows = conn.execute(select(ENGAGEMENTS.c.agency_id, func.avg(ENGAGEMENTS.c.rating))
                        .where(ENGAGEMENTS.c.rating.is_not(None)).group_by(ENGAGEMENTS.c.agency_id))
    return {agency_id: Decimal(str(avg)).quantize(Decimal("0.01")) for agency_id, avg in rows}


def _year_counts(conn: Connection, fiscal_year: int) -> dict[int, int]:
    rows = conn.execute(select(ENGAGEMENTS.c.agency_id, func.count()).where(ENGAGEMENTS.c.fiscal_year == fiscal_year)
                        .group_by(ENGAGEMENTS.c.agency_id))
    return {agency_id: count for agency_id, count in rows}


def _item(row: Any, average: Decimal | None = None, engagements: int = 0) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "name": row.name, "kind": row.kind,
            "qualifications": json_list(row.qualifications), "fields": json_list(row.fields),
            "conflicts": json_list(row.conflicts), "status": row.status, "district_id": row.district_id,
            "average_rating": float(average) if average is not None else None, "engagements": engagements}


def list_agencies(conn: Connection, *, fiscal_year: int, field: str | None = None, status: str | None = None,
                  owner: str | None = None, viewer: str | None = None, page: int = 1,
                  per_page: int = 20) -> dict[str, Any]:
    """Agencies with their average rating and this year's engagements, paged; a district's viewer sees its own
    and the city's, `owner` narrows to one level's."""
    viewer_district = district_of(conn, viewer)
    rows = [r for r in conn.execute(select(AGENCIES).order_by(AGENCIES.c.id))
            if shown(r.district_id, viewer_district=viewer_district, owner=owner)]
    if field is not None:
        rows = [r for r in rows if field in json_list(r.fields)]
    if status is not None:
        rows = [r for r in rows if r.status == status]
    averages, counts = _averages(conn), _year_counts(conn, fiscal_year)
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [_item(r, averages.get(r.id), counts.get(r.id, 0)) for r in chosen], "total": len(rows)}


def get_agency(conn: Connection, agency_id: int) -> dict[str, Any]:
    """One agency with its average rating."""
    row = conn.execute(select(AGENCIES).where(AGENCIES.c.id == agency_id)).first()
    if row is None:
        raise NotFound(f"no agency {agency_id}")
    return _item(row, _averages(conn).get(agency_id))


def _values(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in EDITABLE}
    for key, allowed in (("kind", KINDS), ("status", STATUSES)):
        if key in values and values[key] not in allowed:
            raise InvalidInput(f"unknown {key}", [{"field": key, "message": f"one of {', '.join(allowed)}"}])
    encode_fields_and_conflicts(conn, values)
    if "qualifications" in values:
        values["qualifications"] = dumps(list(values["qualifications"]))
    return values


def create_agency(conn: Connection, data: dict[str, Any], keeper: str | None = None) -> dict[str, Any]:
    """Add an agency to the library of the keeper's level (the keeper's department: a district's or the city's)."""
    values = {"qualifications": [], "fields": [], "conflicts": [], "status": "active", "username": None, **data}
    new_id = db.inserted_id(conn.execute(insert(AGENCIES).values(**_values(conn, values),
                                                                 district_id=district_of(conn, keeper))))
    return get_agency(conn, new_id)


def update_agency(conn: Connection, agency_id: int, changes: dict[str, Any],
                  keeper: str | None = None) -> dict[str, Any]:
    """Change an agency's status (active/suspended/removed), conflicts, fields or particulars (its own level's
    keeper only)."""
    check_keeper(conn, keeper, get_agency(conn, agency_id)["district_id"])
    values = _values(conn, changes)
    if values:
        conn.execute(update(AGENCIES).where(AGENCIES.c.id == agency_id).values(**values))
    return get_agency(conn, agency_id)


def _assigned(conn: Connection, project_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(AGENCIES.c.id, AGENCIES.c.name, AGENCIES.c.username)
                       .join(ENGAGEMENTS, ENGAGEMENTS.c.agency_id == AGENCIES.c.id)
                       .where(ENGAGEMENTS.c.project_id == project_id)).first()
    if row is None:
        return None
    return {"agency_id": row.id, "agency_name": row.name, "agency_users": [row.username] if row.username else []}


def assign(conn: Connection, *, project_id: str, department_id: str, sector: str, fiscal_year: int,
           now: datetime) -> dict[str, Any]:
    """Commission an agency for the project's key evaluation, once: a repeated call returns the same agency."""
    existing = _assigned(conn, project_id)
    if existing is not None:
        return existing
    projects_records.get(conn, project_id)
    averages, counts = _averages(conn), _year_counts(conn, fiscal_year)
    district = district_of(conn, department_id)
    candidates = [draw.AgencyCandidate(id=r.id, name=r.name, username=r.username, status=r.status,
                                       fields=frozenset(json_list(r.fields)),
                                       conflicts=frozenset(json_list(r.conflicts)),
                                       average_rating=averages.get(r.id), engagements=counts.get(r.id, 0))
                  for r in conn.execute(select(AGENCIES)) if drawn_from(r.district_id, district)]
    chosen = draw.assign_agency(candidates, departments=department_chain(conn, department_id), sector=sector)
    conn.execute(insert(ENGAGEMENTS).values(agency_id=chosen.id, project_id=project_id, fiscal_year=fiscal_year,
                                            assigned_at=clock.to_db(now)))
    return _assigned(conn, project_id) or {}


def rate(conn: Connection, *, project_id: str, rating: dict[str, Any], now: datetime) -> Decimal:
    """Record the bureau's rating of the agency's report; below the rule's threshold the agency is suspended."""
    engagement = conn.execute(select(ENGAGEMENTS).where(ENGAGEMENTS.c.project_id == project_id)).first()
    if engagement is None:
        raise NotFound(f"no agency was commissioned for project {project_id!r}")
    level = projects_records.get(conn, project_id).level
    weights = rules.get(conn, engagement.fiscal_year, level, "agency.rating_weights")
    score = draw.agency_score(rating, weights)
    conn.execute(update(ENGAGEMENTS).where(ENGAGEMENTS.c.id == engagement.id).values(
        **{part: Decimal(str(rating[part])) for part in draw.RATING_PARTS}, rating=score,
        rated_at=clock.to_db(now)))
    threshold = rules.get(conn, engagement.fiscal_year, level, "agency.suspend_below")
    if draw.suspends(score, threshold):
        # Only an active agency is suspended: a removed one stays removed.
        conn.execute(update(AGENCIES).where(AGENCIES.c.id == engagement.agency_id, AGENCIES.c.status == "active")
                     .values(status="suspended"))
    return score
