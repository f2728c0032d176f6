"""Fiscal figures (DOMAIN.md, "Coverage targets of the plan"): a level's public spending (公共财政支出) and 民生
spending of a fiscal year, entered by the bureau from its final accounts; the coverage report divides the
evaluated money by them (the plan 二(三)3).

Who may do what: every bureau-wide user reads them (as the coverage report); finance reviewers and administrators
enter them. Every entry records who and when on the row and, with the figures before, on the global audit chain.
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
from service.cycle import fiscal_figures_records
from service.errors import InvalidInput
from service.queries import fiscal_figures_queries
from service.rules.store import LEVELS

blp = Blueprint("fiscal_figures", __name__, url_prefix="/api/fiscal-figures",
                description="Public spending and 民生 spending per fiscal year and level")



class FigureSchema(Schema):
    fiscal_year = fields.Integer(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    public_spending = fields.Float(required=True, metadata={"description": "公共财政支出, CNY"})
    livelihood_spending = fields.Float(required=True, metadata={"description": "民生支出, CNY (part of the above)"})
    source = fields.String(required=True, metadata={"description": "where the figures come from"})
    entered_by = fields.String(required=True)
    entered_at = UTCDateTime(required=True)


class FigureList(Schema):
    items = fields.List(fields.Nested(FigureSchema), required=True)


class FigureEntrySchema(Schema):
    # the amounts' bounds (> 0, at most 2 decimals, below 10^14, 民生 ≤ public) are the command's to check
    public_spending = fields.Decimal(required=True, places=None, metadata={
        "description": "公共财政支出 of the year and level, CNY, more than 0, at most 2 decimals"})
    livelihood_spending = fields.Decimal(required=True, places=None, metadata={
        "description": "民生支出, CNY, at most the public spending"})
    source = Text(required=True, validate=validate.Length(min=1, max=2000),
                  metadata={"description": "the final accounts (决算) or report the figures come from"})


def year_level(year: int, level: str) -> tuple[int, str]:
    """A path's year (2000–2100) and level (municipal | district); InvalidInput otherwise."""
    problems = []
    if not 2000 <= year <= 2100:
        problems.append({"field": "year", "message": "a fiscal year between 2000 and 2100"})
    if level not in LEVELS:
        problems.append({"field": "level", "message": "municipal or district"})
    if problems:
        raise InvalidInput("no such fiscal year and level", problems)
    return year, level


@blp.route("")
class Figures(MethodView):
    @requires(policy.READ_FISCAL_FIGURES)
    @blp.response(200, FigureList)
    @errors_documented(blp, 403)
    def get(self) -> dict[str, Any]:
        """Every fiscal figure entered, latest year first."""
        with runtime().reading() as conn:
            return {"items": fiscal_figures_queries.list_figures(conn)}


@blp.route("/<int:year>/<string:level>")
class Figure(MethodView):
    @requires(policy.READ_FISCAL_FIGURES)
    @blp.response(200, FigureSchema)
    @errors_documented(blp, 403, 404, 422)
    def get(self, year: int, level: str) -> dict[str, Any]:
        """The level's public spending and 民生 spending of a fiscal year (404 while not entered)."""
        with runtime().reading() as conn:
            return fiscal_figures_queries.figure(conn, *year_level(year, level))

    @requires(policy.ENTER_FISCAL_FIGURES)
    @blp.arguments(FigureEntrySchema)
    @blp.response(200, FigureSchema)
    @errors_documented(blp, 400, 403, 404)
    def put(self, body: dict[str, Any], year: int, level: str) -> dict[str, Any]:
        """Enter (or correct) the level's figures of a fiscal year, with their source; audited."""
        year, level = year_level(year, level)
        with runtime().unit_of_work() as conn:
            return fiscal_figures_records.enter(conn, principal().username, clock.now(), fiscal_year=year, level=level,
                                  **body)
