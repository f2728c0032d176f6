"""The deadline catalogue (docs/CYCLE.md, "Deadlines"): every user task of workflows/ has a due date computed from
a rule row that exists, the model really computes it from that rule, and the committed table is what the models
give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.bpm import deadline_catalogue as catalogue
from service.cli_docs import DOC, build
from service.config import ROOT

WORKFLOWS, FORMS = ROOT / "workflows", ROOT / "forms"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_user_task_is_catalogued_and_the_committed_table_is_current():
    table, problems = build(WORKFLOWS, FORMS)
    assert problems == []
    assert table in DOC.read_text(encoding="utf-8"), "run `jixiao docs deadlines` and commit docs/CYCLE.md"
    user_tasks = sum(p.read_text(encoding="utf-8").count("<bpmn:userTask ") for p in WORKFLOWS.glob("*.bpmn"))
    assert len(catalogue.read(WORKFLOWS, FORMS)) == user_tasks
    assert table.count("\n| `") == user_tasks


def test_the_tasks_that_slipped_silently_have_due_dates_now():
    entries = {(e.process_id, e.task_id): e for e in catalogue.read(WORKFLOWS, FORMS)}
    for key, rule in [(("goal_review", "submit_goal"), "goal.submission_working_days"),
                      (("monitoring", "midterm_review"), "monitoring.midterm_review_working_days"),
                      (("rectification", "supervise_rectification"), "escalation.supervisor_decision_working_days"),
                      (("accountability", "handle_accountability"), "accountability.handling_days")]:
        assert entries[key].deadline_rule == rule and entries[key].due_date.startswith("${")


def test_a_supervisors_choices_come_from_the_escalation_tasks_form():
    entries = {(e.process_id, e.task_id): e for e in catalogue.read(WORKFLOWS, FORMS)}
    [slip] = entries["rectification", "submit_rectification"].escalations
    assert (slip.element_id, slip.task_id, slip.groups) == \
        ("rectification_overdue", "supervise_rectification", ["supervisor"])
    assert [v for v, _ in slip.decisions] == ["extend_deadline", "order_rectification", "open_accountability"]
    found = {x.element_id: x for x in entries["monitoring", "file_report"].escalations}
    assert set(found) == {"report_slipped", "on_serious", "on_red"}  # the timer and the events sit on `check`
    slipped, serious, red = found["report_slipped"], found["on_serious"], found["on_red"]
    assert (slipped.kind, slipped.grace_rule, slipped.task_id) == \
        ("deadline", "escalation.grace_working_days", "supervise_report")
    assert (serious.kind, serious.when, serious.task_id) == ("target", "SERIOUS_DEVIATION", "deviation_decision")
    assert (red.kind, red.when, red.task_id) == ("target", "RED_WARNING", "review_red_warning")
    [climb] = entries["monitoring", "supervise_report"].escalations
    assert (climb.task_id, climb.groups) == ("lead_report", ["bureau_leader"])


@pytest.mark.parametrize("file, old, new, expected", [
    # a user task without a catalogue entry
    ("accountability.bpmn", '<camunda:property name="deadline_rule" value="accountability.handling_days" />', "",
     "accountability.handle_accountability: no deadline_rule"),
    # the catalogue names a rule row that does not exist
    ("goal_review.bpmn", 'value="goal.submission_working_days"', 'value="goal.head_days"',
     "goal_review.submit_goal: rule goal.head_days is not a row"),
    # the model computes the due date from another rule than the catalogued one
    ("goal_review.bpmn", "deadline_rule = 'goal.submission_working_days'", "deadline_rule = 'goal.review_working_days'",
     "goal_review.submit_goal: the due date ${submission_due_at} is not computed from rule goal.submission_working_days"),
    # a fixed duration instead of a rule row
    ("accountability.bpmn", 'camunda:dueDate="${accountability_due_at}"', 'camunda:dueDate="P30D"',
     "accountability.handle_accountability: camunda:dueDate 'P30D' is not a ${variable}"),
    # a handler that computes the due date itself must use the catalogued rule
    ("monitoring.bpmn", 'value="monitoring.midterm_review_working_days"', 'value="goal.review_working_days"',
     "monitoring.midterm_review: the due date ${midterm_due_at} is not computed from rule goal.review_working_days"),
])
def test_a_model_that_disagrees_with_its_catalogue_fails(tmp_path, file, old, new, expected):
    workflows = _copy(tmp_path)
    _edit(workflows / file, old, new)
    _, problems = build(workflows, FORMS)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_generator_rewrites_only_its_own_section(tmp_path):
    doc = tmp_path / "CYCLE.md"
    doc.write_text(f"# before\n\n{catalogue.BEGIN}\nstale\n{catalogue.END}\n\nafter\n", encoding="utf-8")
    table, _ = build(WORKFLOWS, FORMS)
    assert catalogue.rewrite(doc, table) is True
    assert doc.read_text(encoding="utf-8") == f"# before\n\n{table}\n\nafter\n"
    assert catalogue.rewrite(doc, table) is False
