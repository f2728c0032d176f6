"""What the dashboard and project pages read: warnings by department, grades by sector, projects with their
goals, reports, evaluations and decisions, accountability cases — scoped like instances (DESIGN.md, People
and access): bureau-wide roles see every department, everyone else their own department's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, false, func, select

from service import clock
from service.domain.linkage_rules import government_name_en
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
from service.models.instances_tables import Escalation, Instance, TaskRow

PROJECTS = Project.__table__
DEPARTMENTS = Department.__table__
GOALS = Goal.__table__
GOAL_INDICATORS = GoalIndicator.__table__
MONITORING_REPORTS = MonitoringReport.__table__
EVALUATIONS = Evaluation.__table__
PROJECT_ACTIONS = ProjectAction.__table__
RECTIFICATIONS = Rectification.__table__
BUDGET_DECISIONS = BudgetDecision.__table__
ACCOUNTABILITY_CASES = AccountabilityCase.__table__
BUDGET_ADJUSTMENTS = BudgetAdjustment.__table__
DISCLOSURES = Disclosure.__table__
TASKS = TaskRow.__table__
INSTANCES = Instance.__table__
ESCALATIONS = Escalation.__table__
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
    units = select(DEPARTMENTS.c.id).where(DEPARTMENTS.c.parent_id == viewer.department_id)
    return [(column == viewer.department_id) | column.in_(units)]


def fiscal_years(conn: Connection) -> list[int]:
    """The fiscal years that have projects, newest first."""
    return list(conn.execute(select(PROJECTS.c.fiscal_year).distinct().order_by(PROJECTS.c.fiscal_year.desc()))
                .scalars())


def warnings_by_department(conn: Connection, viewer: Principal, year: int, level: str) -> list[dict[str, Any]]:
    """Per department: how many of its projects stand at red, yellow and green by their latest report (its warning
    level, kept on the project's row: service/models/project_facts.py)."""
    warning = PROJECTS.c.warning_level
    query = (select(PROJECTS.c.department_id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en, warning, func.count())
             .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id)
             .where(PROJECTS.c.fiscal_year == year, PROJECTS.c.level == level, warning.is_not(None),
                    *_scope(viewer, PROJECTS.c.department_id))
             .group_by(PROJECTS.c.department_id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en, warning))
    rows: dict[str, dict[str, Any]] = {}
    for dept, name, name_en, warning_level, count in conn.execute(query):
        row = rows.setdefault(dept, {"department_id": dept, "name": name, "name_en": name_en,
                                     **{w: 0 for w in WARNING_LEVELS}})
        if warning_level in WARNING_LEVELS:
            row[warning_level] += count
    return sorted(rows.values(), key=lambda r: (-r["red"], -r["yellow"], r["department_id"]))


def grades_by_sector(conn: Connection, viewer: Principal, year: int, level: str, kind: str | None = None,
                     subject: str | None = None) -> list[dict[str, Any]]:
    """Per sector: how many evaluations of the year's projects graded 优, 良, 中 and 差 (of one kind, or all; of one
    evaluated subject — project, transfer, enterprise — or all)."""
    where = [PROJECTS.c.fiscal_year == year, PROJECTS.c.level == level, EVALUATIONS.c.grade.is_not(None),
             *_scope(viewer, PROJECTS.c.department_id)]
    if kind:
        where.append(EVALUATIONS.c.kind == kind)
    if subject:  # what was evaluated: project | transfer | enterprise (records before kinds were projects)
        where.append(func.coalesce(EVALUATIONS.c.evaluation_kind, "project") == subject)
    query = (select(PROJECTS.c.sector, EVALUATIONS.c.grade, func.count()).join(PROJECTS, PROJECTS.c.id
                                                                               == EVALUATIONS.c.project_id).where(
                                                                                                                  *where)
             .group_by(PROJECTS.c.sector, EVALUATIONS.c.grade))
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
    where = _scope(viewer, PROJECTS.c.department_id)
    for column, value in ((PROJECTS.c.fiscal_year, year), (PROJECTS.c.level, level),
                          (PROJECTS.c.department_id, department_id), (PROJECTS.c.sector, sector),
                          (PROJECTS.c.status, status), (PROJECTS.c.warning_level, warning)):
        if value is not None:
            where.append(column == value)
    if grade is not None:
        where.append(PROJECTS.c.id.in_(select(EVALUATIONS.c.project_id).where(EVALUATIONS.c.grade == grade)))
    base = (select(PROJECTS.c.id, PROJECTS.c.fiscal_year, PROJECTS.c.level, PROJECTS.c.name, PROJECTS.c.sector,
                   PROJECTS.c.amount, PROJECTS.c.status, PROJECTS.c.kind,
                   PROJECTS.c.is_major, PROJECTS.c.is_key, PROJECTS.c.department_id, PROJECTS.c.instance_id,
                   DEPARTMENTS.c.name.label("department_name"),
                   DEPARTMENTS.c.name_en.label("department_name_en"), PROJECTS.c.warning_level)
            .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id).where(*where))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(base.order_by(PROJECTS.c.fiscal_year.desc(), PROJECTS.c.id).limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def _rows(conn: Any, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def project(conn: Connection, viewer: Principal, project_id: str) -> dict[str, Any]:
    """A project with its latest goal and indicators, monitoring reports, actions, evaluations, rectification,
    budget decision and accountability cases; NotFound when the viewer may not see it."""
    row = conn.execute(select(PROJECTS, DEPARTMENTS.c.name.label("department_name"),
                              DEPARTMENTS.c.name_en.label("department_name_en"))
                       .join(DEPARTMENTS, DEPARTMENTS.c.id == PROJECTS.c.department_id)
                       .where(PROJECTS.c.id == project_id, *_scope(viewer,
                                                                   PROJECTS.c.department_id))).mappings().first()
    if row is None:
        raise NotFound(f"project {project_id} not found")
    goal = conn.execute(select(GOALS).where(GOALS.c.project_id == project_id).order_by(GOALS.c.revision.desc())
                        .limit(1)).mappings().first()
    body: dict[str, Any] = {"project": dict(row), "goal": dict(goal) if goal else None, "indicators": []}
    if goal is not None:
        body["goal"]["review"] = json.loads(goal["review"]) if goal["review"] else None
        body["indicators"] = _rows(conn, select(GOAL_INDICATORS).where(GOAL_INDICATORS.c.goal_id == goal["id"])
                                   .order_by(GOAL_INDICATORS.c.position))
    body["revisions"] = conn.execute(select(func.count()).select_from(GOALS)
                                     .where(GOALS.c.project_id == project_id)).scalar_one()
    body["reports"] = _rows(conn, select(MONITORING_REPORTS).where(MONITORING_REPORTS.c.project_id == project_id)
                            .order_by(MONITORING_REPORTS.c.checkpoint))
    body["actions"] = _rows(conn, select(PROJECT_ACTIONS).where(PROJECT_ACTIONS.c.project_id == project_id)
                            .order_by(PROJECT_ACTIONS.c.acted_at, PROJECT_ACTIONS.c.id))
    body["evaluations"] = _rows(conn, select(EVALUATIONS).where(EVALUATIONS.c.project_id == project_id)
                                .order_by(EVALUATIONS.c.completed_at, EVALUATIONS.c.id))
    body["rectification"] = next(iter(_rows(conn, select(RECTIFICATIONS).where(RECTIFICATIONS.c.project_id
                                                                               == project_id))), None)
    body["decision"] = next(iter(_rows(conn, select(BUDGET_DECISIONS).where(BUDGET_DECISIONS.c.project_id
                                                                            == project_id))), None)
    if body["decision"] is not None and body["decision"]["reported_to"]:
        bureaus = dict(conn.execute(select(DEPARTMENTS.c.name, DEPARTMENTS.c.name_en)
                                    .where(DEPARTMENTS.c.kind == "bureau", DEPARTMENTS.c.level == "district")).all())
        body["decision"]["reported_to_en"] = government_name_en(body["decision"]["reported_to"], bureaus)
    body["cases"] = _rows(conn, select(ACCOUNTABILITY_CASES).where(ACCOUNTABILITY_CASES.c.project_id == project_id)
                          .order_by(ACCOUNTABILITY_CASES.c.opened_at))
    body["adjustments"] = _rows(conn, select(BUDGET_ADJUSTMENTS).where(BUDGET_ADJUSTMENTS.c.project_id == project_id)
                                .order_by(BUDGET_ADJUSTMENTS.c.decided_at, BUDGET_ADJUSTMENTS.c.id))
    body["predecessor"] = None
    if row["predecessor_project_id"]:
        body["predecessor"] = next(iter(_rows(conn, select(PROJECTS.c.id, PROJECTS.c.fiscal_year, PROJECTS.c.name)
                                              .where(PROJECTS.c.id == row["predecessor_project_id"]))), None)
    body["disclosures"] = [{"stage": r.stage, "disclosed_at": clock.from_db(r.disclosed_at)} for r in
                           conn.execute(select(DISCLOSURES).where(DISCLOSURES.c.project_id == project_id)
                                        .order_by(DISCLOSURES.c.disclosed_at, DISCLOSURES.c.id))]
    return body


def visible_project(conn: Connection, viewer: Principal, project_id: str) -> bool:
    """Whether the project exists and the viewer may see it (its department is in the viewer's scope)."""
    return conn.execute(select(PROJECTS.c.id).where(PROJECTS.c.id == project_id, *_scope(viewer,
                                                                                         PROJECTS.c.department_id))
                        ).first() is not None


def accountability_cases(conn: Connection, viewer: Principal, *, page: int, per_page: int,
                         status: str | None = None) -> dict[str, Any]:
    """Accountability cases (问责) of the departments the viewer may see, newest first."""
    where = _scope(viewer, ACCOUNTABILITY_CASES.c.department_id)
    if status:
        where.append(ACCOUNTABILITY_CASES.c.status == status)
    base = (select(ACCOUNTABILITY_CASES, DEPARTMENTS.c.name.label("department_name"),
                   DEPARTMENTS.c.name_en.label("department_name_en"),
                   PROJECTS.c.name.label("project_name"))
            .join(DEPARTMENTS, DEPARTMENTS.c.id == ACCOUNTABILITY_CASES.c.department_id)
            .outerjoin(PROJECTS, PROJECTS.c.id == ACCOUNTABILITY_CASES.c.project_id)
            .where(*where))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = conn.execute(base.order_by(ACCOUNTABILITY_CASES.c.opened_at.desc(), ACCOUNTABILITY_CASES.c.id.desc())
                        .limit(per_page)
                        .offset((page - 1) * per_page)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total}


def overdue_by_stage(conn: Connection, viewer: Principal, now: datetime) -> list[dict[str, Any]]:
    """Open tasks past their due date, per process and step (stage), most first; with the oldest due date and
    a version of the model that has the step (for its process's name)."""
    query = (select(TASKS.c.process_id, TASKS.c.bpmn_id, func.max(TASKS.c.name).label("name"), func.count()
                    .label("overdue"),
                    func.min(TASKS.c.due_at).label("oldest_due"), func.max(INSTANCES.c.version_hash)
                    .label("version_hash"))
             .join(INSTANCES, INSTANCES.c.id == TASKS.c.instance_id)
             .where(TASKS.c.state == "ready", TASKS.c.due_at.is_not(None), TASKS.c.due_at < clock.to_db(now),
                    *_scope(viewer, TASKS.c.department_id))
             .group_by(TASKS.c.process_id, TASKS.c.bpmn_id))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return sorted(rows, key=lambda r: (-r["overdue"], r["process_id"], r["bpmn_id"]))


def escalations_by_department(conn: Connection, viewer: Principal) -> list[dict[str, Any]]:
    """Open escalations per department, split by who decides them (supervisors, the bureau's leadership)."""
    query = (select(ESCALATIONS.c.department_id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en, ESCALATIONS.c.level,
                    func.count())
             .select_from(ESCALATIONS.outerjoin(DEPARTMENTS, DEPARTMENTS.c.id == ESCALATIONS.c.department_id))
             .where(ESCALATIONS.c.state == "open", *_scope(viewer, ESCALATIONS.c.department_id))
             .group_by(ESCALATIONS.c.department_id, DEPARTMENTS.c.name, DEPARTMENTS.c.name_en, ESCALATIONS.c.level))
    rows: dict[str, dict[str, Any]] = {}
    for dept, name, name_en, level, count in conn.execute(query):
        row = rows.setdefault(dept or "", {"department_id": dept, "name": name, "name_en": name_en,
                                           "supervisor": 0, "leadership": 0, "total": 0})
        row[level if level in ESCALATION_LEVELS else "supervisor"] += count
        row["total"] += count
    return sorted(rows.values(), key=lambda r: (-r["total"], r["department_id"] or ""))
