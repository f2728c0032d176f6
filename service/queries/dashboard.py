"""What the dashboard and project pages read: warnings by department, grades by sector, projects with their
goals, reports, evaluations and decisions, accountability cases — scoped like instances (DESIGN.md, People
and access): bureau-wide roles see every department, everyone else their own department's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, false, func, select

from service import clock
from service.domain.linkage import government_name_en
from service.domain.roles import Principal
from service.errors import NotFound
from service.models import (
    AccountabilityCase,
    BudgetAdjustment,
    BudgetDecision,
    Department,
    Disclosure,
    Evaluation,
    Goal,
    GoalIndicator,
    MonitoringReport,
    Project,
    ProjectAction,
    Rectification,
)
from service.models.instances import Escalation, Instance, TaskRow

P = Project.__table__
D = Department.__table__
G = Goal.__table__
GI = GoalIndicator.__table__
M = MonitoringReport.__table__
E = Evaluation.__table__
A = ProjectAction.__table__
R = Rectification.__table__
B = BudgetDecision.__table__
C = AccountabilityCase.__table__
BA = BudgetAdjustment.__table__
DS = Disclosure.__table__
T = TaskRow.__table__
I = Instance.__table__  # noqa: E741
X = Escalation.__table__
ESCALATION_LEVELS = ("supervisor", "leadership")
WARNING_LEVELS = ("red", "yellow", "green")
GRADES = ("优", "良", "中", "差")
EVALUATION_KINDS = ("self", "midterm", "key", "spot_check")


def _scope(viewer: Principal, column: Any) -> list[Any]:
    """Bureau-wide roles see all departments; others their own (and its units), or nothing without one."""
    if viewer.sees_all_departments:
        return []
    if not viewer.department_id:
        return [false()]
    units = select(D.c.id).where(D.c.parent_id == viewer.department_id)
    return [(column == viewer.department_id) | column.in_(units)]


def _latest_reports() -> Any:
    """Each project's latest monitoring report (its current warning level)."""
    last = select(M.c.project_id, func.max(M.c.checkpoint).label("checkpoint")).group_by(M.c.project_id).subquery()
    return (select(M.c.project_id, M.c.warning_level)
            .join(last, and_(last.c.project_id == M.c.project_id, last.c.checkpoint == M.c.checkpoint)).subquery())


def fiscal_years(conn: Connection) -> list[int]:
    """The fiscal years that have projects, newest first."""
    return list(conn.execute(select(P.c.fiscal_year).distinct().order_by(P.c.fiscal_year.desc())).scalars())


def warnings_by_department(conn: Connection, viewer: Principal, year: int, level: str) -> list[dict[str, Any]]:
    """Per department: how many of its projects stand at red, yellow and green by their latest report."""
    latest = _latest_reports()
    query = (select(P.c.department_id, D.c.name, D.c.name_en, latest.c.warning_level, func.count())
             .join(latest, latest.c.project_id == P.c.id).join(D, D.c.id == P.c.department_id)
             .where(P.c.fiscal_year == year, P.c.level == level, *_scope(viewer, P.c.department_id))
             .group_by(P.c.department_id, D.c.name, D.c.name_en, latest.c.warning_level))
    rows: dict[str, dict[str, Any]] = {}
    for dept, name, name_en, warning, count in conn.execute(query):
        row = rows.setdefault(dept, {"department_id": dept, "name": name, "name_en": name_en,
                                     **{w: 0 for w in WARNING_LEVELS}})
        if warning in WARNING_LEVELS:
            row[warning] += count
    return sorted(rows.values(), key=lambda r: (-r["red"], -r["yellow"], r["department_id"]))


def grades_by_sector(conn: Connection, viewer: Principal, year: int, level: str, kind: str | None = None,
                     subject: str | None = None) -> list[dict[str, Any]]:
    """Per sector: how many evaluations of the year's projects graded 优, 良, 中 and 差 (of one kind, or all; of one
    evaluated subject — project, transfer, enterprise — or all)."""
    where = [P.c.fiscal_year == year, P.c.level == level, E.c.grade.is_not(None), *_scope(viewer, P.c.department_id)]
    if kind:
        where.append(E.c.kind == kind)
    if subject:  # what was evaluated: project | transfer | enterprise (records before kinds were projects)
        where.append(func.coalesce(E.c.evaluation_kind, "project") == subject)
    query = (select(P.c.sector, E.c.grade, func.count()).join(P, P.c.id == E.c.project_id).where(*where)
             .group_by(P.c.sector, E.c.grade))
    rows: dict[str, dict[str, Any]] = {}
    for sector, grade, count in conn.execute(query):
        row = rows.setdefault(sector, {"sector": sector, **{g: 0 for g in GRADES}})
        if grade in GRADES:
            row[grade] += count
    return sorted(rows.values(), key=lambda r: r["sector"])


def list_projects(conn: Connection, viewer: Principal, *, page: int, per_page: int, year: int | None = None,
                  level: str | None = None, department_id: str | None = None, sector: str | None = None,
                  status: str | None = None, warning: str | None = None, grade: str | None = None
                  ) -> dict[str, Any]:
    """Projects the viewer may see, with their latest warning level; filtered, by id."""
    latest = _latest_reports()
    where = _scope(viewer, P.c.department_id)
    for column, value in ((P.c.fiscal_year, year), (P.c.level, level), (P.c.department_id, department_id),
                          (P.c.sector, sector), (P.c.status, status), (latest.c.warning_level, warning)):
        if value is not None:
            where.append(column == value)
    if grade is not None:
        where.append(P.c.id.in_(select(E.c.project_id).where(E.c.grade == grade)))
    base = (select(P.c.id, P.c.fiscal_year, P.c.level, P.c.name, P.c.sector, P.c.amount, P.c.status, P.c.kind,
                   P.c.is_major, P.c.is_key, P.c.department_id, P.c.instance_id, D.c.name.label("department_name"),
                   D.c.name_en.label("department_name_en"), latest.c.warning_level)
            .join(D, D.c.id == P.c.department_id).outerjoin(latest, latest.c.project_id == P.c.id).where(*where))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(base.order_by(P.c.fiscal_year.desc(), P.c.id).limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def _rows(conn: Any, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def project(conn: Connection, viewer: Principal, project_id: str) -> dict[str, Any]:
    """A project with its latest goal and indicators, monitoring reports, actions, evaluations, rectification,
    budget decision and accountability cases; NotFound when the viewer may not see it."""
    row = conn.execute(select(P, D.c.name.label("department_name"), D.c.name_en.label("department_name_en"))
                       .join(D, D.c.id == P.c.department_id)
                       .where(P.c.id == project_id, *_scope(viewer, P.c.department_id))).mappings().first()
    if row is None:
        raise NotFound(f"project {project_id} not found")
    goal = conn.execute(select(G).where(G.c.project_id == project_id).order_by(G.c.revision.desc())
                        .limit(1)).mappings().first()
    body: dict[str, Any] = {"project": dict(row), "goal": dict(goal) if goal else None, "indicators": []}
    if goal is not None:
        body["goal"]["review"] = json.loads(goal["review"]) if goal["review"] else None
        body["indicators"] = _rows(conn, select(GI).where(GI.c.goal_id == goal["id"]).order_by(GI.c.position))
    body["revisions"] = conn.execute(select(func.count()).select_from(G)
                                     .where(G.c.project_id == project_id)).scalar_one()
    body["reports"] = _rows(conn, select(M).where(M.c.project_id == project_id).order_by(M.c.checkpoint))
    body["actions"] = _rows(conn, select(A).where(A.c.project_id == project_id).order_by(A.c.acted_at, A.c.id))
    body["evaluations"] = _rows(conn, select(E).where(E.c.project_id == project_id)
                                .order_by(E.c.completed_at, E.c.id))
    body["rectification"] = next(iter(_rows(conn, select(R).where(R.c.project_id == project_id))), None)
    body["decision"] = next(iter(_rows(conn, select(B).where(B.c.project_id == project_id))), None)
    if body["decision"] is not None and body["decision"]["reported_to"]:
        bureaus = dict(conn.execute(select(D.c.name, D.c.name_en)
                                    .where(D.c.kind == "bureau", D.c.level == "district")).all())
        body["decision"]["reported_to_en"] = government_name_en(body["decision"]["reported_to"], bureaus)
    body["cases"] = _rows(conn, select(C).where(C.c.project_id == project_id).order_by(C.c.opened_at))
    body["adjustments"] = _rows(conn, select(BA).where(BA.c.project_id == project_id)
                                .order_by(BA.c.decided_at, BA.c.id))
    body["predecessor"] = None
    if row["predecessor_project_id"]:
        body["predecessor"] = next(iter(_rows(conn, select(P.c.id, P.c.fiscal_year, P.c.name)
                                              .where(P.c.id == row["predecessor_project_id"]))), None)
    body["disclosures"] = [{"stage": r.stage, "disclosed_at": clock.from_db(r.disclosed_at)} for r in
                           conn.execute(select(DS).where(DS.c.project_id == project_id)
                                        .order_by(DS.c.disclosed_at, DS.c.id))]
    return body


def visible_project(conn: Connection, viewer: Principal, project_id: str) -> bool:
    """Whether the project exists and the viewer may see it (its department is in the viewer's scope)."""
    return conn.execute(select(P.c.id).where(P.c.id == project_id, *_scope(viewer, P.c.department_id))
                        ).first() is not None


def accountability_cases(conn: Connection, viewer: Principal, *, page: int, per_page: int,
                         status: str | None = None) -> dict[str, Any]:
    """Accountability cases (问责) of the departments the viewer may see, newest first."""
    where = _scope(viewer, C.c.department_id)
    if status:
        where.append(C.c.status == status)
    base = (select(C, D.c.name.label("department_name"), D.c.name_en.label("department_name_en"),
                   P.c.name.label("project_name"))
            .join(D, D.c.id == C.c.department_id).outerjoin(P, P.c.id == C.c.project_id).where(*where))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(base.order_by(C.c.opened_at.desc(), C.c.id.desc()).limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def overdue_by_stage(conn: Connection, viewer: Principal, now: datetime) -> list[dict[str, Any]]:
    """Open tasks past their due date, per process and step (stage), most first; with the oldest due date and
    a version of the model that has the step (for its process's name)."""
    query = (select(T.c.process_id, T.c.bpmn_id, func.max(T.c.name).label("name"), func.count().label("overdue"),
                    func.min(T.c.due_at).label("oldest_due"), func.max(I.c.version_hash).label("version_hash"))
             .join(I, I.c.id == T.c.instance_id)
             .where(T.c.state == "ready", T.c.due_at.is_not(None), T.c.due_at < clock.to_db(now),
                    *_scope(viewer, T.c.department_id))
             .group_by(T.c.process_id, T.c.bpmn_id))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return sorted(rows, key=lambda r: (-r["overdue"], r["process_id"], r["bpmn_id"]))


def escalations_by_department(conn: Connection, viewer: Principal) -> list[dict[str, Any]]:
    """Open escalations per department, split by who decides them (supervisors, the bureau's leadership)."""
    query = (select(X.c.department_id, D.c.name, D.c.name_en, X.c.level, func.count())
             .select_from(X.outerjoin(D, D.c.id == X.c.department_id))
             .where(X.c.state == "open", *_scope(viewer, X.c.department_id))
             .group_by(X.c.department_id, D.c.name, D.c.name_en, X.c.level))
    rows: dict[str, dict[str, Any]] = {}
    for dept, name, name_en, level, count in conn.execute(query):
        row = rows.setdefault(dept or "", {"department_id": dept, "name": name, "name_en": name_en,
                                           "supervisor": 0, "leadership": 0, "total": 0})
        row[level if level in ESCALATION_LEVELS else "supervisor"] += count
        row["total"] += count
    return sorted(rows.values(), key=lambda r: (-r["total"], r["department_id"] or ""))
