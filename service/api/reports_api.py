"""Bureau reports: coverage of the plan's targets (DOMAIN.md, "Coverage targets of the plan"), the comprehensive
evaluation of departments' performance management (scorecards) and the whole-department evaluation pilots.

The coverage report is the bureau's view across every department (it lists each department's projects and
money), so it is for the roles that see all departments — finance reviewers, supervisors, auditors and
administrators. Departmental users, experts, agencies and process designers get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock, db, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.escalation_schemas import EscalationCountsSchema
from service.api.problems import errors_documented
from service.api.projects_api import BudgetAdjustmentSchema
from service.api.schemas import UTCDateTime
from service.domain.coverage_rules import (
    MEASURED,
    MEASURES,
    NOT_ENTERED,
    NOT_RISING,
    RISING,
    DepartmentLine,
    ProjectLine,
)
from service.domain.scorecard_rules import DIMENSIONS
from service.queries import dashboard_queries, escalations_queries, performance_reports_queries, scorecard_queries
from service.queries.coverage_queries import coverage_report
from service.queries.project_history import adjustments_in
from service.queries.trainings_queries import training_coverage
from service.scorecard.pilots_launch import select_pilots
from service.scorecard.scorecard_launch import start_evaluations as launch_evaluations

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Bureau reports")

YEARS = validate.Range(min=2000, max=2100)
LEVEL = validate.OneOf(("municipal", "district"))


class CoverageArgs(Schema):
    year = fields.Integer(required=True, validate=YEARS, metadata={"description": "fiscal year (预算年度)"})
    level = fields.String(required=True, validate=LEVEL, metadata={"description": "市级 municipal | 区级 district"})
    lines = fields.Boolean(load_default=True, metadata={
        "description": "false: the measures' numbers only, their project and department lines left empty (a "
                       "province's report lists every project of the year in several measures: megabytes)"})


class ProjectLineSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    department_id = fields.String(required=True)
    department_name = fields.String(required=True)
    amount = fields.Float(required=True, metadata={"description": "CNY"})
    counted = fields.Boolean(required=True, metadata={"description": "in the numerator"})


class DepartmentLineSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    counted = fields.Boolean(required=True, metadata={"description": "in the numerator"})
    projects = fields.List(fields.String(), required=True,
                           metadata={"description": "the whole-department items that made it count"})


def _project_line(line: ProjectLine) -> dict[str, Any]:
    return {"id": line.id, "name": line.name, "department_id": line.department_id,
            "department_name": line.department_name, "amount": float(line.amount), "counted": line.counted}


def _department_line(line: DepartmentLine) -> dict[str, Any]:
    return {"id": line.id, "name": line.name, "counted": line.counted, "projects": list(line.projects)}


class _Lines(fields.List):
    """A measure's lines, each dumped by `dump` (a function of the line) as its schema would dump it, without
    marshmallow's machinery per field: the report holds a line per project per measure (66,600 at 50,000 projects),
    and dumping those cost more than the rest of the report. The nested schema still documents the lines; a test
    holds each function to what marshmallow dumps with it."""

    def __init__(self, schema: type[Schema], dump: Callable[[Any], dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(fields.Nested(schema), **kwargs)
        self._dump = dump

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[dict[str, Any]] | None:
        return None if value is None else [*map(self._dump, value)]


class MeasureSchema(Schema):
    key = fields.String(required=True, validate=validate.OneOf(MEASURES))
    label = fields.String(required=True)
    label_en = fields.String(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(("CNY", "departments")))
    numerator = fields.Float(required=True)
    denominator = fields.Float(required=True)
    actual = fields.Float(required=True, allow_none=True,
                          metadata={"description": "percent, 2 decimals; null when the denominator is 0"})
    target = fields.Float(required=True, allow_none=True,
                          metadata={"description": "percent; null when the plan sets none for the year"})
    target_year = fields.Integer(required=True, allow_none=True,
                                 metadata={"description": "the fiscal year of the rule row the target comes from"})
    met = fields.Boolean(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True, metadata={"description": "the target rule's source"})
    projects = _Lines(ProjectLineSchema, _project_line, required=True)
    departments = _Lines(DepartmentLineSchema, _department_line, required=True)
    status = fields.String(required=True, validate=validate.OneOf((MEASURED, NOT_ENTERED)), metadata={
        "description": "not_entered: the fiscal figure the share divides by (figure_year) is not entered yet, so "
                       "there is no share (enter it with PUT /api/fiscal-figures/{year}/{level})"})
    figure_year = fields.Integer(required=True, allow_none=True, metadata={
        "description": "the year of the public (or 民生) spending divided by, for the spending shares"})
    figure_source = fields.String(required=True, allow_none=True, metadata={"description": "the figure's source"})
    previous_actual = fields.Float(required=True, allow_none=True, metadata={
        "description": "the same measure a year earlier (民生 share, monitoring coverage)"})
    change = fields.Float(required=True, allow_none=True, metadata={"description": "actual − previous_actual, "
                                                                                   "percentage points"})
    direction = fields.String(required=True, allow_none=True, validate=validate.OneOf((RISING, NOT_RISING)),
                              metadata={"description": "rising | not_rising year on year (the plan 二(三)3: "
                                                       "“逐年提高”); null when either year has no share"})


class TrainingMeasureSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    held = fields.Integer(required=True, metadata={"description": "sessions held at the level in the year"})
    minimum = fields.Integer(required=True)
    maximum = fields.Integer(required=True)
    met = fields.Boolean(required=True, metadata={"description": "held ≥ minimum"})
    source = fields.String(required=True, allow_none=True)


class CoverageSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    evaluated_kinds = fields.List(fields.String(), required=True,
                                  metadata={"description": "evaluation kinds counted (rule coverage.evaluated_kinds)"})
    measures = fields.List(fields.Nested(MeasureSchema), required=True)
    training = fields.Nested(TrainingMeasureSchema, required=True, allow_none=True,
                             metadata={"description": "training sessions held at the level in the year against rule "
                                                      "training.sessions_per_year (the plan 三(四)); null without it"})


class AdjustmentArgs(Schema):
    year = fields.Integer(required=True, validate=YEARS, metadata={"description": "fiscal year (预算年度)"})
    level = fields.String(load_default=None, validate=LEVEL, metadata={"description": "municipal | district; all"})


class BudgetAdjustmentLineSchema(BudgetAdjustmentSchema):
    project_name = fields.String(required=True)
    department_id = fields.String(required=True)
    department_name = fields.String(required=True)


class BudgetAdjustmentTotalsSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True, allow_none=True)
    count = fields.Integer(required=True)
    total = fields.Float(required=True, metadata={"description": "CNY moved to the year's urgent spending"})
    items = fields.List(fields.Nested(BudgetAdjustmentLineSchema), required=True)





@blp.route("/coverage")
class Coverage(MethodView):
    @requires(policy.READ_BUREAU_REPORTS)
    @blp.arguments(CoverageArgs, location="query")
    @blp.response(200, CoverageSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Coverage of the plan's targets for a fiscal year and level, with the projects and departments behind it
        (or, with `lines=false`, the numbers only)."""
        engine = runtime().engine
        with db.read(engine) as conn:
            report = coverage_report(conn, args["year"], args["level"], args["lines"])
            # The report's own objects, which the schema reads (its lines dumped by _Lines): no plain copy first.
            return {"year": report.year, "level": report.level, "evaluated_kinds": report.evaluated_kinds,
                    "measures": report.measures, "training": training_coverage(conn, args["year"], args["level"])}


@blp.route("/budget-adjustments")
class BudgetAdjustments(MethodView):
    @requires(policy.READ_BUREAU_REPORTS)
    @blp.arguments(AdjustmentArgs, location="query")
    @blp.response(200, BudgetAdjustmentTotalsSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The year's in-year budget adjustments (the plan 二(三)2: money moved from projects that will miss their
        goals toward the same year's urgent spending), each with its project, and their count and total."""
        with runtime().reading() as conn:
            return adjustments_in(conn, args["year"], args["level"])


@blp.route("/escalations")
class EscalationCounts(MethodView):
    @blp.response(200, EscalationCountsSchema)
    @errors_documented(blp)
    def get(self) -> dict[str, Any]:
        """Overdue by stage (open tasks past their due date, per process and step) and open escalations by
        department (with the supervisors, or handed up to the leadership); scoped like the dashboard: bureau-wide
        roles see every department, others their own."""
        rt, me = runtime(), principal()
        with rt.reading() as conn:
            stages = dashboard_queries.overdue_by_stage(conn, me, clock.now())
            for row in stages:
                row["process_name"] = escalations_queries.process_name(rt.specs, row.pop("version_hash"),
                                                                      row["process_id"])
            return {"overdue_by_stage": stages,
                    "open_escalations_by_department": dashboard_queries.escalations_by_department(conn, me)}


# --- comprehensive evaluation (scorecards) and whole-department evaluation pilots ---------------------------------
# Who reads what: the ranked table and its CSV compare every department, so — like the coverage report —
# they are for the roles that see all departments. A department's staff and head read their own department's
# drill-down (the scores and the records behind them are theirs) and get 403 for another's; a department that
# has no scorecard (a unit, the bureau itself) or does not exist is 404. Launching evaluations and choosing
# pilots change things: administrators and finance reviewers only.
class ScorecardArgs(Schema):
    year = fields.Integer(required=True, validate=YEARS, metadata={"description": "fiscal year (预算年度)"})
    level = fields.String(required=True, validate=LEVEL,
                          metadata={"description": "市级 municipal (departments) | 区级 district (district bureaus)"})


class DetailArgs(Schema):
    year = fields.Integer(required=True, validate=YEARS, metadata={"description": "fiscal year (预算年度)"})


class ScorecardIndicatorSchema(Schema):
    code = fields.String(required=True)
    dimension = fields.String(required=True, validate=validate.OneOf(tuple(DIMENSIONS)))
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    weight = fields.Float(required=True)
    measure = fields.String(required=True, metadata={"description": "the computed measure, or entered"})
    formula = fields.String(required=True, validate=validate.OneOf(("ratio", "deduct", "entered")))
    no_data = fields.String(required=True, validate=validate.OneOf(("full", "zero")))
    per_item = fields.Float(required=True, allow_none=True)
    tolerance = fields.Float(required=True, allow_none=True)
    rule = fields.String(required=True, metadata={"description": "the points rule in words"})


class ScorecardDimensionSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(tuple(DIMENSIONS)))
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    points = fields.Float(required=True, allow_none=True, metadata={"description": "null while not all scored"})
    max_points = fields.Float(required=True)


class ScorecardEvidenceSchema(Schema):
    table = fields.String(required=True, metadata={"description": "the record's table (tasks: an entered score)"})
    id = fields.String(required=True, metadata={"description": "the record's id (a task id for tasks)"})
    project_id = fields.String(required=True, allow_none=True)
    ok = fields.Boolean(required=True, metadata={"description": "the record passed the indicator's test"})
    note = fields.String(required=True)
    task_id = fields.String(required=True, allow_none=True)


class ScorecardEntrySchema(Schema):
    code = fields.String(required=True)
    dimension = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    formula = fields.String(required=True)
    measure = fields.String(required=True)
    max_points = fields.Float(required=True)
    points = fields.Float(required=True, allow_none=True)
    counted = fields.Integer(required=True)
    passed = fields.Integer(required=True)
    no_data = fields.Boolean(required=True)
    rule = fields.String(required=True)
    comment = fields.String(required=True, allow_none=True)
    evidence = fields.List(fields.Nested(ScorecardEvidenceSchema), required=True)


class ScorecardCardSchema(Schema):
    department_id = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={
        "description": "not_started | notified | self_reported | scored | acknowledged"})
    total = fields.Float(required=True, allow_none=True)
    grade = fields.String(required=True, allow_none=True)
    rank = fields.Integer(required=True, allow_none=True, metadata={"description": "among the scored"})
    previous_total = fields.Float(required=True, allow_none=True)
    previous_rank = fields.Integer(required=True, allow_none=True)
    delta = fields.Float(required=True, allow_none=True, metadata={"description": "total − previous total"})
    scorecard_id = fields.Integer(required=True, allow_none=True)
    instance_id = fields.String(required=True, allow_none=True)
    dimensions = fields.List(fields.Nested(ScorecardDimensionSchema), required=True)


class ScorecardCardDetailSchema(ScorecardCardSchema):
    entries = fields.List(fields.Nested(ScorecardEntrySchema), required=True)


class ScorecardTableSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "the indicator rule's source"})
    rule_year = fields.Integer(required=True)
    indicators = fields.List(fields.Nested(ScorecardIndicatorSchema), required=True)
    cards = fields.List(fields.Nested(ScorecardCardSchema), required=True)


class ScorecardDetailSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    source = fields.String(required=True)
    rule_year = fields.Integer(required=True)
    indicators = fields.List(fields.Nested(ScorecardIndicatorSchema), required=True)
    card = fields.Nested(ScorecardCardDetailSchema, required=True)


class ScorecardLaunchSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    started = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "department → the evaluation instance started now"})
    existing = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class PilotSchema(Schema):
    department_id = fields.String(required=True)
    name = fields.String(required=True)
    spending = fields.Float(required=True, metadata={"description": "project money of the spending year, CNY"})
    reason = fields.String(required=True, validate=validate.OneOf(("existing", "rotation", "repeat")))
    project_id = fields.String(required=True)
    instance_id = fields.String(required=True, allow_none=True)
    action = fields.String(required=True, metadata={
        "description": "created_started | started | existing | busy | failed"})
    error = fields.String(allow_none=True)


class PilotsSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    spending_year = fields.Integer(required=True, metadata={"description": "year − 1: the spending evaluated"})
    share = fields.Float(required=True, metadata={"description": "rule coverage.whole_department_evaluation_share"})
    departments = fields.Integer(required=True)
    target = fields.Integer(required=True, metadata={"description": "ceil(share × departments / 100)"})
    shortfall = fields.Integer(required=True)
    pilots = fields.List(fields.Nested(PilotSchema), required=True)


_CSV = {"description": "the ranked table as CSV (UTF-8 with BOM)",
        "content": {"text/csv": {"schema": {"type": "string"}}}}




@blp.route("/scorecard")
class ScorecardTable(MethodView):
    @requires(policy.READ_BUREAU_REPORTS)
    @blp.arguments(ScorecardArgs, location="query")
    @blp.response(200, ScorecardTableSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The comprehensive evaluation's ranked table: total, rank, each dimension, and the trend against the
        previous year (scored departments are ranked; the others show their measured indicators so far)."""
        with runtime().reading() as conn:
            return scorecard_queries.report_dict(scorecard_queries.scorecard_report(conn, args["year"], args["level"],
                                                                                    clock.now()))

    @requires(policy.LAUNCH_EVALUATIONS)
    @blp.arguments(ScorecardArgs, location="query")
    @blp.response(200, ScorecardLaunchSchema)
    @errors_documented(blp, 403)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Send the year's evaluation notice: start comprehensive_evaluation for every scored department of the
        level that has none yet (safe to repeat)."""
        with runtime().unit_of_work() as conn:
            done = launch_evaluations(conn, runtime().workflows, args["year"], args["level"], clock.now(),
                                      principal())
        return {"year": args["year"], "level": args["level"], "started": done.started, "existing": done.existing}


@blp.route("/scorecard.csv")
class ScorecardCsv(MethodView):
    @requires(policy.READ_BUREAU_REPORTS)
    @blp.arguments(ScorecardArgs, location="query")
    @blp.doc(responses={"200": _CSV})
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> Response:
        """The ranked table as CSV, for spreadsheets."""
        with runtime().reading() as conn:
            report = scorecard_queries.scorecard_report(conn, args["year"], args["level"], clock.now())
        name = f"scorecard-{args['year']}-{args['level']}.csv"
        return Response(scorecard_queries.csv_text(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/scorecard/<string:department_id>")
class ScorecardDetail(MethodView):
    @requires(policy.READ_SCORECARDS)
    @blp.arguments(DetailArgs, location="query")
    @blp.response(200, ScorecardDetailSchema)
    @errors_documented(blp, 403, 404)
    def get(self, args: dict[str, Any], department_id: str) -> dict[str, Any]:
        """One department's scorecard with every score linked to its evidence: the records behind a measured
        score (table and id), the scoring and self-report tasks behind an entered one."""
        with runtime().reading() as conn:
            report = scorecard_queries.scorecard_detail(conn, args["year"], department_id, clock.now(),
                                         viewer=principal())
        return scorecard_queries.report_dict(report, detail=True)


@blp.route("/pilots")
class Pilots(MethodView):
    @requires(policy.LAUNCH_EVALUATIONS)
    @blp.arguments(ScorecardArgs, location="query")
    @blp.response(200, PilotsSchema)
    @errors_documented(blp, 403)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Choose the year's whole-department evaluation pilots (never below the share of rule
        coverage.whole_department_evaluation_share), create their whole-department items of year − 1 and start
        department_pilot for each; the coverage report of the year counts them once evaluated (safe to repeat)."""
        with runtime().unit_of_work() as conn:
            return select_pilots(conn, runtime().workflows, args["year"], args["level"], clock.now(), principal())


# --- departments' periodic performance management reports (the plan 二(一)4) ------------------------------------
class ReportContentSchema(Schema):
    report_summary = fields.String(allow_none=True)
    goal_management = fields.String(allow_none=True)
    monitoring_summary = fields.String(allow_none=True)
    evaluation_summary = fields.String(allow_none=True)
    results_use = fields.String(allow_none=True)
    problems = fields.String(allow_none=True)


class PerformanceReportSchema(Schema):
    id = fields.Integer(required=True)
    department_id = fields.String(required=True)
    department_name = fields.String(required=True)
    level = fields.String(required=True, validate=LEVEL)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    period_label = fields.String(required=True,
                                 metadata={"description": "\"2015\" for a year, else \"2015-01/2015-06\""})
    status = fields.String(required=True, validate=validate.OneOf(performance_reports_queries.STATUSES),
                           metadata={"description": "claimed | due | filed (with the head) | submitted (with the "
                                                    "bureau) | returned (for revision) | accepted"})
    due_on = fields.Date(required=True, allow_none=True, metadata={"description": "the filing deadline in force"})
    missing = fields.Boolean(required=True, metadata={"description": "not filed by the deadline in force"})
    filed_at = UTCDateTime(required=True, allow_none=True)
    reviewed_at = UTCDateTime(required=True, allow_none=True)
    decision = fields.String(required=True, allow_none=True, validate=validate.OneOf(("accept", "return")))
    review_comment = fields.String(required=True, allow_none=True)
    instance_id = fields.String(required=True, allow_none=True)
    content = fields.Nested(ReportContentSchema, required=True, allow_none=True,
                            metadata={"description": "the sections as last filed"})


class PerformanceReportListSchema(Schema):
    items = fields.List(fields.Nested(PerformanceReportSchema), required=True)


class PerformanceReportArgs(Schema):
    year = fields.Integer(validate=YEARS, metadata={"description": "the year of the report period"})
    level = fields.String(validate=LEVEL)
    department_id = fields.String(validate=validate.Length(min=1, max=50))
    status = fields.String(validate=validate.OneOf(performance_reports_queries.STATUSES))
    missing = fields.Boolean(metadata={"description": "true: only reports not filed by their deadline"})


@blp.route("/performance-reports")
class PerformanceReports(MethodView):
    @requires(policy.READ_BUREAU_REPORTS)
    @blp.arguments(PerformanceReportArgs, location="query")
    @blp.response(200, PerformanceReportListSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The departments' periodic performance management reports (the plan 二(一)4): filed, with the bureau,
        accepted, returned, or missing (not filed by the deadline in force), by period and department."""
        with db.read(runtime().engine) as conn:
            return {"items": performance_reports_queries.list_reports(conn, clock.local_today(clock.now()), **args)}
