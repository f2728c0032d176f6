"""The demo's financial supervision inspections (workflows/supervision_inspection.bpmn; the plan 二(三)4二是): one of a
department and one of a special transfer fund, both with findings fed back and acknowledged and a rectification
under way — the fund's awaiting the department's rectification report, the department's awaiting verification.

Run once after the cycle's cohorts, at the real now, through the command path as the people who would act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from service import clock, db
from service.demo.actors import actor_for
from service.models import Department, Inspection, TaskRow
from service.people.directory import principal_of
from service.runtime import Runtime

Echo = Callable[[str], None]
PROCESS = "supervision_inspection"
SUPERVISOR = "cz.supervisor"
FEEDBACK = {"feedback_summary": "监督检查发现的问题已随检查结论反馈，请按期整改并报送佐证材料",
            "issues": ["绩效目标未细化", "评价结果未用于资金分配"]}
PLAN = {"rectification_plan": "细化专项资金分配的绩效目标，建立评价结果与分配挂钩的办法",
        "rectification_measures": [{"issue": "绩效目标未细化", "measure": "按县区和学校细化产出、效益指标",
                                    "completed": True},
                                   {"issue": "评价结果未用于资金分配", "measure": "制定评价结果与资金分配挂钩的办法",
                                    "completed": False}],
        "evidence": [{"title": "整改情况报告", "reference": "整改报告〔检查〕1号"}]}
# (start data, findings, how far the rectification goes: "open" awaits the report, "submitted" the verification)
INSPECTIONS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"target_kind": "fund", "fund_name": "农村义务教育薄弱学校改造补助专项转移支付资金", "fund_amount": 36_500_000,
      "sector": "education", "aspects": ["goal_setting", "execution", "use_of_results"]},
     {"inspection_summary": "资金拨付总体及时，但绩效目标未细化到县区，上年评价结果未用于资金分配",
      "findings": [{"aspect": "goal_setting", "severity": "major", "text": "绩效目标只有总体目标，未细化到县区和学校"},
                   {"aspect": "execution", "severity": "minor", "text": "两个县区资金拨付较计划滞后一个月"},
                   {"aspect": "use_of_results", "severity": "serious", "text": "上年绩效评价结果未用于本年资金分配"}]},
     "open"),
    ({"target_kind": "department", "sector": "education", "aspects": ["evaluation_quality", "use_of_results"]},
     {"inspection_summary": "部门自评流于形式，部分评价结论缺少佐证",
      "findings": [{"aspect": "evaluation_quality", "severity": "major",
                    "text": "三个项目的自评报告未附佐证材料，得分依据不足"},
                   {"aspect": "use_of_results", "severity": "minor", "text": "评价发现的问题未在下年预算编制中说明",
                    "rectify": True}]},
     "submitted"),
]


def _department(rt: Runtime) -> tuple[str, str]:
    """The department inspected: the education bureau when the demo has it, else the first department."""
    with db.read(rt.engine) as conn:
        rows = conn.execute(select(Department.id, Department.level)
                            .where(Department.kind == "department", Department.parent_id.is_(None))
                            .order_by(Department.id)).all()
    chosen = next((r for r in rows if r.id == "jyj"), rows[0])
    return str(chosen.id), str(chosen.level or "municipal")


def _complete(rt: Runtime, iid: str, bpmn_id: str, data: dict[str, Any], settle: Callable[[str], None]) -> None:
    with db.read(rt.engine) as conn:
        t = TaskRow.__table__
        task = conn.execute(select(t).where(t.c.instance_id == iid, t.c.bpmn_id == bpmn_id,
                                            t.c.state == "ready")).first()
    if task is None:
        raise LookupError(f"no ready task {bpmn_id} in {iid}")
    rt.workflows.complete_task(task.id, data, actor=actor_for(rt.engine, task), now=clock.now())
    settle(iid)


def seed_inspections(rt: Runtime, echo: Echo = print) -> int:
    """Start and drive the demo's inspections once (none when an inspection exists already); returns how many."""
    from service.demo.demo_driver import Demo

    with db.read(rt.engine) as conn:
        if conn.execute(select(Inspection.id).limit(1)).first() is not None:
            return 0
        supervisor = principal_of(conn, SUPERVISOR)
    if supervisor is None:
        raise LookupError(f"no demo account {SUPERVISOR!r}")
    department_id, level = _department(rt)
    year = clock.to_local(clock.now()).year - 1
    demo = Demo(rt, echo)
    for start, findings, stage in INSPECTIONS:
        data = {**start, "department_id": department_id, "fiscal_year": year, "level": level}
        iid = str(rt.workflows.start(PROCESS, data, actor=supervisor, department_id=department_id,
                                     now=clock.now())["id"])
        demo.instances[iid] = iid
        demo.settle(iid)
        _complete(rt, iid, "inspect", findings, demo.settle)
        _complete(rt, iid, "acknowledge_findings", {"acknowledged": True,
                                                    "acknowledgement_comment": "已收到，立即组织整改"}, demo.settle)
        _complete(rt, iid, "feed_back_results", FEEDBACK, demo.settle)
        if stage == "submitted":
            _complete(rt, iid, "submit_rectification", PLAN, demo.settle)
    echo(f"demo: {len(INSPECTIONS)} supervision inspections ({department_id}, {year})")
    return len(INSPECTIONS)
