"""The goal declaration and review process in workflows/: approve, 中 → revise → resubmit, 差 → blocked."""

from __future__ import annotations

import pytest

from service.config import Settings
from service.engine.deploy import deploy, read_dir
from service.runtime import Runtime

GOAL = {
    "project_name": "农村饮水安全工程", "budget_amount": 6_000_000, "goal_summary": "保障农村饮水安全",
    "indicators": [
        {"name": "新建供水站", "category": "quantity", "unit": "座", "comparator": ">=", "target": 12, "weight": 30},
        {"name": "受益人口", "category": "social", "unit": "万人", "comparator": ">=", "target": 5, "weight": 20},
    ],
}
REVIEW = {"completeness": "良", "relevance": "优", "appropriateness": "良", "feasibility": "良"}


@pytest.fixture
def workflows_runtime(settings: Settings, runtime: Runtime) -> Runtime:
    real = Settings(database_url=settings.database_url)  # the repository's forms/ and workflows/
    deploy(runtime.engine, runtime.specs, read_dir(real.workflows_dir), real, actor="test")
    return runtime


def _complete(client, iid, bpmn_id, data):
    items = client.get(f"/api/tasks?instance_id={iid}").get_json()["items"]
    [task] = [t for t in items if t["bpmn_id"] == bpmn_id]
    resp = client.post(f"/api/tasks/{task['id']}/complete", json={"data": data})
    assert resp.status_code == 200, resp.get_json()
    return task


def _status(client, iid):
    return client.get(f"/api/instances/{iid}").get_json()


@pytest.mark.parametrize("outcome, end_status", [("优", "approved"), ("良", "approved"), ("差", "blocked")])
def test_review_outcomes(client, workflows_runtime, outcome, end_status):
    iid = client.post("/api/instances", json={"process_id": "goal_review", "business_key": "2015-P001"}).get_json()["id"]
    task = _complete(client, iid, "declare_goal", GOAL)
    assert task["candidate_groups"] == ["department_staff"]
    _complete(client, iid, "submit_goal", {"head_approved": True})
    _complete(client, iid, "finance_review", {**REVIEW, "review_outcome": outcome})
    inst = _status(client, iid)
    assert inst["status"] == "completed" and inst["data"]["goal_status"] == end_status


def test_medium_returns_for_revision_then_approved(client, workflows_runtime):
    iid = client.post("/api/instances", json={"process_id": "goal_review"}).get_json()["id"]
    _complete(client, iid, "declare_goal", GOAL)
    _complete(client, iid, "submit_goal", {"head_approved": True})
    _complete(client, iid, "finance_review", {**REVIEW, "review_outcome": "中", "review_comment": "指标不可衡量"})
    revised = {**GOAL, "goal_summary": "保障12座供水站覆盖5万人饮水安全"}
    _complete(client, iid, "declare_goal", revised)
    _complete(client, iid, "submit_goal", {"head_approved": True})
    _complete(client, iid, "finance_review", {**REVIEW, "review_outcome": "优"})
    inst = _status(client, iid)
    assert inst["status"] == "completed" and inst["data"]["revisions"] == 1
    assert inst["data"]["goal_summary"] == revised["goal_summary"]


def test_declaration_with_one_indicator_is_refused(client, workflows_runtime):
    iid = client.post("/api/instances", json={"process_id": "goal_review"}).get_json()["id"]
    [task] = client.get(f"/api/tasks?instance_id={iid}").get_json()["items"]
    resp = client.post(f"/api/tasks/{task['id']}/complete",
                       json={"data": {**GOAL, "indicators": GOAL["indicators"][:1]}})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "indicators"
