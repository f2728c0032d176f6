"""Accountability cases (问责, the plan 二(一)4): opened for a failure, closed with the supervisor's outcome.

A case is keyed by the instance, the reason and the service task that opened it, so a job run twice finds the case
it opened before instead of opening another, while a second case of the same reason in one instance (a task slipping
again after a first case was opened on it) is a case of its own, handled and closed on its own.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock, db
from service.domain import escalation_kinds as kinds
from service.errors import InvalidInput, NotFound
from service.models import AccountabilityCase

CASES = AccountabilityCase.__table__
# Besides these, a slipped deadline whose escalation kind allows opening a case is its own reason: the kind's code
# (the models' `call_slip_accountability`, service/domain/escalation_kinds.py).
REASONS = tuple(dict.fromkeys(("rectification_overdue", "rectification_failed", "stopped", "other",
                               *kinds.ACCOUNTABLE)))


def case_key(instance_id: str, reason: str, opened_by: str | None = None) -> str:
    """The case's key: the instance, the reason and the id of the engine task that opens it (its job's task; the
    dashes dropped to fit the column: 36 + 50 + 32 characters and two colons)."""
    key = f"{instance_id}:{reason}"
    return f"{key}:{opened_by.replace('-', '')}" if opened_by else key


def open_case(conn: Connection, now: datetime, *, key: str, project_id: str | None, department_id: str,
              reason: str) -> int:
    """Open the case of `key` (once); return its id."""
    if reason not in REASONS:
        raise InvalidInput("unknown accountability reason", [{"field": "accountability_reason", "message": reason}])
    found = conn.execute(select(CASES.c.id).where(CASES.c.key == key)).scalar()
    if found is not None:
        return int(found)
    result = conn.execute(insert(CASES).values(key=key, project_id=project_id, department_id=department_id,
                                               reason=reason, status="open", outcome=None,
                                               opened_at=clock.to_db(now), closed_at=None))
    return db.inserted_id(result)


def close_case(conn: Connection, now: datetime, key: str, outcome: dict[str, Any]) -> None:
    """Record the supervisor's outcome and close the case (a second call keeps the first closing time)."""
    row = conn.execute(select(CASES.c.closed_at).where(CASES.c.key == key)).first()
    if row is None:
        raise NotFound(f"no accountability case {key!r}")
    conn.execute(update(CASES).where(CASES.c.key == key).values(
        status="closed", outcome=json.dumps(outcome, ensure_ascii=False, sort_keys=True),
        closed_at=row.closed_at or clock.to_db(now)))
