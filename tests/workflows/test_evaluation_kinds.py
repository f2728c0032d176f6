"""Evaluation kinds (the plan 二(三)3一是): a transfer to a lower level and an enterprise's use of fiscal funds are
started through the API as evaluations of their kind, always get a key evaluation and are recorded with their kind
and subject; a kind without its subject is refused and nothing starts."""

from __future__ import annotations

from typing import Any

from service import db
from service.cycle import projects_records
from tests.workflows.test_evaluation import FY, SCHOOL, school_results, self_evaluation

# 决策 20 × 80 % = 16; 过程 20 × 100 % = 20; 产出 30 × 86 % = 25.8; 效益 30 × 75 % = 22.5 → 84.3 良
FRAMEWORK = {
    "decision": [{"name": "立项依据", "weight": 10, "score": 90}, {"name": "目标设定", "weight": 10, "score": 70}],
    "process": [{"name": "资金管理", "weight": 1, "score": 100}],
    "output": [{"name": "数量", "weight": 60, "score": 90}, {"name": "质量", "weight": 40, "score": 80}],
    "effect": [{"name": "社会效益", "weight": 1, "score": 75}],
}


# SCHOOL's weights total 90 (the stage started alone accepts that); the start form asks for 100
INDICATORS = [*SCHOOL[:3], {**SCHOOL[3], "weight": 20}]


def _start(cycle: Any, pid: str, extra: dict[str, Any], user: str = "reviewer") -> Any:
    with db.read(cycle.rt.engine) as conn:
        row = projects_records.get(conn, pid)
    data = {**projects_records.cycle_variables(row), "indicators": INDICATORS, **extra}
    return cycle.as_user(user).post("/api/instances", json={"process_id": "evaluation", "data": data,
                                                            "business_key": pid, "department_id": row.department_id})


def _evaluate(cycle: Any, pid: str, extra: dict[str, Any]) -> Any:
    resp = _start(cycle, pid, extra)
    assert resp.status_code == 201, resp.get_json()
    iid = str(resp.get_json()["id"])
    cycle.work()
    # 1,000,000: below the major threshold, transport outside the focus sectors: only the kind makes it key
    cycle.complete(iid, "self_evaluation", self_evaluation(900_000, school_results(8, 98, 5000, 85)),
                   user="staff_a")
    cycle.complete(iid, "key_report", {"framework": FRAMEWORK, "findings": "资金拨付滞后", "report_refs": ["报告.pdf"]},
                   user="agency")
    cycle.complete(iid, "rate_agency", {"agency_rating": {"quality": 90, "timeliness": 80, "compliance": 100}},
                   user="reviewer")
    return iid


def test_a_transfer_to_a_district_gets_a_key_evaluation_recorded_as_a_transfer(cycle):
    pid = cycle.project(f"{FY}-dept-a-tr", amount=1_000_000, fiscal_year=FY, sector="transport",
                        name="农村公路建设转移支付")
    iid = _evaluate(cycle, pid, {"evaluation_kind": "transfer", "transfer_recipient": "江夏区"})
    [key] = cycle.rows("evaluations", project_id=pid, kind="key")
    assert (float(key.score), key.grade) == (84.3, "良")
    assert (key.evaluation_kind, key.evaluated_subject) == ("transfer", "江夏区")
    [own] = cycle.rows("evaluations", project_id=pid, kind="self")
    assert (own.evaluation_kind, own.evaluated_subject) == ("transfer", "江夏区")
    data = cycle.instance(iid)["data"]
    assert (data["final_grade"], data["key_evaluated"]) == ("良", True)


def test_an_enterprise_use_of_fiscal_funds_gets_a_key_evaluation_recorded_as_such(cycle):
    pid = cycle.project(f"{FY}-dept-a-ent", amount=1_000_000, fiscal_year=FY, sector="transport",
                        name="节能减排技术改造补助")
    _evaluate(cycle, pid, {"evaluation_kind": "enterprise", "enterprise_name": "武汉某新能源有限公司"})
    [key] = cycle.rows("evaluations", project_id=pid, kind="key")
    assert (key.grade, key.evaluation_kind, key.evaluated_subject) == ("良", "enterprise", "武汉某新能源有限公司")


def test_a_kind_without_its_subject_is_refused_and_nothing_starts(cycle):
    pid = cycle.project(f"{FY}-dept-a-tr2", amount=1_000_000, fiscal_year=FY, sector="transport")
    before = len(cycle.rows("instances"))
    resp = _start(cycle, pid, {"evaluation_kind": "transfer"})
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"
    assert len(cycle.rows("instances")) == before
    resp = _start(cycle, pid, {"evaluation_kind": "loan", "transfer_recipient": "江夏区"})
    assert resp.status_code == 422
    assert len(cycle.rows("instances")) == before
