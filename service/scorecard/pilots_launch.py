"""Whole-department evaluation pilots of a year (部门整体支出绩效评价试点, the plan 二(三)3): choose them
(service/domain/pilots_rules.py), create their whole-department items and start `department_pilot` for each.

"The pilots of year N" are counted by the coverage report of year N, which looks at the whole-department items of
fiscal year N − 1 that were evaluated (service/domain/coverage_rules.py): so the items created here are of the spending
year N − 1, the share is the rule of year N, and the denominator is the coverage report's (first-level departments
of the level, active or with projects in N − 1 or N). Started in year N, the pilot process goes through the goal
review of the whole spending and, its year being over, straight on to the evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from service import clock
from service.bpm.service import WorkflowService
from service.cycle import cycle_launch, projects_records
from service.domain import pilots_rules
from service.domain.roles import SYSTEM, Principal
from service.errors import InvalidInput, JixiaoError, NotFound
from service.models import Department, ProcessDefinition, Project
from service.rules import store

D, P = Department.__table__, Project.__table__


def _facts(conn: Any, year: int, level: str) -> tuple[list[pilots_rules.Candidate], int, dict[str, Any]]:
    spending_year = year - 1
    rows = conn.execute(select(D.c.id, D.c.name, D.c.sector, D.c.active).where(
        D.c.level == level, D.c.kind == "department", D.c.parent_id.is_(None),
        or_(D.c.active.is_(True), D.c.id.in_(select(P.c.department_id).where(
            P.c.fiscal_year.in_((spending_year, year)))))).order_by(D.c.id)).all()
    parent = dict(conn.execute(select(D.c.id, D.c.parent_id).where(D.c.parent_id.is_not(None))).all())
    spending: dict[str, Decimal] = defaultdict(Decimal)
    for dept, amount in conn.execute(select(P.c.department_id, func.sum(P.c.amount)).where(
            P.c.fiscal_year == spending_year, P.c.level == level, P.c.kind == "project").group_by(P.c.department_id)):
        spending[parent.get(dept, dept)] += Decimal(str(amount or 0))
    whole = conn.execute(select(P.c.id, P.c.fiscal_year, P.c.department_id, P.c.status, P.c.instance_id).where(
        P.c.kind == "department", P.c.level == level,
        P.c.fiscal_year.in_((spending_year - 1, spending_year))).order_by(P.c.id)).all()
    before = {w.department_id for w in whole if w.fiscal_year == spending_year - 1}
    now_items = {w.department_id: w for w in reversed(whole) if w.fiscal_year == spending_year}
    candidates = [pilots_rules.Candidate(r.id, r.name, spending[r.id], r.id in before, r.id in now_items,
                                         bool(r.active))
                  for r in rows]
    info = {r.id: r for r in rows}
    return candidates, len(rows), {"items": now_items, "departments": info}


def _claim(conn: Any, now: datetime, item: Any) -> bool:
    """Take a planned whole-department item as the annual launcher does (planned → declaring), so that the two
    never start it twice."""
    return bool(conn.execute(update(P).where(P.c.id == item.id, P.c.instance_id.is_(None), P.c.status == "planned")
                             .values(status="declaring", updated_at=clock.to_db(now))).rowcount)


def select_pilots(conn: Connection, workflows: WorkflowService, year: int, level: str, now: datetime,
                  actor: Principal = SYSTEM) -> dict[str, Any]:
    """Choose the year's pilots, create their whole-department items of year − 1 and start their pilot process, in
    the caller's transaction (a pilot refused by the engine goes back to planned and is reported as failed)."""
    if level not in store.LEVELS:
        raise InvalidInput("level must be municipal or district", [{"field": "level", "message": "invalid"}])
    try:
        share = store.get(conn, year, level, pilots_rules.SHARE_KEY)
        store.get(conn, year - 1, level, "goal.major_threshold")  # the items are of year − 1
    except NotFound:
        raise InvalidInput(f"no rules for fiscal years {year - 1} and {year}: seed the rules first "
                           "(jixiao rules seed)", [{"field": "year", "message": "no rules for this fiscal year"}]
                           ) from None
    if share is None:
        raise InvalidInput(f"the plan sets no pilot share for {year}", [{"field": "year", "message": "no target"}])
    if conn.execute(select(ProcessDefinition.process_id)
                    .where(ProcessDefinition.process_id == cycle_launch.PILOT_PROCESS)).first() is None:
        raise InvalidInput(f"deploy the workflows first: {cycle_launch.PILOT_PROCESS} is not deployed",
                           [{"field": "process_id", "message": "not deployed"}])
    candidates, denominator, info = _facts(conn, year, level)
    selection = pilots_rules.select(candidates, share, denominator)
    pilots = []
    for choice in selection.chosen:
        line: dict[str, Any] = {"department_id": choice.department_id, "name": choice.name,
                                "spending": choice.spending, "reason": choice.reason}
        pilots.append(line)
        item = info["items"].get(choice.department_id)
        if item is None:
            dept = info["departments"][choice.department_id]
            pid = f"{year - 1}-{choice.department_id}-whole"
            projects_records.create(conn, now, id=pid, fiscal_year=year - 1, department_id=choice.department_id,
                            name=f"{dept.name}部门整体支出", kind="department", amount=choice.spending,
                            sector=dept.sector if dept.sector in projects_records.SECTORS else "administration")
            item = projects_records.get(conn, pid)
            line["action"] = "created"
        else:
            line["action"] = "existing"
        line["project_id"], line["instance_id"] = item.id, item.instance_id
        claimed = item.instance_id is None and _claim(conn, now, item)
        if item.instance_id is None and not claimed:
            line["action"] = "busy"  # another launcher holds it (status declaring) or its cycle went elsewhere
            continue
        if claimed:
            try:
                line["instance_id"] = cycle_launch.start_cycle(conn, workflows, item.id, now, actor=actor)
                line["action"] = "created_started" if line["action"] == "created" else "started"
            except JixiaoError as exc:  # refused before anything of it was written
                projects_records.set_status(conn, item.id, "planned", now)
                line["action"], line["error"] = "failed", exc.detail
    return {"year": year, "level": level, "spending_year": year - 1, "share": selection.share,
            "departments": selection.departments, "target": selection.target, "shortfall": selection.shortfall,
            "pilots": pilots}
