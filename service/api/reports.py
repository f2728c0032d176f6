"""Bureau reports: coverage of the plan's targets (DOMAIN.md, "Coverage targets of the plan").

The coverage report is the bureau's view across every department (it lists each department's projects and
money), so it is for the roles that see all departments — finance reviewers, supervisors, auditors and
administrators. Departmental users, experts, agencies and process designers get 403.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service.api import runtime
from service.api.blueprint import Blueprint, principal
from service.api.problems import errors_documented
from service.domain.coverage import MEASURES, as_dict
from service.errors import Forbidden
from service.queries.coverage import coverage_report

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Bureau reports")

YEARS = validate.Range(min=2000, max=2100)
LEVEL = validate.OneOf(("municipal", "district"))


class CoverageArgs(Schema):
    year = fields.Integer(required=True, validate=YEARS, metadata={"description": "fiscal year (预算年度)"})
    level = fields.String(required=True, validate=LEVEL, metadata={"description": "市级 municipal | 区级 district"})


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
    projects = fields.List(fields.Nested(ProjectLineSchema), required=True)
    departments = fields.List(fields.Nested(DepartmentLineSchema), required=True)


class CoverageSchema(Schema):
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    evaluated_kinds = fields.List(fields.String(), required=True,
                                  metadata={"description": "evaluation kinds counted (rule coverage.evaluated_kinds)"})
    measures = fields.List(fields.Nested(MeasureSchema), required=True)


def _bureau_reader() -> None:
    if not principal().sees_all_departments:
        raise Forbidden("the coverage report is for the finance bureau's reviewers, supervisors and auditors")


@blp.route("/coverage")
class Coverage(MethodView):
    @blp.arguments(CoverageArgs, location="query")
    @blp.response(200, CoverageSchema)
    @errors_documented(blp, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Coverage of the plan's targets for a fiscal year and level, with the projects and departments behind it."""
        _bureau_reader()
        return as_dict(coverage_report(runtime().engine, args["year"], args["level"]))
