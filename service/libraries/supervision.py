"""The supervision library (监督指导库): deputies, auditors and supervisors who verify rectifications and review
key evaluations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.libraries.common import json_list
from service.models import SupervisionMember

MEMBERS = SupervisionMember.__table__
ROLES = ("deputy", "auditor", "supervisor")


def list_members(conn: Connection, *, field: str | None = None, role: str | None = None,
                 active: bool | None = None, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """Members of the supervision library, paged."""
    q = select(MEMBERS).order_by(MEMBERS.c.id)
    if role is not None:
        q = q.where(MEMBERS.c.role == role)
    if active is not None:
        q = q.where(MEMBERS.c.active == active)
    rows = conn.execute(q).all()
    if field is not None:
        rows = [r for r in rows if field in json_list(r.fields)]
    chosen = rows[(page - 1) * per_page: page * per_page]
    return {"items": [{"id": r.id, "username": r.username, "name": r.name, "organisation": r.organisation,
                       "role": r.role, "fields": json_list(r.fields), "active": r.active} for r in chosen],
            "total": len(rows)}
