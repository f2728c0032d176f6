"""Start the comprehensive evaluation of a fiscal year: one `comprehensive_evaluation` instance per scored
department (first-level municipal departments, or district finance bureaus), in that department's name so its
staff and head get the self-report and the result in their inbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from service.bpm.service import WorkflowService
from service.domain import scorecard_rules
from service.domain.roles import SYSTEM, Principal
from service.errors import InvalidInput
from service.models import Instance, ProcessDefinition, Scorecard
from service.queries import scorecard_queries

PROCESS = "comprehensive_evaluation"
INSTANCES, CARDS = Instance.__table__, Scorecard.__table__


def business_key(year: int, department_id: str) -> str:
    """The instance's business key: one evaluation per department and fiscal year."""
    return f"scorecard-{year}-{department_id}"


@dataclass
class Launch:
    started: dict[str, str] = field(default_factory=dict)  # department → new instance
    existing: dict[str, str] = field(default_factory=dict)  # department → its running or finished evaluation


def start_evaluations(conn: Connection, workflows: WorkflowService, year: int, level: str, now: datetime,
                      actor: Principal = SYSTEM) -> Launch:
    """Start the evaluation for every scored department of the level that has none yet (safe to run again), in the
    caller's transaction: all of them, or none."""
    scorecard_queries.indicators(conn, year, level)  # the year's rules exist and are valid, or nothing starts
    if conn.execute(select(ProcessDefinition.process_id)
                    .where(ProcessDefinition.process_id == PROCESS)).first() is None:
        raise InvalidInput(f"deploy the workflows first: {PROCESS} is not deployed",
                           [{"field": "process_id", "message": "not deployed"}])
    subjects = scorecard_queries.subjects(conn, year, level)
    running = dict(conn.execute(select(INSTANCES.c.business_key, INSTANCES.c.id).where(
        INSTANCES.c.process_id == PROCESS, INSTANCES.c.status != "terminated",
        INSTANCES.c.business_key.in_([business_key(year, s.department_id) for s in subjects]))).all())
    scored = dict(conn.execute(select(CARDS.c.department_id, CARDS.c.instance_id).where(
        CARDS.c.fiscal_year == year, CARDS.c.status.in_(scorecard_rules.FINAL))).all())
    result = Launch()
    for s in subjects:
        key = business_key(year, s.department_id)
        if key in running or s.department_id in scored:
            result.existing[s.department_id] = running.get(key) or scored[s.department_id] or ""
            continue
        data = {"department_id": s.department_id, "department_name": s.name, "fiscal_year": year, "level": level}
        inst = workflows.start(PROCESS, data, business_key=key, actor=actor, department_id=s.department_id, now=now,
                               conn=conn)
        result.started[s.department_id] = str(inst["id"])
    return result
