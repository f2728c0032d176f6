"""Publishing the agency bulletin (通报) of a period: the rated reports of the period ranked (service.domain.bulletin)
and stored as published; a published bulletin never changes, later ratings go into a later period's."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from service import clock
from service.domain import bulletin
from service.errors import Conflict, NotFound
from service.models import Agency, AgencyBulletin, AgencyEngagement
from service.rules import store as rules

BULLETINS = AgencyBulletin.__table__
AGENCIES = Agency.__table__
ENGAGEMENTS = AgencyEngagement.__table__


def _item(row: Any) -> dict[str, Any]:
    return {"year": row.year, "period": row.period, "starts_on": row.starts_on, "ends_on": row.ends_on,
            "published_at": clock.from_db(row.published_at), "published_by": row.published_by,
            "entries": json.loads(row.entries)}


def get(conn: Connection, year: int, period: int) -> dict[str, Any]:
    """A published bulletin."""
    row = conn.execute(select(BULLETINS).where(BULLETINS.c.year == year, BULLETINS.c.period == period)).first()
    if row is None:
        raise NotFound(f"no agency bulletin was published for {year} period {period}")
    return _item(row)


def published(conn: Connection, year: int | None = None) -> list[dict[str, Any]]:
    """The published bulletins (of `year`), latest first."""
    query = select(BULLETINS).order_by(BULLETINS.c.year.desc(), BULLETINS.c.period.desc())
    if year is not None:
        query = query.where(BULLETINS.c.year == year)
    return [_item(r) for r in conn.execute(query)]


def publish(conn: Connection, *, year: int, period: int, now: datetime, by: str | None) -> dict[str, Any]:
    """Publish the bulletin of `period` of `year` once the period is over: the agencies' reports rated in it,
    ranked by mean score. Publishing again answers the bulletin as first published."""
    existing = conn.execute(select(BULLETINS.c.id).where(BULLETINS.c.year == year, BULLETINS.c.period == period))
    if existing.first() is not None:
        return get(conn, year, period)
    months = rules.get(conn, year, "municipal", "agency.bulletin_months")
    starts_on, ends_on = bulletin.period_dates(year, period, months)
    if clock.local_today(now) <= ends_on:
        raise Conflict(f"the bulletin period {year}-{period} ends on {ends_on.isoformat()}: it is published after")
    rows = conn.execute(select(ENGAGEMENTS.c.agency_id, AGENCIES.c.name, ENGAGEMENTS.c.project_id,
                               ENGAGEMENTS.c.rating, ENGAGEMENTS.c.rated_at)
                        .join(AGENCIES, AGENCIES.c.id == ENGAGEMENTS.c.agency_id)
                        .where(ENGAGEMENTS.c.rating.is_not(None), ENGAGEMENTS.c.rated_at.is_not(None)))
    reports = [bulletin.RatedReport(agency_id=r.agency_id, agency_name=r.name, project_id=r.project_id,
                                    score=Decimal(str(r.rating)))
               for r in rows if starts_on <= clock.local_today(clock.from_db(r.rated_at)) <= ends_on]
    entries = [{**e, "mean_score": float(e["mean_score"]),  # type: ignore[arg-type]
                "reports": [{"project_id": r["project_id"], "score": float(r["score"])}
                            for r in e["reports"]]}  # type: ignore[attr-defined]
               for e in bulletin.ranking(reports)]
    conn.execute(insert(BULLETINS).values(year=year, period=period, starts_on=starts_on, ends_on=ends_on,
                                          entries=json.dumps(entries, ensure_ascii=False),
                                          published_at=clock.to_db(now), published_by=by))
    return get(conn, year, period)
