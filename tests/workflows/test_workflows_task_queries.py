"""The engine's task queries by state answered from the task tables (service/bpm/task_queries.py) give what
SpiffWorkflow's own walk of the tree gives, the same tasks in the same order, at every query of whole cycles: every
query the mutation path, replay and verify make is checked against the library's answer, and every update of the
waiting tasks walks them in lock-step with the library's iterator."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskIterator, TaskState
from SpiffWorkflow.workflow import Workflow

from service.bpm import task_queries
from service.bpm.scripting import JixiaoScriptEngine
from tests.service.bpm.test_service_failures import _chain
from tests.workflows.test_budget_cycle import test_whole_cycle_from_goal_to_budget_linkage as whole_cycle
from tests.workflows.test_workflows_escalation_ladder import (
    test_in_the_whole_cycle_a_case_on_the_declaration_holds_the_goal_stage_until_it_closes as case_in_cycle,
)

library = task_queries._library_get_tasks


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every query by state the engine makes, each answered both ways on the same tree (the run goes on with the
    library's answer)."""
    made: list[dict[str, Any]] = []

    def checked(wf: Any, first_task: Any = None, **kwargs: Any) -> list[Any]:
        expected = list(library(wf, first_task, **kwargs))
        if first_task is None and kwargs.keys() in ({"state"}, {"state", "manual"}):
            answer = task_queries.tasks_in_state(wf, kwargs["state"], kwargs.get("manual"))
            assert answer is not None and [t.id for t in answer] == [t.id for t in expected], kwargs
            made.append({"state": kwargs["state"], "subprocess": wf is not wf.top_workflow, "found": len(answer)})
        return expected

    def updated(wf: Workflow) -> None:  # lock-step: each update changes the tree both walks go on to see
        ours = task_queries.waiting_tasks(wf)
        for task in TaskIterator(wf.task_tree, state=TaskState.WAITING):
            assert next(ours) is task
            task.task_spec._update(task)
            made.append({"state": TaskState.WAITING, "subprocess": None, "found": 1})
        assert next(ours, None) is None

    monkeypatch.setattr(BpmnBaseWorkflow, "get_tasks", checked)
    monkeypatch.setattr(Workflow, "update_waiting_tasks", updated)
    return made


def test_every_query_of_a_whole_cycle_answers_as_the_library(cycle, queries):
    whole_cycle(cycle)  # goal, monitoring, evaluation, feedback, linkage: call activities, timers, external tasks
    assert len(queries) > 100
    inside = [q for q in queries if q["subprocess"]]
    assert inside and any(q["found"] for q in inside), "no query inside a call activity found a task"
    assert any(q["found"] > 1 for q in queries if q["subprocess"] is False), "no query found tasks to order"
    assert any(q["subprocess"] is None for q in queries), "no waiting task was updated"


def test_every_query_of_a_case_inside_the_cycle_answers_as_the_library(cycle, queries):
    case_in_cycle(cycle)  # a slipped declaration, an accountability case inside the goal stage, verify
    assert any(q["found"] for q in queries if q["subprocess"])


def _chain_workflow() -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_str(_chain(30))
    [pid] = parser.get_process_ids()
    return BpmnWorkflow(parser.get_spec(pid), parser.get_subprocess_specs(pid), script_engine=JixiaoScriptEngine())


def test_a_tree_deeper_than_the_tables_go_is_answered_by_the_library(monkeypatch):
    wf = _chain_workflow()
    wf.do_engine_steps()
    completed = [t.id for t in library(wf, state=TaskState.COMPLETED)]
    assert [t.id for t in task_queries.tasks_in_state(wf, TaskState.COMPLETED) or []] == completed
    monkeypatch.setattr(task_queries, "DEEP", 10)  # the chain's 30 tasks lie one below the other
    assert task_queries.tasks_in_state(wf, TaskState.COMPLETED) is None
    task_queries.install()
    assert task_queries.installed() and [t.id for t in wf.get_tasks(state=TaskState.COMPLETED)] == completed


def test_building_a_runtime_installs_the_queries(runtime):
    assert task_queries.installed()
    wf = _chain_workflow()
    wf.do_engine_steps()  # the engine's own steps run on the installed queries
    assert wf.is_completed()
