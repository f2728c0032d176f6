"""The supervision library (监督指导库): deputies, auditors and supervisors who verify rectifications and review
key evaluations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.libraries.common import district_of, json_list, shown
from service.models import SupervisionMember

MEMBERS = SupervisionMember.__table__
ROLES = ("deputy", "auditor", "supervisor")


def list_members(conn: Connection, *, field: str | None = None, role: str | None = None,
                 active: bool | None = None, owner: str | None = None, viewer: str | None = None, page: int = 1,
                 per_page: int = 20) -> dict[str, Any]:
    """Members of the supervision library, paged; a district's viewer sees its own and the city's, `owner`
    narrows to one level's."""
    viewer_district = district_of(conn, viewer)
    q = select(MEMBERS).order_by(MEMBERS.c.id)
    if role is not None:
        q = q.where(MEMBERS.c.role == role)
    if active is not None:
        q = q.where(MEMBERS.c.active == active)
    rows = [r for r in conn.execute(q) if shown(r.district_id, viewer_district=viewer_district, owner=owner)]
    if field is not None:
        rows = [r for r in rows if field in json_list(r.fields)]
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [{"id": r.id, "username": r.username, "name": r.name, "organisation": r.organisation,
                       "role": r.role, "fields": json_list(r.fields), "active": r.active,
                       "district_id": r.district_id} for r in chosen],
            "total": len(rows)}
