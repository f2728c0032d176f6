"""Goal declarations and their review (绩效目标编报与审核, DOMAIN.md 1): what the goal_review handlers write.

Every declaration is a revision row of `goals` with its `goal_indicators`; the latest revision counts. Writes are
idempotent (keyed by project and revision) because the jobs that make them are at-least-once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from service import clock, db
from service.cycle import disclosures, projects_records
from service.errors import InvalidInput, NotFound
from service.libraries import indicators as library
from service.models import Goal, GoalIndicator, LibraryIndicator

GOALS = Goal.__table__
INDICATORS = GoalIndicator.__table__
LIBRARY = LibraryIndicator.__table__
OUTCOMES = ("优", "良", "中", "差")
NUMERIC = (">=", "<=", "=")


def _target_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _target_value(comparator: str, text: str) -> Any:
    if comparator not in NUMERIC:
        return text
    number = float(text)
    return int(number) if number.is_integer() else number


def _known_code(conn: Connection, code: Any) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return None
    row = conn.execute(select(LIBRARY.c.code).where(LIBRARY.c.code == code.strip())).first()
    return str(row.code) if row else None


def _goal(conn: Connection, project_id: str, revision: int) -> Any:
    return conn.execute(select(GOALS).where(GOALS.c.project_id == project_id, GOALS.c.revision == revision)).first()


def current(conn: Connection, project_id: str, revision: int) -> Any:
    """The goal revision a review acts on; NotFound if it was never declared."""
    row = _goal(conn, project_id, revision)
    if row is None:
        raise NotFound(f"project {project_id!r} has no goal revision {revision}")
    return row


def record_declaration(conn: Connection, now: datetime, *, project_id: str, revision: int, summary: str,
                       indicators: Iterable[Mapping[str, Any]]) -> int:
    """Write (or rewrite) a declared revision and its indicators; propose indicators the library lacks as
    individual (个性) ones of the department; the project is under review. Returns the goal id."""
    project = projects_records.get(conn, project_id)
    items = list(indicators)
    if not items:
        raise InvalidInput("a goal needs indicators", [{"field": "indicators", "message": "at least one"}])
    row = _goal(conn, project_id, revision)
    if row is None:
        goal_id = db.inserted_id(conn.execute(insert(GOALS).values(
            project_id=project_id, revision=revision, summary=summary, status="submitted", review_outcome=None,
            review=None, experts=None, declared_at=clock.to_db(now), decided_at=None)))
    else:
        goal_id = row.id
        conn.execute(update(GOALS).where(GOALS.c.id == goal_id).values(summary=summary, status="submitted"))
    conn.execute(delete(INDICATORS).where(INDICATORS.c.goal_id == goal_id))
    rows = []
    for position, item in enumerate(items, start=1):
        code = _known_code(conn, item.get("library_code")) or library.propose_individual(
            conn, department_id=project.department_id, name=str(item["name"]), category=str(item["category"]),
            unit=item.get("unit") or None, now=now)
        rows.append({"goal_id": goal_id, "position": position, "library_code": code, "name": str(item["name"]),
                     "category": str(item["category"]), "unit": item.get("unit") or None,
                     "comparator": str(item["comparator"]), "target": _target_text(item["target"]),
                     "weight": Decimal(str(item.get("weight") or 0)),
                     "standard_source": item.get("standard_source"),
                     "evidence_required": bool(item.get("evidence_required", False))})
    conn.execute(insert(INDICATORS), rows)
    projects_records.set_status(conn, project_id, "under_review", now)
    return int(goal_id)


def record_return(conn: Connection, now: datetime, *, project_id: str, revision: int, comment: str | None) -> None:
    """The department head sent the declaration back to the staff: the revision is returned."""
    row = current(conn, project_id, revision)
    review = {"returned_by": "department_head", "comment": comment}
    conn.execute(update(GOALS).where(GOALS.c.id == row.id).values(
        status="returned", review=json.dumps(review, ensure_ascii=False), decided_at=clock.to_db(now)))
    projects_records.set_status(conn, project_id, "declaring", now)


def record_review(conn: Connection, now: datetime, *, project_id: str, revision: int,
                  review: Mapping[str, Any]) -> str:
    """The bureau's review on the four criteria: 中 returns the revision, 差 blocks goal and project
    (不得进入预算); 优 and 良 wait for approval (and, for a major project, the experts). Returns the goal status."""
    outcome = review.get("review_outcome")
    if outcome not in OUTCOMES:
        raise InvalidInput("unknown review outcome", [{"field": "review_outcome", "message": "优, 良, 中 or 差"}])
    row = current(conn, project_id, revision)
    status = {"中": "returned", "差": "blocked"}.get(str(outcome), "submitted")
    detail = {k: review.get(k) for k in ("completeness", "relevance", "appropriateness", "feasibility",
                                         "review_comment")}
    conn.execute(update(GOALS).where(GOALS.c.id == row.id).values(
        status=status, review_outcome=outcome, review=json.dumps(detail, ensure_ascii=False),
        decided_at=clock.to_db(now)))
    if status == "blocked":
        projects_records.set_status(conn, project_id, "blocked", now)
    elif status == "returned":
        projects_records.set_status(conn, project_id, "declaring", now)
    return status


def record_expert_review(conn: Connection, now: datetime, *, project_id: str, revision: int,
                         experts: Iterable[Mapping[str, Any]], outcome: str, comment: str | None) -> None:
    """The expert panel's conclusion on a major project's goal; "revise" returns the revision."""
    if outcome not in ("pass", "revise"):
        raise InvalidInput("unknown expert outcome", [{"field": "expert_outcome", "message": "pass or revise"}])
    row = current(conn, project_id, revision)
    panel = {"experts": [e.get("id") for e in experts], "outcome": outcome, "comment": comment}
    values: dict[str, Any] = {"experts": json.dumps(panel, ensure_ascii=False)}
    if outcome == "revise":
        values.update(status="returned", decided_at=clock.to_db(now))
        projects_records.set_status(conn, project_id, "declaring", now)
    conn.execute(update(GOALS).where(GOALS.c.id == row.id).values(**values))


def approve(conn: Connection, now: datetime, *, project_id: str, revision: int) -> list[dict[str, Any]]:
    """Issue the goal with the budget (批复): goal and project approved, the goal disclosed (公开, the plan
    二(一)4); returns the approved indicators."""
    row = current(conn, project_id, revision)
    if row.status == "blocked":
        raise InvalidInput("a blocked goal cannot be approved", [{"field": "goal_status", "message": "blocked"}])
    conn.execute(update(GOALS).where(GOALS.c.id == row.id).values(
        status="approved", decided_at=row.decided_at or clock.to_db(now)))
    projects_records.set_status(conn, project_id, "approved", now)
    disclosures.disclose(conn, project_id, "goals", now)
    return indicators_of(conn, row.id)


def indicators_of(conn: Connection, goal_id: int) -> list[dict[str, Any]]:
    """A goal's indicators in the process variables' shape (the `indicators` of the data contract)."""
    rows = conn.execute(select(INDICATORS).where(INDICATORS.c.goal_id == goal_id).order_by(INDICATORS.c.position))
    return [{"name": r.name, "category": r.category, "unit": r.unit, "comparator": r.comparator,
             "target": _target_value(r.comparator, r.target), "weight": float(r.weight),
             "standard_source": r.standard_source, "evidence_required": bool(r.evidence_required),
             "library_code": r.library_code} for r in rows]


def approved_indicators(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The indicators of the project's approved goal (latest approved revision); [] if none was approved."""
    row = conn.execute(select(GOALS.c.id).where(GOALS.c.project_id == project_id, GOALS.c.status == "approved")
                       .order_by(GOALS.c.revision.desc())).first()
    return indicators_of(conn, row.id) if row else []
