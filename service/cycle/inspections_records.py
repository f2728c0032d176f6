"""Financial supervision inspections (workflows/supervision_inspection.bpmn; the plan 二(三)4二是): the inspection,
its members, its findings, the department's acknowledgement and the rectification ordered on the findings.

Written by the `inspection.*` handlers and, for an inspection's rectification, by the `rectification.*` handlers;
every write is idempotent by instance (jobs run at least once).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.cycle.rectifications import VERDICTS
from service.domain import draw, inspection
from service.errors import InvalidInput
from service.libraries.common import json_list
from service.models import Inspection, InspectionFinding, SupervisionMember
from service.rules import store as rules

INSPECTIONS = Inspection.__table__
FINDINGS = InspectionFinding.__table__
MEMBERS = SupervisionMember.__table__
STATUSES = ("inspecting", "fed_back", "acknowledged", "rectifying", "closed")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def of_instance(conn: Connection, instance_id: str) -> Any:
    return conn.execute(select(INSPECTIONS).where(INSPECTIONS.c.instance_id == instance_id)).first()


def open_inspection(conn: Connection, now: datetime, *, instance_id: str, fiscal_year: int, department_id: str,
                    target_kind: str, fund_name: str | None, fund_amount: Any, aspects: list[str]) -> int:
    """The inspection's row (once per instance): returns its id."""
    row = of_instance(conn, instance_id)
    if row is not None:
        return int(row.id)
    if target_kind == "fund" and not fund_name:
        raise InvalidInput("a fund inspection names the fund", [{"field": "fund_name", "message": "required"}])
    amount = Decimal(str(fund_amount)) if fund_amount is not None and target_kind == "fund" else None
    values = {"instance_id": instance_id, "fiscal_year": fiscal_year, "department_id": department_id,
              "target_kind": target_kind, "fund_name": fund_name if target_kind == "fund" else None,
              "fund_amount": amount, "aspects": _dumps(aspects), "members": "[]", "status": "inspecting",
              "opened_at": clock.to_db(now)}
    return int(conn.execute(insert(INSPECTIONS).values(**values).returning(INSPECTIONS.c.id)).scalar_one())


def _set(conn: Connection, instance_id: str, **values: Any) -> None:
    if conn.execute(update(INSPECTIONS).where(INSPECTIONS.c.instance_id == instance_id)
                    .values(**values)).rowcount != 1:
        raise InvalidInput("no inspection of this instance", [{"field": "instance_id", "message": instance_id}])


def drawn(conn: Connection, instance_id: str, members: list[dict[str, Any]]) -> None:
    _set(conn, instance_id, members=_dumps(members))


def due(conn: Connection, instance_id: str, due_on: date | None) -> None:
    _set(conn, instance_id, due_on=due_on)


def record_findings(conn: Connection, now: datetime, instance_id: str, findings: list[dict[str, Any]]) -> None:
    """The findings of the inspection task (replacing any earlier run's), fed back to the department."""
    row = of_instance(conn, instance_id)
    conn.execute(FINDINGS.delete().where(FINDINGS.c.inspection_id == row.id))
    for f in findings:
        conn.execute(insert(FINDINGS).values(inspection_id=row.id, position=f["position"], aspect=f["aspect"],
                                             severity=f["severity"], text=f["text"],
                                             requires_rectification=f["requires_rectification"]))
    _set(conn, instance_id, inspected_at=clock.to_db(now), status="fed_back")


def acknowledged(conn: Connection, now: datetime, instance_id: str, comment: str | None) -> None:
    _set(conn, instance_id, acknowledged_at=clock.to_db(now), acknowledgement=comment, status="acknowledged")


def rectifying(conn: Connection, instance_id: str) -> None:
    """The findings requiring rectification go to the rectification process, run within this instance."""
    row = of_instance(conn, instance_id)
    conn.execute(update(FINDINGS).where(FINDINGS.c.inspection_id == row.id,
                                        FINDINGS.c.requires_rectification.is_(True))
                 .values(rectification_instance_id=instance_id))
    _set(conn, instance_id, status="rectifying")


def closed(conn: Connection, now: datetime, instance_id: str) -> None:
    _set(conn, instance_id, closed_at=clock.to_db(now), status="closed")


# The rectification of an inspection's findings: the same steps as a project's (service/cycle/rectifications.py).

def rectification_fed_back(conn: Connection, instance_id: str, due_on: date | None, status: str) -> None:
    _set(conn, instance_id, rectification_due_on=due_on, rectification_status=status)


def rectification_mark(conn: Connection, instance_id: str, status: str) -> None:
    _set(conn, instance_id, rectification_status=status)


def rectification_submit(conn: Connection, now: datetime, instance_id: str, plan: str) -> None:
    _set(conn, instance_id, rectification_plan=plan, rectification_submitted_at=clock.to_db(now),
         rectification_status="submitted")


def rectification_verify(conn: Connection, now: datetime, instance_id: str, verdict: str) -> str:
    """Supervision's verdict on the rectification: done, or insufficient (failed). Returns the status."""
    if verdict not in VERDICTS:
        raise InvalidInput("unknown verdict", [{"field": "verification_verdict", "message": verdict}])
    status = "done" if verdict == "done" else "failed"
    _set(conn, instance_id, rectification_verdict=verdict, rectification_verified_at=clock.to_db(now),
         rectification_status=status)
    return status


def draw_team(conn: Connection, instance_id: str, *, fiscal_year: int, level: str,
              sector: str | None) -> list[dict[str, Any]]:
    """Draw the inspection team from the supervision library's active members (rule inspection.team_size), the same
    way for the same inspection (seeded by its instance, for the audit's replay); recorded on the inspection."""
    row = of_instance(conn, instance_id)
    if row is not None and row.members not in (None, "", "[]"):
        return list(json.loads(row.members))
    size = int(rules.get(conn, fiscal_year, level, "inspection.team_size"))
    active = [{"id": m.id, "name": m.name, "organisation": m.organisation, "username": m.username,
               "fields": json_list(m.fields)}
              for m in conn.execute(select(MEMBERS).where(MEMBERS.c.active.is_(True)).order_by(MEMBERS.c.id))]
    rng = random.Random(draw.seed_for(f"inspection:{instance_id}", fiscal_year))
    team = [{k: m[k] for k in ("id", "name", "organisation", "username")}
            for m in inspection.draw_members(active, sector=sector, size=size, rng=rng)]
    drawn(conn, instance_id, team)
    return team
