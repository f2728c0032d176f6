"""Handlers of budget linkage (结果应用, workflows/budget_linkage.bpmn): proposal, confirmation, disclosure and
the report of key results to the same-level government; they keep the budget_decisions rows."""

from __future__ import annotations

from typing import Any

from service import clock
from service.cycle import linkage_records
from service.domain import linkage_rules
from service.domain.grades import to_decimal
from service.rules import store as rules
from workers.handlers import TaskContext, handler


@handler("budget.propose")
def propose(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The amount of the DMN's proposal for the budget being prepared when the results are known (fiscal year +
    rule `linkage.budget_year_offset`), from the change in rule `linkage.proposals`."""
    fiscal_year = int(variables["fiscal_year"])
    grade = variables.get("final_grade")
    proposal = variables["budget_proposal"]
    base = to_decimal(variables["budget_amount"], "budget_amount")
    with ctx.write() as conn:
        offset = rules.get(conn, fiscal_year, variables["level"], "linkage.budget_year_offset")
        for_year = linkage_rules.budget_year(fiscal_year, offset)
        table = rules.get(conn, for_year, variables["level"], "linkage.proposals")
        amount = linkage_rules.proposed_amount(base, proposal, grade, table)
        linkage_records.propose(conn, variables["project_id"], for_year=for_year, grade=grade, proposal=proposal,
                        base_amount=base, proposed_amount=amount)
    return {"proposed_amount": float(amount), "budget_for_year": for_year}


@handler("budget.confirm")
def confirm(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The budget officer confirmed the proposal or adjusted it (with a reason, kept in the instance's data)."""
    adjusted = variables.get("budget_confirmation") == "adjust"
    amount = to_decimal(variables["confirmed_amount"] if adjusted else variables["proposed_amount"],
                        "confirmed_amount").quantize(to_decimal("0.01"))
    with ctx.write() as conn:
        by = linkage_records.completed_by(conn, ctx.instance_id or "", "confirm_budget")
        linkage_records.confirm(conn, variables["project_id"], ctx.now, amount, by)
    return {"confirmed_amount": float(amount)}


@handler("disclosure.record")
def disclose(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Goals, evaluation report and results were made public (公开)."""
    with ctx.write() as conn:
        at = linkage_records.disclose(conn, variables["project_id"], ctx.now)
    return {"disclosed_at": clock.to_local(at).isoformat()}


@handler("results.report")
def report(ctx: TaskContext, variables: dict[str, Any]) -> dict[str, Any]:
    """The key project's results were reported to the same-level government (市政府 or the district's 区政府)."""
    with ctx.write() as conn:
        at, to = linkage_records.report(conn, variables["project_id"], ctx.now)
    return {"reported_at": clock.to_local(at).isoformat(), "reported_to": to}
