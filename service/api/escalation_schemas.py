"""Response schemas of what supervisors read about an escalation (GET /api/escalations/{id}/facts) and of the
escalation counts report (GET /api/reports/escalations)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.api.schemas import UTCDateTime

WARNINGS = validate.OneOf(("red", "yellow", "green"))


class CandidateUserSchema(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "display name"})


class SlippedTaskSchema(Schema):
    id = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    process_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "ready | completed | cancelled"})
    form_key = fields.String(allow_none=True)
    department_id = fields.String(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime(required=True)
    ended_at = UTCDateTime(allow_none=True)
    overdue_working_days = fields.Integer(allow_none=True, metadata={
        "description": "working days (holiday calendar) from the due date to today, or to when the task ended"})
    overdue_calendar_days = fields.Integer(allow_none=True)
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_by_name = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String(), required=True)
    candidate_users = fields.List(fields.Nested(CandidateUserSchema), required=True)


class ReminderSchema(Schema):
    at = UTCDateTime(required=True, metadata={"description": "when the mail was written to the outbox"})
    sent_at = UTCDateTime(allow_none=True)
    recipient = fields.String(allow_none=True)
    recipient_name = fields.String(allow_none=True)
    kind = fields.String(required=True, metadata={"description": "reminder | announcement | ..."})
    status = fields.String(required=True, metadata={"description": "pending | sent | failed"})
    subject = fields.String(required=True)


class TimelineEventSchema(Schema):
    seq = fields.Integer(required=True)
    at = UTCDateTime(required=True)
    actor = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    command = fields.String(required=True)
    task_name = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)


class ProjectFactsSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    level = fields.String(required=True)
    amount = fields.Float(required=True, metadata={"description": "CNY"})
    status = fields.String(required=True)
    department_id = fields.String(required=True)
    department_name = fields.String(required=True)
    department_name_en = fields.String(allow_none=True)


class MonitoringFactsSchema(Schema):
    checkpoint = fields.Date(required=True)
    due_on = fields.Date(allow_none=True)
    reported_at = UTCDateTime(required=True)
    executed_amount = fields.Float(required=True)
    execution_rate = fields.Float(required=True, metadata={"description": "percent"})
    time_progress = fields.Float(required=True, metadata={"description": "percent"})
    goal_progress = fields.Float(required=True, metadata={"description": "percent of goal achievement"})
    execution_gap = fields.Float(required=True, metadata={"description": "points execution lags time progress"})
    goal_gap = fields.Float(required=True, metadata={"description": "points goal achievement lags execution"})
    can_meet = fields.String(required=True)
    warning_level = fields.String(required=True, validate=WARNINGS)
    deviation_reasons = fields.String(allow_none=True)


class EvaluationFactsSchema(Schema):
    kind = fields.String(required=True)
    score = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"description": "优 良 中 差"})
    completed_at = UTCDateTime(required=True)


class RectificationFactsSchema(Schema):
    status = fields.String(required=True)
    due_on = fields.Date(allow_none=True)
    fed_back_at = UTCDateTime(allow_none=True)
    submitted_at = UTCDateTime(allow_none=True)
    verified_at = UTCDateTime(allow_none=True)
    verdict = fields.String(allow_none=True)
    plan = fields.String(allow_none=True)


class MissedTargetSchema(Schema):
    measure = fields.String(required=True, metadata={"description": "goal_money_share | evaluated_money_share"})
    label = fields.String(allow_none=True)
    label_en = fields.String(allow_none=True)
    actual = fields.Float(allow_none=True, metadata={"description": "the department's own share, percent"})
    target = fields.Float(allow_none=True, metadata={"description": "the level's target, percent"})
    numerator = fields.Float(allow_none=True, metadata={"description": "money counted (CNY)"})
    denominator = fields.Float(allow_none=True, metadata={"description": "all the department's money (CNY)"})
    target_year = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "the target rule row's citation"})


class CoverageFactsSchema(Schema):
    department_id = fields.String(allow_none=True)
    department_name = fields.String(allow_none=True)
    fiscal_year = fields.Integer(allow_none=True)
    level = fields.String(allow_none=True)
    missed = fields.List(fields.Nested(MissedTargetSchema), required=True)


class MidtermIndicatorSchema(Schema):
    name = fields.String(allow_none=True)
    weight = fields.Float(allow_none=True)
    progress = fields.Float(allow_none=True, metadata={"description": "percent of the indicator's target achieved"})
    reported = fields.Boolean(required=True)
    gap = fields.Float(allow_none=True, metadata={"description": "points the indicator lags execution"})


class MidtermFactsSchema(Schema):
    as_of = fields.String(allow_none=True, metadata={"description": "the mid-term date the review is as of"})
    reviewed_at = UTCDateTime(required=True)
    executed_amount = fields.Float(allow_none=True, metadata={"description": "CNY"})
    execution_rate = fields.Float(allow_none=True, metadata={"description": "percent"})
    time_progress = fields.Float(allow_none=True, metadata={"description": "percent"})
    goal_progress = fields.Float(allow_none=True, metadata={"description": "percent of goal achievement"})
    execution_gap = fields.Float(allow_none=True, metadata={"description": "points execution lags time progress"})
    goal_gap = fields.Float(allow_none=True, metadata={"description": "points goal achievement lags execution"})
    indicators = fields.List(fields.Nested(MidtermIndicatorSchema), required=True)
    conclusion = fields.String(allow_none=True, metadata={"description": "on_track | attention | off_track"})
    comment = fields.String(allow_none=True)
    serious = fields.Boolean(required=True, metadata={"description": "a gap past the red threshold"})


def facts_schema(escalation: type[Schema]) -> type[Schema]:
    """The facts of one escalation, around the escalation itself as the list shows it."""
    return Schema.from_dict({
        "escalation": fields.Nested(escalation, required=True),
        "process_name": fields.String(required=True, metadata={"description": "the process as modelled"}),
        "instance_status": fields.String(required=True),
        "project": fields.Nested(ProjectFactsSchema, allow_none=True),
        "slipped": fields.Nested(SlippedTaskSchema, allow_none=True,
                                 metadata={"description": "the task whose deadline passed (none for a target)"}),
        "reminders": fields.List(fields.Nested(ReminderSchema), required=True,
                                 metadata={"description": "mails of the outbox about the slipped task"}),
        "timeline": fields.List(fields.Nested(TimelineEventSchema), required=True,
                                metadata={"description": "the instance's events (the latest 200), oldest first"}),
        "monitoring": fields.Nested(MonitoringFactsSchema, allow_none=True),
        "evaluation": fields.Nested(EvaluationFactsSchema, allow_none=True),
        "rectification": fields.Nested(RectificationFactsSchema, allow_none=True),
        "coverage": fields.Nested(CoverageFactsSchema, allow_none=True,
                                  metadata={"description": "a year-end coverage review: the targets missed"}),
        "midterm": fields.Nested(MidtermFactsSchema, allow_none=True,
                                 metadata={"description": "a mid-term review off track: its figures"}),
        "focus": fields.String(validate=validate.OneOf(("monitoring", "evaluation", "rectification", "coverage",
                                                         "midterm", "task")),
                               metadata={"description": "which of the facts answers this kind of escalation"}),
    }, name="EscalationFacts")


class OverdueStageSchema(Schema):
    process_id = fields.String(required=True)
    process_name = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    overdue = fields.Integer(required=True, metadata={"description": "open tasks past their due date"})
    oldest_due = UTCDateTime(required=True)


class OpenByDepartmentSchema(Schema):
    department_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    name_en = fields.String(allow_none=True)
    supervisor = fields.Integer(required=True, metadata={"description": "open, with the supervisors"})
    leadership = fields.Integer(required=True, metadata={"description": "open, handed up to the leadership"})
    total = fields.Integer(required=True)


class EscalationCountsSchema(Schema):
    overdue_by_stage = fields.List(fields.Nested(OverdueStageSchema), required=True)
    open_escalations_by_department = fields.List(fields.Nested(OpenByDepartmentSchema), required=True)
