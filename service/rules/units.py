"""The unit each rule row's value is counted in, for people reading and editing the rows.

The rows store bare JSON values (seeds/rules.json); the unit is what the code reading a key takes it as.
"""

from __future__ import annotations

# unit code → how a page names it (service/web/admin_texts.py: unit_<code>)
UNITS: dict[str, str] = {
    "goal.major_threshold": "CNY",
    "goal.declaration_working_days": "working_days", "goal.review_working_days": "working_days",
    "experts.panel_size": "people", "experts.max_engagements_per_year": "times",
    "monitoring.checkpoints": "month_day", "monitoring.execution_floors": "percent",
    "monitoring.red_gap": "points", "monitoring.yellow_gap": "points",
    "monitoring.corrective_working_days": "working_days", "monitoring.midterm_as_of": "month_day",
    "monitoring.suspension_report_working_days": "working_days",
    "evaluation.weights": "points", "evaluation.qualitative_bands": "percent", "evaluation.grade_floors": "points",
    "evaluation.key_weights": "points", "evaluation.spot_check_share": "percent",
    "evaluation.self_working_days": "working_days", "evaluation.key_report_working_days": "working_days",
    "evaluation.review_working_days": "working_days", "evaluation.subunit_working_days": "working_days",
    "agency.rating_weights": "points", "agency.suspend_below": "points",
    "feedback.days": "days", "rectification.days": "days",
    "reminders.lead_working_days": "working_days",
    "coverage.goal_money_share": "percent", "coverage.whole_department_goal_share": "percent",
    "coverage.evaluated_money_share": "percent", "coverage.whole_department_evaluation_share": "percent",
    "escalation.extension_days": "days", "escalation.order_working_days": "working_days",
    "scorecard.grade_floors": "points", "scorecard.self_report_working_days": "working_days",
}


def unit_of(key: str) -> str | None:
    """The unit of a rule key's value, or None (a choice, a list of names, a table)."""
    return UNITS.get(key)
