"""The budget linkage on the right year and the in-year budget adjustment, with a hand-built fiscal year.

Results of 2014 are known in 2015, while the 2016 budget is prepared: the decision lands on 2016 (rule
`linkage.budget_year_offset` = 2), and the 2016 project continuing the 2014 one shows that grade and decision
to its reviewers. In-year (the plan 二(三)2): a monitoring decision's classified handling opinion moves money
toward the same year's urgent spending, one budget_adjustments row per decision, summed per year.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from service import clock, db
from service.cycle import evaluations
from service.domain.adjustments_rules import checked_amount
from service.domain.linkage_rules import budget_year
from service.errors import InvalidInput
from service.queries import project_history
from service.rules import store
from tests.workflows.stages import start_stage
from tests.workflows.test_monitoring import _approved, _at, _open_escalations, _report

ADJUST = {"decision": "order_rectification", "handling_opinion": "adjust", "adjustment_amount": 300_000,
          "adjustment_toward": "汛期学校危房应急加固", "adjustment_reason": "征地拆迁滞后，年内无法完成全部新建任务"}


def test_the_budget_year_is_a_rule_row_and_refuses_nonsense():
    assert budget_year(2014, 2) == 2016
    assert budget_year(2015, 1) == 2016  # an administrator may choose the following year
    for bad in (0, 4, "2", 2.0, True, None):
        with pytest.raises(InvalidInput):
            budget_year(2015, bad)


def test_year_n_grade_and_rectification_decide_the_budget_of_n_plus_2(cycle):
    pid = cycle.project("2014-dept-a-001", fiscal_year=2014, amount=2_000_000)
    with db.write(cycle.rt.engine) as conn:
        evaluations.record(conn, clock.now(), project_id=pid, kind="self", score=72.5, grade="中", detail={})
    iid = start_stage(cycle, pid, "budget_linkage", final_grade="中", rectification_status="done")
    [row] = cycle.rows("budget_decisions", project_id=pid)
    # 2,000,000 × (1 − 10 %) = 1,800,000 for the 2016 budget, prepared in 2015 when the 2014 results are known
    assert (row.for_year, row.grade, row.proposal, row.proposed_amount) == (2016, "中", "cut", Decimal("1800000.00"))
    assert cycle.instance(iid)["data"]["budget_for_year"] == 2016

    successor = cycle.project("2016-dept-a-007", fiscal_year=2016, name="义务教育学校标准化建设（二期）",
                              predecessor_id=pid)
    with cycle.rt.reading() as conn:
        found = project_history.history(conn, successor)
    assert [p["id"] for p in found["predecessors"]] == [pid]  # linked explicitly, though its name differs
    assert [(e["fiscal_year"], e["kind"], float(e["score"]), e["grade"]) for e in found["evaluations"]] == \
        [(2014, "self", 72.5, "中")]
    assert [(d["fiscal_year"], d["for_year"], d["proposal"]) for d in found["decisions"]] == [(2014, 2016, "cut")]


def test_the_offset_rule_row_moves_the_target_year(cycle):
    with db.write(cycle.rt.engine) as conn:
        store.set_rule(conn, 2015, "municipal", "linkage.budget_year_offset", 1, "test: the next year", "admin",
                       clock.now())
    pid = cycle.project()
    start_stage(cycle, pid, "budget_linkage", final_grade="良", rectification_status="done")
    assert cycle.rows("budget_decisions", project_id=pid)[0].for_year == 2016


def test_a_predecessor_must_be_an_earlier_project_of_the_department(cycle):
    later = cycle.project("2016-dept-a-001", fiscal_year=2016)
    with pytest.raises(InvalidInput):
        cycle.project("2015-dept-a-009", predecessor_id=later)  # a later year
    other = cycle.project("2014-dept-b-001", fiscal_year=2014, department_id="dept-b")
    with pytest.raises(InvalidInput):
        cycle.project("2015-dept-a-010", predecessor_id=other)  # another department


def test_in_year_adjustments_are_recorded_once_and_summed(cycle):
    red = _approved(cycle, id="2015-dept-a-001", amount=1_200_000)
    red_iid = cycle.start(red, process_id="monitoring")
    _at(cycle, "2015-08-31T10:00:00+08:00")
    _report(cycle, red_iid, executed=300_000, can_meet="possible")  # 25 % spent at 58.33 % of the year: red
    refusals = [
        ({**ADJUST, "adjustment_amount": None}, "adjustment_amount"),  # adjust needs the amount
        ({**ADJUST, "adjustment_amount": 1_500_000}, "adjustment_amount"),  # more than the 1,200,000 budget
        ({**ADJUST, "handling_opinion": "continue"}, "adjustment_amount"),  # continuing moves no money
        ({**ADJUST, "handling_opinion": "suspend"}, "handling_opinion"),  # the decision is not a suspension
        ({**ADJUST, "adjustment_toward": ""}, "adjustment_toward"),
    ]
    for data, field in refusals:
        body = cycle.complete(red_iid, "review_red_warning", data, user="supervisor", expect=422)
        assert field in {e.get("field") for e in body["errors"]}, body
    assert cycle.rows("budget_adjustments") == []
    cycle.complete(red_iid, "review_red_warning", ADJUST, user="supervisor")
    [moved] = cycle.rows("budget_adjustments", project_id=red)
    assert (moved.fiscal_year, moved.handling, moved.amount, moved.decided_by) == \
        (2015, "adjust", Decimal("300000.00"), "supervisor")
    assert (moved.toward, moved.reason) == (ADJUST["adjustment_toward"], ADJUST["adjustment_reason"])
    data = cycle.instance(red_iid)["data"]
    assert (data["handled_as"], data["adjusted_amount"], data["handling_opinion"]) == ("adjust", 300_000, None)

    # Another project seriously off course, suspended, then stopped: its unexecuted 950,000 moves.
    clock.set_now(datetime.fromisoformat("2015-08-01T09:00:00+08:00"))
    stop = _approved(cycle, id="2015-dept-a-002", amount=1_200_000)
    stop_iid = cycle.start(stop, process_id="monitoring")
    _at(cycle, "2015-08-10T09:00:00+08:00")
    _report(cycle, stop_iid, executed=200_000, can_meet="impossible")
    supervisor = cycle.as_user("supervisor")
    [esc] = [e for e in _open_escalations(cycle) if e["instance_id"] == stop_iid]
    assert supervisor.post(f"/api/escalations/{esc['id']}/resolve", json={
        "decision": "suspend", "comment": "暂缓执行", "data": {"handling_opinion": "suspend"}}).status_code == 200
    cycle.work()
    assert cycle.rows("budget_adjustments", project_id=stop) == []  # a suspension moves nothing
    _at(cycle, "2015-08-20T09:00:00+08:00")
    _report(cycle, stop_iid, executed=250_000, can_meet="impossible")
    cycle.complete(stop_iid, "deviation_decision", {
        "decision": "stop", "decision_comment": "停止执行", "handling_opinion": "stop",
        "adjustment_toward": "城区内涝应急排水", "adjustment_reason": "项目无法实现绩效目标"}, user="supervisor")
    [cut] = cycle.rows("budget_adjustments", project_id=stop)
    assert (cut.handling, cut.amount, cut.fiscal_year) == ("stop", Decimal("950000.00"), 2015)  # 1,200,000 − 250,000

    with cycle.rt.reading() as conn:
        year = project_history.adjustments_in(conn, 2015, "municipal")
    assert (year["count"], year["total"]) == (2, Decimal("1250000.00"))  # 300,000 + 950,000
    with cycle.rt.reading() as conn:
        assert project_history.adjustments_in(conn, 2016)["total"] == Decimal("0.00")


def test_the_amount_rule_is_pure():
    assert checked_amount("adjust", 300_000.004, 1_200_000) == Decimal("300000.00")
    assert checked_amount("continue", None, 1_200_000) is None
    assert checked_amount("stop", 0, 1_200_000) is None
    for handling, amount in (("adjust", None), ("adjust", 0), ("suspend", 1), ("stop", 1_200_001), ("other", 1),
                             ("adjust", -1)):
        with pytest.raises(InvalidInput):
            checked_amount(handling, amount, 1_200_000)
