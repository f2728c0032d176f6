"""Disclosure (公开) of a project's performance information, the plan 二(一)4 “要将绩效目标、绩效报告和评价结果等绩效
管理信息逐步向社会公开”: its goals when approved, its report and results when final. One record per project and stage;
the first time counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from service import clock
from service.errors import InvalidInput
from service.models import Disclosure

DISCLOSURES = Disclosure.__table__
STAGES = ("goals", "results")


def disclose(conn: Connection, project_id: str, stage: str, now: datetime) -> datetime:
    """Record the disclosure of the project's `stage` (goals | results); a repeated call keeps the first time."""
    if stage not in STAGES:
        raise InvalidInput("unknown disclosure stage", [{"field": "stage", "message": f"one of {', '.join(STAGES)}"}])
    row = conn.execute(select(DISCLOSURES.c.disclosed_at).where(DISCLOSURES.c.project_id == project_id,
                                                                DISCLOSURES.c.stage == stage)).first()
    if row is not None:
        return clock.from_db(row.disclosed_at) or now
    conn.execute(insert(DISCLOSURES).values(project_id=project_id, stage=stage, disclosed_at=clock.to_db(now)))
    return now


def of_project(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The project's disclosures, goals first."""
    rows = conn.execute(select(DISCLOSURES).where(DISCLOSURES.c.project_id == project_id)
                        .order_by(DISCLOSURES.c.disclosed_at, DISCLOSURES.c.id))
    return [{"stage": r.stage, "disclosed_at": clock.from_db(r.disclosed_at)} for r in rows]
