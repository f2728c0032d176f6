"""Sub-unit evaluations (预算部门对下属预算单位整体支出绩效评价试点, the plan 二(三)3二是): a department evaluates the
whole spending of one of its own budget units.

Who may do what: a department's staff or head opens an evaluation of one of its own sub-units (another
department's unit: 403, nothing changes); the head of the evaluating department records the score and findings
(the grade follows rule `evaluation.grade_floors`); the bureau, the department and the unit itself read them.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import clock, policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import Text, UTCDateTime
from service.cycle import subunit_evaluations_records
from service.queries import subunit_evaluations_queries

blp = Blueprint("subunit_evaluations", __name__, url_prefix="/api/subunit-evaluations",
                description="Whole-department evaluations of sub-units by their own department")



class SubunitEvaluationSchema(Schema):
    id = fields.Integer(required=True)
    fiscal_year = fields.Integer(required=True, metadata={"description": "the spending year evaluated"})
    level = fields.String(required=True)
    department_id = fields.String(required=True, metadata={"description": "the evaluating department"})
    department_name = fields.String(required=True)
    unit_id = fields.String(required=True, metadata={"description": "its sub-unit"})
    unit_name = fields.String(required=True)
    scope = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("open", "graded")))
    score = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"description": "优 良 中 差"})
    findings = fields.String(allow_none=True)
    started_by = fields.String(required=True)
    started_at = UTCDateTime(required=True)
    graded_by = fields.String(allow_none=True)
    graded_at = UTCDateTime(allow_none=True)
    due_on = fields.Date(allow_none=True, metadata={
        "description": "graded by then: rule evaluation.subunit_working_days working days after it was opened"})
    overdue = fields.Boolean(required=True, metadata={"description": "still open after due_on"})
    days_overdue = fields.Integer(required=True, metadata={"description": "calendar days past due_on"})


class SubunitEvaluationList(Schema):
    items = fields.List(fields.Nested(SubunitEvaluationSchema), required=True)


class OpenSchema(Schema):
    unit_id = fields.String(required=True, validate=validate.Length(min=1, max=50),
                            metadata={"description": "a budget unit whose parent is your department"})
    fiscal_year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    scope = Text(required=True, validate=validate.Length(min=1, max=2000),
                 metadata={"description": "what the evaluation covers"})


class GradeSchema(Schema):
    score = fields.Float(required=True, validate=validate.Range(min=0, max=100),
                           metadata={"description": "0 to 100; the grade follows rule evaluation.grade_floors"})
    findings = Text(required=True, validate=validate.Length(min=1, max=4000))


class YearQuery(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))



@blp.route("")
class SubunitEvaluations(MethodView):
    @requires(policy.READ_SUBUNIT_EVALUATIONS)
    @blp.arguments(YearQuery, location="query")
    @blp.response(200, SubunitEvaluationList)
    @errors_documented(blp, 400, 403)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The sub-unit evaluations you may see (the bureau: all; a department: its own and its units')."""
        with runtime().reading() as conn:
            return {"items": subunit_evaluations_queries.list_evaluations(conn, principal(), query.get("year"))}

    @requires(policy.OPEN_SUBUNIT_EVALUATIONS)
    @blp.arguments(OpenSchema)
    @blp.response(201, SubunitEvaluationSchema)
    @errors_documented(blp, 400, 403, 409, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open the whole-department evaluation of one of your department's sub-units for a spending year."""
        me = principal()
        with runtime().unit_of_work() as conn:
            row = subunit_evaluations_records.open_evaluation(conn, me, clock.now(), **body)
            return subunit_evaluations_queries.get(conn, me, row["id"])


@blp.route("/<int:evaluation_id>")
class SubunitEvaluation(MethodView):
    @requires(policy.READ_SUBUNIT_EVALUATIONS)
    @blp.response(200, SubunitEvaluationSchema)
    @errors_documented(blp, 403, 404)
    def get(self, evaluation_id: int) -> dict[str, Any]:
        """One sub-unit evaluation."""
        with runtime().reading() as conn:
            return subunit_evaluations_queries.get(conn, principal(), evaluation_id)


@blp.route("/<int:evaluation_id>/grade")
class SubunitGrade(MethodView):
    @requires(policy.GRADE_SUBUNIT_EVALUATIONS)
    @blp.arguments(GradeSchema)
    @blp.response(200, SubunitEvaluationSchema)
    @errors_documented(blp, 400, 403, 404, 409, 422)
    def post(self, body: dict[str, Any], evaluation_id: int) -> dict[str, Any]:
        """Record the score and findings of an open evaluation your department runs; the grade follows the rule."""
        me = principal()
        with runtime().unit_of_work() as conn:
            subunit_evaluations_records.record_grade(conn, me, clock.now(), evaluation_id, **body)
            return subunit_evaluations_queries.get(conn, me, evaluation_id)
