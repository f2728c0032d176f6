"""The comprehensive evaluation of a department's performance management (workflows/comprehensive_evaluation.bpmn,
the plan 二(三)3): notice → the department's self-report → the bureau scores the entered indicators → the result
in the department's inbox, acknowledged. The measured indicators come from the department's real cycle records."""

from __future__ import annotations

import io
import json

import pytest

from service import clock
from service.domain.roles import SYSTEM
from service.scorecard import scorecard_launch
from tests.service.attachments import samples
from tests.workflows import ladder, stages
from tests.workflows.stages import approve_goal, start_stage

SELF = {"basic.rules": 5, "basic.organisation": 5, "reform.innovation": 6, "reform.pilots": 3}
BUREAU = {"basic.rules": 4, "basic.organisation": 5, "reform.innovation": 5, "reform.pilots": 2}


def _start_evaluations(cycle, year: int, level: str, now) -> scorecard_launch.Launch:
    with cycle.rt.unit_of_work() as conn:
        return scorecard_launch.start_evaluations(conn, cycle.rt.workflows, year, level, now)


def _self_report(points: dict[str, float]) -> dict:
    return {"self_summary": "本年度建立了预算绩效管理办法，配备专职人员。",
            "self_scores": [{"code": code, "self_points": p, "description": "见佐证材料",
                             "evidence": [{"title": "绩效管理办法", "reference": "教发〔2015〕3号"}]}
                            for code, p in points.items()]}


def _scoring(points: dict[str, float]) -> dict:
    return {"scores": [{"code": code, "points": p, "comment": "依据佐证材料"} for code, p in points.items()],
            "feedback": "目标管理较好，运行监控需加强。", "improvements": ["按时报送监控报告"]}


def _last_completed(cycle, iid: str, bpmn_id: str) -> str:
    """The task completed last (the one sent back was completed first): the audit log keeps the order."""
    history = cycle.as_user("auditor").get(f"/api/instances/{iid}/history?per_page=200").get_json()["items"]
    done = [e["input"]["task_id"] for e in history if e["command"] == "complete_task"]
    ours = {t.id for t in cycle.rows("tasks", instance_id=iid, bpmn_id=bpmn_id)}
    return [t for t in done if t in ours][-1]


def _evaluation_of(cycle, department_id: str) -> str:
    started = _start_evaluations(cycle, 2015, "municipal", clock.now())
    cycle.work()
    return started.started[department_id]


def test_self_report_scoring_and_feedback_in_the_departments_inbox(cycle):
    pid = cycle.project("2015-dept-a-001")
    approve_goal(cycle, start_stage(cycle, pid, "goal_review"), outcome="优")
    # the department sent two people to the bureau's training session (the plan 三(四)): basic.training scores 5
    held_on = clock.local_today(clock.now()).isoformat()
    session = cycle.as_user("reviewer").post("/api/trainings", json={
        "level": "municipal", "title": "绩效目标管理专题培训班", "held_on": held_on, "organiser": "市财政局绩效管理处"})
    assert session.status_code == 201, session.get_json()
    attended = cycle.as_user("reviewer").post(f"/api/trainings/{session.get_json()['id']}/attendance",
                                              json={"group": "departments", "department_id": "dept-a",
                                                    "head_count": 2})
    assert attended.status_code == 201, attended.get_json()
    iid = _evaluation_of(cycle, "dept-a")
    data = cycle.instance(iid)["data"]
    assert {i["code"] for i in data["entered_indicators"]} == set(SELF)
    [card] = cycle.rows("scorecards", department_id="dept-a")
    assert (card.status, card.fiscal_year, card.level, card.instance_id) == ("notified", 2015, "municipal", iid)
    # the department's own staff get the self-report; another department's do not
    assert [t["bpmn_id"] for t in cycle.tasks(iid, "staff_a")] == ["self_report"]
    assert cycle.tasks(iid, "staff_b") == []

    # self-assessed points above an indicator's weight (basic.organisation is worth 5) go back to the department
    cycle.complete(iid, "self_report", _self_report({**SELF, "basic.organisation": 7}), user="staff_a")
    errors = cycle.instance(iid)["data"]["self_report_errors"]
    assert errors == [{"field": "self_scores[1].self_points", "message": "between 0 and 5"}]
    task = cycle.task(iid, "self_report", "staff_a")
    upload = cycle.as_user("staff_a").post(f"/api/tasks/{task['id']}/attachments", content_type="multipart/form-data",
                                           data={"file": (io.BytesIO(samples.PDF), "绩效管理办法.pdf")})
    assert upload.status_code == 201, upload.get_json()
    cycle.complete(iid, "self_report", {**_self_report(SELF), "evidence_files": [upload.get_json()["id"]]},
                   user="staff_a")
    [card] = cycle.rows("scorecards", department_id="dept-a")
    assert card.status == "self_reported"
    assert json.loads(card.detail)["self_report"]["evidence_files"] == [upload.get_json()["id"]]

    # the reviewer sees the measured indicators; a missing entered score goes back to the reviewer
    measured = {m["code"]: m["points"] for m in cycle.instance(iid)["data"]["measured_scores"]}
    assert measured["goals.declared_on_time"] == 8.0 and measured["monitoring.reports_on_time"] == 0.0
    assert measured["basic.training"] == 5.0
    cycle.complete(iid, "bureau_scoring", _scoring({k: v for k, v in BUREAU.items() if k != "reform.pilots"}),
                   user="reviewer")
    assert cycle.instance(iid)["data"]["scoring_errors"] == [{"field": "scores", "message": "missing reform.pilots"}]
    cycle.complete(iid, "bureau_scoring", _scoring(BUREAU), user="reviewer")

    # measured (rule scorecard.indicators, municipal): the one project declared on time (8), complete (4),
    # reviewed 优 the first time (8); no monitoring report (0 of 10); no warning (10); not self-evaluated yet
    # (0 of 10); no spot-check (10); no rectification due (6); no budget decision (0 + 0); the training session
    # attended (5) = 51. Entered: 4 + 5 + 5 + 2 = 16. Total 67.00: 中 (rule scorecard.grade_floors: 中 from 60).
    [card] = cycle.rows("scorecards", department_id="dept-a")
    assert (card.status, float(card.total), card.grade, card.rank) == ("scored", 67.0, "中", 1)
    ack = cycle.task(iid, "acknowledge_result", "head_a")  # the feedback is a task in the department's inbox
    shown = cycle.as_user("head_a").get(f"/api/tasks/{ack['id']}").get_json()["data"]
    assert (shown["scorecard_total"], shown["scorecard_grade"], shown["scorecard_rank"]) == (67.0, "中", 1)
    assert shown["feedback"].startswith("目标管理较好")
    inbox = cycle.as_user("staff_a").get("/api/tasks?scope=candidate&per_page=100").get_json()["items"]
    assert "acknowledge_result" in [t["bpmn_id"] for t in inbox]
    assert "acknowledge_result" not in [t["bpmn_id"] for t in cycle.tasks(iid, "staff_b")]

    cycle.complete(iid, "acknowledge_result", {"acknowledged": True, "acknowledge_comment": "收到"}, user="head_a")
    assert cycle.instance(iid)["status"] == "completed"
    [card] = cycle.rows("scorecards", department_id="dept-a")
    assert card.status == "acknowledged" and json.loads(card.detail)["acknowledgement"]["by"] == "head_a"

    # every entered score links to the scoring task, and to the self-report task it was claimed in
    entries = {e.code: e for e in cycle.rows("scorecard_entries", scorecard_id=card.id)}
    scoring, report = (_last_completed(cycle, iid, bpmn_id) for bpmn_id in ("bureau_scoring", "self_report"))
    assert entries["basic.rules"].task_id == scoring and float(entries["basic.rules"].points) == 4.0
    evidence = json.loads(entries["basic.rules"].evidence)["evidence"]
    assert [(e["table"], e["id"]) for e in evidence] == [("tasks", scoring), ("tasks", report)]
    declared = json.loads(entries["goals.declared_on_time"].evidence)["evidence"]
    assert [(e["table"], e["project_id"], e["ok"]) for e in declared] == [("goals", pid, True)]


def test_a_second_launch_starts_nothing_twice(cycle):
    first = _start_evaluations(cycle, 2015, "municipal", clock.now())
    again = _start_evaluations(cycle, 2015, "municipal", clock.now())
    assert set(first.started) >= {"dept-a", "dept-b"} and again.started == {}
    assert again.existing == first.started


def test_an_abandoned_evaluation_is_started_again_on_the_same_scorecard(cycle):
    iid = _evaluation_of(cycle, "dept-a")
    [card] = cycle.rows("scorecards", department_id="dept-a")
    resp = cycle.as_user("admin").post(f"/api/instances/{iid}/terminate", json={"reason": "通知有误，重新下发"})
    assert resp.status_code == 200, resp.get_json()
    again = _start_evaluations(cycle, 2015, "municipal", clock.now())
    cycle.work()
    assert set(again.started) == {"dept-a"} and again.started["dept-a"] != iid
    [reopened] = cycle.rows("scorecards", department_id="dept-a")
    assert (reopened.id, reopened.instance_id, reopened.status) == (card.id, again.started["dept-a"], "notified")



# --- the escalation ladder (supervisor, then leadership): the department's self-report or acknowledgement, the bureau's scoring ------------

def _one_evaluation(cycle, department_id: str = "dept-a") -> str:
    """One department's evaluation, started as the launch starts it (the others' would slip beside it)."""
    inst = cycle.rt.workflows.start(scorecard_launch.PROCESS, {"department_id": department_id, "department_name": "市教育局",
                                                     "fiscal_year": 2015, "level": "municipal"},
                                    business_key=scorecard_launch.business_key(2015, department_id), actor=SYSTEM,
                                    department_id=department_id, now=clock.now())
    cycle.work()
    return str(inst["id"])


ACK = {"acknowledged": True, "acknowledge_comment": "收到"}
STEPS = [("self_report", _self_report(SELF), "staff_a"), ("bureau_scoring", _scoring(BUREAU), "reviewer"),
         ("acknowledge_result", ACK, "head_a")]
# task, its deadline's name, its owner
LADDERS = [("self_report", "self_report", "staff_a"), ("bureau_scoring", "scoring", "reviewer"),
           ("acknowledge_result", "acknowledgement", "head_a")]


def _steps(cycle, iid, start: int, stop: int) -> None:
    for bpmn_id, form, user in STEPS[start:stop]:
        cycle.complete(iid, bpmn_id, form, user=user)


def _at(cycle, task: str) -> str:
    """A department's evaluation with the tasks before `task` done."""
    iid = _one_evaluation(cycle)
    _steps(cycle, iid, 0, [s[0] for s in STEPS].index(task))
    return iid


@pytest.mark.parametrize("task, name, owner", LADDERS, ids=[t[0] for t in LADDERS])
@pytest.mark.parametrize("decision", ["extend_deadline", "order_rectification", "open_accountability"])
def test_a_slip_climbs_to_the_leadership_whose_decision_reissues_the_task(cycle, task, name, owner, decision):
    iid = _at(cycle, task)
    esc = stages.slip(cycle, iid, task, name)
    assert esc["department_id"] == "dept-a"
    assert task not in [t["bpmn_id"] for t in cycle.tasks(iid, owner)]  # withdrawn from its owner
    stages.refused(cycle, iid, esc, "dismiss")
    handed = stages.climb(cycle, iid, name, esc)
    stages.decide(cycle, handed, decision, user="leader")
    again = stages.reissued(cycle, iid, task, name, decision, ladder.today(), ladder.order_due(cycle, ladder.today()),
                            user=owner)  # back in its owner's inbox
    assert again["bpmn_id"] == task
    index = [s[0] for s in STEPS].index(task)
    _steps(cycle, iid, index, index + 1)
    after = [STEPS[index + 1][0]] if index + 1 < len(STEPS) else []
    case = ["handle_accountability"] if decision == "open_accountability" else []
    assert stages.ready(cycle, iid) == sorted([*after, *case])
    stages.verified(cycle)


@pytest.mark.parametrize("task, name, owner", LADDERS, ids=[t[0] for t in LADDERS])
def test_a_case_opened_on_a_slip_runs_beside_the_reissued_task_and_the_stage_ends_with_it(cycle, task, name, owner):
    iid = _at(cycle, task)
    case = ladder.open_case(cycle, iid, task, name)
    assert (case.reason, case.project_id, case.department_id) == (f"{name}_slipped", None, "dept-a")  # a department's
    due = cycle.instance(iid)["data"][f"{name}_due_at"]
    _steps(cycle, iid, [s[0] for s in STEPS].index(task), len(STEPS))
    assert stages.ready(cycle, iid) == ["handle_accountability"]
    [card] = cycle.rows("scorecards", department_id="dept-a")
    assert card.status == "acknowledged" and cycle.instance(iid)["status"] == "running"
    ladder.close_case(cycle, iid)
    inst = cycle.instance(iid)
    assert inst["status"] == "completed" and cycle.rows("accountability_cases")[0].status == "closed"
    assert (inst["data"][f"{name}_due_at"], inst["data"]["accountability_case_id"]) == (due, case.id)
    assert "accountability_due_at" not in inst["data"]
    stages.verified(cycle)


def test_a_launch_that_fails_part_way_starts_none(cycle, monkeypatch):
    # The notice goes to every scored department in one unit of work: when the second start fails, the first
    # department's evaluation is not left behind, and the launch can simply be run again.
    real, calls = cycle.rt.workflows.start, []

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(cycle.rt.workflows, "start", second_fails)
        with pytest.raises(RuntimeError):
            _start_evaluations(cycle, 2015, "municipal", clock.now())
    assert len(calls) == 2 and cycle.rows("instances", process_id=scorecard_launch.PROCESS) == []
    again = _start_evaluations(cycle, 2015, "municipal", clock.now())
    assert set(again.started) >= {"dept-a", "dept-b"} and again.existing == {}
