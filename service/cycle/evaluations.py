"""Evaluation records (绩效评价): one row per project and kind — self, key, spot_check (midterm is monitoring's).

Written by the evaluation stage's task handlers. Jobs are at-least-once, so a record is an upsert keyed by
(project, kind): running a handler twice leaves one row with the same values.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.errors import InvalidInput, NotFound
from service.models import Evaluation

EVALUATIONS = Evaluation.__table__
KINDS = ("self", "midterm", "key", "spot_check")


def record(conn: Connection, now: datetime, *, project_id: str, kind: str, score: Any, grade: str,
           detail: dict[str, Any], evaluated_amount: Any = None, agency_id: int | None = None,
           evaluation_kind: str = "project", evaluated_subject: str | None = None) -> dict[str, Any]:
    """Insert or replace the project's evaluation of `kind` (idempotent: a repeated call writes the same row)."""
    if kind not in KINDS:
        raise InvalidInput("unknown evaluation kind", [{"field": "kind", "message": f"one of {', '.join(KINDS)}"}])
    values = {
        "score": Decimal(str(score)),
        "grade": grade,
        "evaluated_amount": None if evaluated_amount is None else Decimal(str(evaluated_amount)),
        "agency_id": agency_id,
        "evaluation_kind": evaluation_kind,
        "evaluated_subject": evaluated_subject,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        "completed_at": clock.to_db(now),
    }
    where = (EVALUATIONS.c.project_id == project_id, EVALUATIONS.c.kind == kind)
    if conn.execute(update(EVALUATIONS).where(*where).values(**values)).rowcount == 0:
        conn.execute(insert(EVALUATIONS).values(project_id=project_id, kind=kind, **values))
    return {"project_id": project_id, "kind": kind, **values}


def get(conn: Connection, project_id: str, kind: str) -> dict[str, Any]:
    """The project's evaluation of `kind`, with its detail decoded."""
    row = conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.project_id == project_id,
                                                 EVALUATIONS.c.kind == kind)).first()
    if row is None:
        raise NotFound(f"project {project_id!r} has no {kind} evaluation")
    return {**row._asdict(), "detail": json.loads(row.detail)}
