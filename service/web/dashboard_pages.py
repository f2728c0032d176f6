"""The dashboard (/dashboard) and the project pages it drills down to (/projects, /projects/<id>).

Coverage comes from the coverage query module (GET /api/reports/coverage), warnings, grades and projects
from service/queries/dashboard_queries.py.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.cycle.projects_records import SECTORS
from service.db import Connection
from service.domain.coverage_rules import LIVELIHOOD_MONEY, MONITORING, SUBUNIT_EVALUATIONS
from service.domain.evaluation_selection import EVALUATION_KINDS as EVALUATION_SUBJECTS
from service.errors import JixiaoError, NotFound
from service.queries import (
    coverage_queries,
    dashboard_queries,
    deployed_versions,
    escalation_facts,
    escalations_queries,
    project_history,
    subunit_evaluations_queries,
    trainings_queries,
)
from service.rules.store import LEVELS
from service.web import bp, form_fields, i18n, refusals
from service.web.pages import PER_PAGE, choice, page_number, pager, reading, runtime, viewer
from service.web.session_auth import login_required

GOAL_FORM = "goal_declaration"  # the form a goal is declared with (forms/): its titles label the goal's table
RISING_MEASURES = (LIVELIHOOD_MONEY, MONITORING)  # the plan asks them to rise year on year, it sets no floor
PILOT_MEASURES = (SUBUNIT_EVALUATIONS,)  # the plan asks for pilots (试点) and names no share
STATUSES = ("planned", "declaring", "under_review", "approved", "blocked", "running", "paused", "suspended",
            "stopped", "cancelled", "evaluated", "closed")


def _year_level(years: list[int]) -> tuple[int, str]:
    text = request.args.get("year", "")
    default = years[0] if years else clock.local_today().year
    year = int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else default
    level = choice(request.args, "level", LEVELS, LEVELS[0])
    return year, level


def _coverage(conn: Connection, year: int, level: str) -> tuple[Any, str | None]:
    """The plan's coverage measures, for those who see every department (as the API's report)."""
    if not policy.may(viewer(), policy.READ_BUREAU_REPORTS):
        return None, None
    try:
        return coverage_queries.coverage_report(conn, year, level, lines=False), None
    except JixiaoError as failed:
        return None, refusals.text(failed)


@bp.get("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    """Coverage against targets, warnings by department, grades by sector, for a year and level; overdue tasks
    by stage and open escalations by department (now, whatever the year)."""
    rt, me = runtime(), viewer()
    with reading() as conn:
        years = dashboard_queries.fiscal_years(conn)
        year, level = _year_level(years)
        kind = choice(request.args, "kind", dashboard_queries.EVALUATION_KINDS)
        subject = choice(request.args, "subject", EVALUATION_SUBJECTS)
        report, problem = _coverage(conn, year, level)
        # the year's in-year budget adjustments (the plan 二(三)2), beside the coverage report for the same readers
        bureau = policy.may(me, policy.READ_BUREAU_REPORTS)
        adjusted = project_history.adjustments_in(conn, year, level) if bureau else None
        warnings = dashboard_queries.warnings_by_department(conn, me, year, level)
        grades = dashboard_queries.grades_by_sector(conn, me, year, level, kind, subject)
        for row in warnings:
            row["label"] = i18n.pick(row["name"], row["name_en"])
        for row in grades:
            row["label"] = i18n.text(f"sector_{row['sector']}")
        charts = {
            "coverage": {"labels": [i18n.pick(m.label, m.label_en) for m in report.measures] if report else [],
                         "actual": [float(m.actual) if m.actual is not None else None for m in report.measures]
                         if report else [],
                         "target": [float(m.target) if m.target is not None else None for m in report.measures]
                         if report else []},
            "warnings": {"labels": [r["label"] for r in warnings], "keys": [r["department_id"] for r in warnings],
                         **{w: [r[w] for r in warnings] for w in dashboard_queries.WARNING_LEVELS}},
            "grades": {"labels": [r["label"] for r in grades], "keys": [r["sector"] for r in grades],
                       **{g: [r[g] for r in grades] for g in dashboard_queries.GRADES}},
        }
        overdue = dashboard_queries.overdue_by_stage(conn, me, clock.now())
        for row in overdue:
            row["process_name"] = escalations_queries.process_name(rt.specs, row["version_hash"], row["process_id"])
        return render_template("web/dashboard.html", years=years or [year], year=year, level=level, levels=LEVELS,
                               overdue=overdue, subunits_overdue=subunit_evaluations_queries.overdue_summary(
                                   conn, me, clock.local_today(clock.now())),
                               open_escalations=dashboard_queries.escalations_by_department(conn, me),
                               kind=kind, kinds=dashboard_queries.EVALUATION_KINDS, subject=subject,
                               subjects=EVALUATION_SUBJECTS, report=report, problem=problem, adjusted=adjusted,
                               warnings=warnings, grades=grades, charts=charts,
                               warning_levels=dashboard_queries.WARNING_LEVELS,
                               grade_names=dashboard_queries.GRADES, rising_measures=RISING_MEASURES,
                               pilot_measures=PILOT_MEASURES,
                               may_enter_figures=policy.may(me, policy.ENTER_FISCAL_FIGURES),
                               training=trainings_queries.training_coverage(conn, year, level) if report else None)


@bp.get("/projects")
@login_required
def projects() -> ResponseReturnValue:
    """Projects the user may see, filtered by year, level, department, sector, status, warning or grade."""
    me, args = viewer(), request.args
    text = args.get("year", "")
    filters: dict[str, Any] = {
        "year": int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None,
        "level": choice(args, "level", LEVELS),
        "department_id": args.get("department_id") or None,
        "sector": choice(args, "sector", SECTORS),
        "status": choice(args, "status", STATUSES),
        "warning": choice(args, "warning", dashboard_queries.WARNING_LEVELS),
        "grade": choice(args, "grade", dashboard_queries.GRADES),
    }
    page = page_number()
    with reading() as conn:
        found = dashboard_queries.list_projects(conn, me, page=page, per_page=PER_PAGE, **filters)
        return render_template("web/projects.html", projects=found["items"], pager=pager(found["total"], page),
                               filters=filters, years=dashboard_queries.fiscal_years(conn), levels=LEVELS,
                               sectors=SECTORS,
                               statuses=STATUSES, warning_levels=dashboard_queries.WARNING_LEVELS,
                               grade_names=dashboard_queries.GRADES)


@bp.get("/projects/<project_id>")
@login_required
def project_page(project_id: str) -> ResponseReturnValue:
    """One project: goal and indicators, monitoring reports, evaluations, decisions, accountability."""
    with reading() as conn:
        found = dashboard_queries.project(conn, viewer(), project_id)
        return render_template("web/project.html", goal_fields=_goal_fields(conn, found), **found)


def _goal_fields(conn: Connection, found: dict[str, Any]) -> list[form_fields.Field]:
    """The goal and its indicators laid out as the task pages show them, by the declaration form's titles of the
    project's version (the latest deployed one for a project without its cycle)."""
    if not found["goal"]:
        return []
    rt = runtime()
    instance_id = found["project"].get("instance_id")
    version = (escalation_facts.version_of(conn, instance_id) if instance_id else None) \
        or deployed_versions.latest_version(conn)
    try:
        schema = rt.specs.get(version).forms.get(GOAL_FORM) if version else None
    except NotFound:
        schema = None
    if not schema:
        return []
    indicators = [{k: float(v) if k == "weight" and v is not None else v for k, v in i.items()}
                  for i in found["indicators"]]
    return form_fields.read_only(schema, {"goal_summary": found["goal"]["summary"], "indicators": indicators},
                           i18n.current())
