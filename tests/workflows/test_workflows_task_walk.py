"""One walk of the task tree (service/bpm/task_walk.py) answers what SpiffWorkflow's own queries answer, in their
order, at every step of whole cycles: every walk the mutation path, replay and verify take is checked against
`by_queries` (one library query per answer)."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser

from service.bpm import task_walk
from service.bpm.scripting import JixiaoScriptEngine
from tests.service.bpm.test_service_failures import _chain
from tests.workflows.test_budget_cycle import test_whole_cycle_from_goal_to_budget_linkage as whole_cycle
from tests.workflows.test_workflows_escalation_ladder import (
    test_in_the_whole_cycle_a_case_on_the_declaration_holds_the_goal_stage_until_it_closes as case_in_cycle,
)

one_walk, one_by_queries = task_walk.walk, task_walk.by_queries  # before any test replaces them


def _answers(found: task_walk.TaskWalk) -> dict[str, Any]:
    return {"ready_user": list(found.ready_user), "ready_engine_work": found.ready_engine_work,
            "external": [t.id for t in found.external], "fired_boundary": [t.id for t in found.fired_boundary],
            "waiting": [t.id for t in found.waiting], "reached_end": found.reached_end,
            "states": sorted(found.states)}


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every walk taken, each checked against the library's queries on the same tree."""
    taken: list[dict[str, Any]] = []

    def checked(wf: BpmnWorkflow) -> task_walk.TaskWalk:
        found = one_walk(wf)
        assert _answers(found) == _answers(task_walk.by_queries(wf))
        taken.append(_answers(found))
        return found

    monkeypatch.setattr(task_walk, "walk", checked)
    return taken


def test_every_walk_of_a_whole_cycle_answers_as_the_library_queries(cycle, walks):
    whole_cycle(cycle)  # goal, monitoring, evaluation, feedback, linkage: call activities, timers, external tasks
    assert len(walks) > 50
    for answer in ("ready_user", "external", "waiting"):
        assert any(w[answer] for w in walks), f"no walk found {answer}"
    assert any(w["reached_end"] for w in walks) and any(w["ready_engine_work"] for w in walks)


def test_every_walk_of_a_case_inside_the_cycle_answers_as_the_library_queries(cycle, walks):
    case_in_cycle(cycle)  # a slipped declaration, an accountability case inside the goal stage, verify
    assert any(w["fired_boundary"] for w in walks) and any(w["external"] for w in walks)


def test_a_tree_deeper_than_the_walk_goes_is_answered_by_the_library(monkeypatch):
    parser = CamundaParser()
    parser.add_bpmn_str(_chain(30))
    [pid] = parser.get_process_ids()
    wf = BpmnWorkflow(parser.get_spec(pid), parser.get_subprocess_specs(pid), script_engine=JixiaoScriptEngine())
    wf.do_engine_steps()
    assert _answers(task_walk.walk(wf)) == _answers(task_walk.by_queries(wf))
    monkeypatch.setattr(task_walk, "DEEP", 10)  # the chain's 30 tasks lie one below the other
    queried = []
    monkeypatch.setattr(task_walk, "by_queries", lambda w: queried.append(w) or one_by_queries(w))
    found = task_walk.walk(wf)
    assert queried == [wf] and found.reached_end and len(found.states) == len(_answers(one_by_queries(wf))["states"])

