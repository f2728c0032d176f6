"""The path taken through a diagram: the flows from a completed element to one reached, and the call activities."""

from __future__ import annotations

from service.config import ROOT
from service.domain.completed_path import Flow, outline, taken

LOOP = (Flow("f1", "start", "declare"), Flow("f2", "declare", "review"), Flow("f3", "review", "ok"),
        Flow("back", "ok", "declare"), Flow("f4", "ok", "end"))


def test_only_flows_from_a_completed_element_to_a_reached_one_are_taken():
    # declared and under review: start → declare → review, nothing beyond the review
    assert taken(LOOP, ["start", "declare"], ["review"]) == ["f1", "f2"]
    # returned once: the way back is taken, the way to the end is not
    assert taken(LOOP, ["start", "declare", "review", "ok"], ["declare"]) == ["back", "f1", "f2", "f3"]
    assert taken(LOOP, [], ["start"]) == []


def test_the_outline_of_a_real_process_holds_its_flows_and_call_activities():
    goal = outline((ROOT / "workflows" / "goal_review.bpmn").read_bytes(), "goal_review")
    assert [f.target for f in goal.flows if f.source == "declare_goal"] == ["record_goal"]
    budget_cycle = (ROOT / "workflows" / "budget_cycle.bpmn").read_bytes()
    calls = outline(budget_cycle, "budget_cycle").calls
    assert (calls["call_goal_review"], calls["call_monitoring"], calls["call_evaluation"]) == (
        "goal_review", "monitoring", "evaluation")
    assert outline(budget_cycle, "no_such_process") == outline(b"<x/>", "budget_cycle")
