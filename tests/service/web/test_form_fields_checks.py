"""Form errors at their fields, in words: the conditional required reasons, which kind of indicator is missing,
and the checks across fields (executed ≤ budget unless explained, weights totalling 100), through the API (422 with
the field's pointer) and on the task page (the message next to the field)."""

from __future__ import annotations

import html
import json
from typing import Any

from jsonschema import Draft202012Validator

from service.bpm import form_checks
from service.config import ROOT
from service.web import formdata
from tests.conftest import count_rows, fixture_files
from tests.service.web.browser_fixtures import signed_in
from tests.workflows import test_evaluation as evaluation
from tests.workflows.test_goal_review import GOAL
from tests.workflows.test_monitoring import ON_TRACK, _approved, _at

DECLARATION = json.loads((ROOT / "forms" / "goal_declaration.schema.json").read_text(encoding="utf-8"))
MONITORING = json.loads((ROOT / "forms" / "monitoring_report.schema.json").read_text(encoding="utf-8"))
EFFECT_MISSING = ("缺少「指标类别」为效益·经济、效益·社会、效益·生态或效益·可持续影响的条目")


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _errors(schema: dict[str, Any], data: dict[str, Any], context: dict[str, Any] | None = None
            ) -> list[dict[str, Any]]:
    return (form_checks.schema_errors(Draft202012Validator(schema), data)
            or form_checks.cross_field(schema, data, context or {}))


def _goal(**changes: Any) -> dict[str, Any]:
    return {**GOAL, "indicators": [{**row, **changes.get(str(n), {})} for n, row in enumerate(GOAL["indicators"])]}


# --- the engine's errors and their words -------------------------------------------------------------------------

def test_the_missing_kind_of_indicator_is_named_in_both_languages():
    only_output = {"goal_summary": "目标", "indicators": [
        {"name": "甲", "category": "quantity", "comparator": ">=", "target": 1, "weight": 50, "standard_source": "plan"},
        {"name": "乙", "category": "quality", "comparator": ">=", "target": 1, "weight": 50, "standard_source": "plan"}]}
    errors = _errors(DECLARATION, only_output)
    assert errors == [{"field": "indicators", "message": "no row has category one of economic, social, ecological, "
                                                         "sustainability"}]
    assert formdata.engine_errors(errors, DECLARATION, "zh") == {"indicators": EFFECT_MISSING}
    english = formdata.engine_errors(errors, DECLARATION, "en")["indicators"]
    assert english == ("No row whose Category is Effect: economic, Effect: social, Effect: ecological or "
                       "Effect: sustainability")


def test_the_conditional_reasons_are_flagged_at_their_field_with_its_title():
    errors = _errors(MONITORING, {"executed_amount": 1, "indicator_actuals": [], "can_meet": "possible"})
    assert errors == [{"field": "deviation_reasons", "message": "'deviation_reasons' is a required property"}]
    found = formdata.engine_errors(errors, MONITORING, "zh")
    assert found == {"deviation_reasons": "必填"}  # at the field, not at "deviation_reasons/deviation_reasons"
    assert formdata.summary(found, MONITORING, "zh") == [("deviation_reasons", "偏差原因分析", "必填")]
    assert formdata.summary(found, MONITORING, "en")[0][1] == "Reasons for deviation"


def test_executed_beyond_the_budget_needs_the_reasons():
    over = {"executed_amount": 4_800_000, "indicator_actuals": [], "can_meet": "certain"}
    errors = _errors(MONITORING, over, {"budget_amount": 1_200_000})
    assert [e["field"] for e in errors] == ["executed_amount", "deviation_reasons"]
    found = formdata.engine_errors(errors, MONITORING, "zh")
    assert found == {"executed_amount": "已执行金额超过预算 1,200,000.00 元，请填写偏差原因",
                     "deviation_reasons": "已执行金额超过预算时必填"}
    assert formdata.engine_errors(errors, MONITORING, "en")["executed_amount"] == (
        "More than the budget of 1,200,000.00 CNY: give the reasons for the deviation")
    assert _errors(MONITORING, {**over, "deviation_reasons": "追加预算已批复"}, {"budget_amount": 1_200_000}) == []
    assert _errors(MONITORING, {**over, "executed_amount": 1_200_000}, {"budget_amount": 1_200_000}) == []
    assert _errors(MONITORING, over, {}) == []  # no budget known: nothing to compare with


def test_the_weights_of_a_goal_total_100():
    assert _errors(DECLARATION, GOAL) == []
    errors = _errors(DECLARATION, _goal(**{"0": {"weight": 10}}))
    assert errors == [{"field": "indicators", "message": "the weights total 80, not 100"}]
    assert formdata.engine_errors(errors, DECLARATION, "zh") == {"indicators": "各项权重合计为 80，应为 100"}
    assert formdata.engine_errors(errors, DECLARATION, "en") == {
        "indicators": "The weights total 80; they must total 100"}
    assert _errors(DECLARATION, _goal(**{"0": {"weight": 29.5}, "1": {"weight": 20.5}})) == []


# --- the API: 422 with the field's pointer, nothing changed ------------------------------------------------------

def _monitoring_task(cycle: Any) -> tuple[str, str]:
    iid = cycle.start(_approved(cycle), process_id="monitoring")  # budget 1,200,000
    _at(cycle, "2015-08-03T09:00:00+08:00")
    return iid, cycle.task(iid, "file_report", "staff_a")["id"]


def test_api_refuses_an_unexplained_overspend_at_its_field(cycle):
    iid, task_id = _monitoring_task(cycle)
    over = {"executed_amount": 4_800_000, "indicator_actuals": ON_TRACK, "can_meet": "certain"}
    body = cycle.complete(iid, "file_report", over, user="staff_a", expect=422)
    assert {e["field"] for e in body["errors"]} == {"executed_amount", "deviation_reasons"}
    assert cycle.task(iid, "file_report", "staff_a")["id"] == task_id  # nothing was completed
    cycle.complete(iid, "file_report", {**over, "deviation_reasons": "追加预算已批复"}, user="staff_a")
    assert cycle.tasks(iid, "staff_a") == [] or cycle.tasks(iid, "staff_a")[0]["id"] != task_id


def test_api_refuses_weights_and_a_missing_kind_at_the_indicators(cycle):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    body = cycle.complete(iid, "declare_goal", _goal(**{"0": {"weight": 10}}), user="staff_a", expect=422)
    assert body["errors"] == [{"field": "indicators", "message": "the weights total 80, not 100"}]
    quantity_only = {**GOAL, "indicators": [{**row, "category": "quantity"} for row in GOAL["indicators"]]}
    body = cycle.complete(iid, "declare_goal", quantity_only, user="staff_a", expect=422)
    assert body["errors"][0]["field"] == "indicators" and "economic" in body["errors"][0]["message"]


# --- the page: the message next to its field ----------------------------------------------------------------------

def _goal_form(goal: dict[str, Any]) -> dict[str, str]:
    form = {"goal_summary": goal["goal_summary"]}
    for n, indicator in enumerate(goal["indicators"]):
        for key, value in indicator.items():
            if value is not None:
                form[f"indicators/{n}/{key}"] = "true" if value is True else str(value)
    return form


def test_page_shows_the_weights_and_the_missing_kind_at_the_indicator_table(app, cycle):
    iid = cycle.start(cycle.project(), process_id="goal_review")
    [task] = cycle.tasks(iid, "staff_a")
    staff = signed_in(app, "staff_a")
    staff.get(f"/tasks/{task['id']}")
    answer = staff.submit(f"/tasks/{task['id']}/complete", _goal_form(_goal(**{"0": {"weight": 10}})))
    assert answer.status_code == 422
    assert 'data-error-for="indicators" role="alert">各项权重合计为 80，应为 100' in _text(answer)
    quantity_only = {**GOAL, "indicators": [{**row, "category": "quantity"} for row in GOAL["indicators"]]}
    answer = staff.submit(f"/tasks/{task['id']}/complete", _goal_form(quantity_only))
    assert answer.status_code == 422
    page = _text(answer)
    assert f'data-error-for="indicators" role="alert">{EFFECT_MISSING}' in page
    assert "category" not in page.split('data-error-for="indicators"')[1][:200]
    assert cycle.tasks(iid, "staff_a")[0]["id"] == task["id"]  # nothing was completed


def test_page_flags_the_reasons_and_the_overspend_at_their_fields(app, cycle):
    iid, task_id = _monitoring_task(cycle)
    staff = signed_in(app, "staff_a")
    staff.get(f"/tasks/{task_id}")
    form = {"executed_amount": "700000", "can_meet": "possible", "indicator_actuals/0/name": "新建校舍面积",
            "indicator_actuals/0/actual": "6000", "indicator_actuals/0/expected": "10000"}
    answer = staff.submit(f"/tasks/{task_id}/complete", form)
    page = _text(answer)
    assert answer.status_code == 422
    assert 'data-error-for="deviation_reasons" role="alert">必填' in page
    assert "deviation_reasons</" not in page and "'deviation_reasons'" not in page  # no raw key in the summary
    assert "偏差原因分析" in page

    answer = staff.submit(f"/tasks/{task_id}/complete", {**form, "executed_amount": "4800000", "can_meet": "certain"})
    page = _text(answer)
    assert answer.status_code == 422
    assert 'data-error-for="executed_amount" role="alert">已执行金额超过预算 1,200,000.00 元，请填写偏差原因' in page
    assert 'data-error-for="deviation_reasons" role="alert">已执行金额超过预算时必填' in page
    assert cycle.task(iid, "file_report", "staff_a")["id"] == task_id


def test_dates_in_order_where_a_field_says_which_it_may_not_precede():
    schema = {"type": "object", "properties": {
        "start": {"type": "string", "format": "date", "title": "开始日期", "x-title-en": "Start"},
        "end": {"type": "string", "format": "date", "title": "结束日期", "x-not-before": "start"},
        "steps": {"type": "array", "title": "步骤", "items": {"type": "object", "properties": {
            "from": {"type": "string", "format": "date-time", "title": "起"},
            "to": {"type": "string", "format": "date-time", "title": "止", "x-not-before": "from"}}}}}}
    good = {"start": "2015-03-01", "end": "2015-03-01",
            "steps": [{"from": "2015-03-01T08:00:00+08:00", "to": "2015-03-01T09:00:00+08:00"}]}
    assert _errors(schema, good) == []
    bad = {"start": "2015-03-02", "end": "2015-03-01",
           "steps": [{"from": "2015-03-01T08:00:00+08:00", "to": "2015-03-01T07:59:00+08:00"}]}
    errors = _errors(schema, bad)
    assert errors == [{"field": "end", "message": "is before start"},
                      {"field": "steps/0/to", "message": "is before from"}]
    assert formdata.engine_errors(errors, schema, "zh") == {"end": "不能早于「开始日期」", "steps/0/to": "不能早于「起」"}
    assert formdata.engine_errors(errors, schema, "en")["end"] == "Cannot be before Start"


# --- the self-evaluation's and the mid-term review's executed amounts ------------------------------------------

SELF_EVALUATION = json.loads((ROOT / "forms" / "self_evaluation.schema.json").read_text(encoding="utf-8"))
MIDTERM_REVIEW = json.loads((ROOT / "forms" / "midterm_review.schema.json").read_text(encoding="utf-8"))


def test_a_self_evaluation_above_the_budget_needs_the_reasons():
    over = evaluation.self_evaluation(1_300_000, evaluation.school_results(8, 98, 5000, 85))
    errors = _errors(SELF_EVALUATION, over, {"budget_amount": 1_200_000})
    assert errors == [{"field": "executed_amount", "message": "exceeds the budget of 1200000.00"},
                      {"field": "deviation_reasons", "message": "required when the executed amount exceeds the budget"}]
    assert formdata.engine_errors(errors, SELF_EVALUATION, "zh") == {
        "executed_amount": "已执行金额超过预算 1,200,000.00 元，请填写偏差原因",
        "deviation_reasons": "已执行金额超过预算时必填"}
    assert _errors(SELF_EVALUATION, {**over, "deviation_reasons": "追加预算已批复"}, {"budget_amount": 1_200_000}) == []
    assert _errors(SELF_EVALUATION, {**over, "deviation_reasons": "  "}, {"budget_amount": 1_200_000}) == errors
    assert _errors(SELF_EVALUATION, {**over, "executed_amount": 1_200_000}, {"budget_amount": 1_200_000}) == []


def test_a_midterm_review_above_the_budget_needs_the_reasons_at_its_own_field():
    over = {"midterm_executed_amount": 1_250_000, "midterm_conclusion": "attention",
            "midterm_indicator_actuals": [{"name": "新建校舍面积", "actual": 3000, "expected": 10000}]}
    errors = _errors(MIDTERM_REVIEW, over, {"budget_amount": 1_200_000})
    assert [e["field"] for e in errors] == ["midterm_executed_amount", "midterm_deviation_reasons"]
    found = formdata.engine_errors(errors, MIDTERM_REVIEW, "zh")
    assert found["midterm_deviation_reasons"] == "已执行金额超过预算时必填"
    assert formdata.summary(found, MIDTERM_REVIEW, "zh")[1][1] == "超预算原因说明"
    assert _errors(MIDTERM_REVIEW, {**over, "midterm_deviation_reasons": "提前拨付二期工程款"},
                   {"budget_amount": 1_200_000}) == []
    assert _errors(MIDTERM_REVIEW, {**over, "midterm_executed_amount": 480_000}, {"budget_amount": 1_200_000}) == []


def test_api_and_page_refuse_an_unexplained_self_evaluation_overspend_at_its_fields(app, cycle):
    pid = cycle.project(evaluation.project_id(want_spot_check=False), amount=1_200_000, fiscal_year=evaluation.FY)
    iid = evaluation.start(cycle, pid, evaluation.SCHOOL)
    over = evaluation.self_evaluation(1_300_000, evaluation.school_results(8, 98, 5000, 85))
    body = cycle.complete(iid, "self_evaluation", over, user="staff_a", expect=422)
    assert [e["field"] for e in body["errors"]] == ["executed_amount", "deviation_reasons"]
    [task] = cycle.tasks(iid, "staff_a")
    assert task["bpmn_id"] == "self_evaluation"  # nothing was completed

    staff = signed_in(app, "staff_a")
    staff.get(f"/tasks/{task['id']}")
    form = {"executed_amount": "1300000", "summary": over["summary"]}
    for n, row in enumerate(over["indicator_results"]):
        for key, value in row.items():
            form[f"indicator_results/{n}/{key}"] = str(value)
    answer = staff.submit(f"/tasks/{task['id']}/complete", form)
    page = _text(answer)
    assert answer.status_code == 422
    assert 'data-error-for="executed_amount" role="alert">已执行金额超过预算 1,200,000.00 元，请填写偏差原因' in page
    assert 'data-error-for="deviation_reasons" role="alert">已执行金额超过预算时必填' in page
    assert cycle.tasks(iid, "staff_a")[0]["id"] == task["id"]

    cycle.complete(iid, "self_evaluation", {**over, "deviation_reasons": "追加预算 100,000 元已批复"}, user="staff_a")
    assert cycle.instance(iid)["data"]["deviation_reasons"] == "追加预算 100,000 元已批复"


def test_a_start_forms_checks_across_fields_stand_at_their_field(client, runtime, deploy_fixture):
    start = json.loads(fixture_files("simple_start.schema.json")["simple_start.schema.json"])
    start["properties"] |= {"from": {"type": "string", "format": "date", "title": "起"},
                            "to": {"type": "string", "format": "date", "title": "止", "x-not-before": "from"}}
    deploy_fixture(files={**fixture_files("simple.bpmn", "simple_form.schema.json"),
                          "simple_start.schema.json": json.dumps(start).encode("utf-8")})
    backwards = {"amount": 1, "from": "2015-03-10", "to": "2015-03-01"}
    resp = client.post("/api/instances", json={"process_id": "simple", "data": backwards})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [{"field": "data/to", "message": "is before from"}]
    assert count_rows(runtime, "instances") == 0
    resp = client.post("/api/instances", json={"process_id": "simple", "data": {**backwards, "to": "2015-03-10"}})
    assert resp.status_code == 201 and count_rows(runtime, "instances") == 1
