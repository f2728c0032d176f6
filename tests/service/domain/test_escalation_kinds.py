"""Escalation kinds: the table names every escalation the models in workflows/ open, each supervisor form offers
exactly its kind's decisions, and the refusals say why."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from lxml import etree

from service.config import ROOT
from service.domain import escalation_kinds as kinds
from service.domain.roles import ESCALATION_GROUPS

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def _opened_escalations() -> dict[str, set[str]]:
    """code → form keys of the supervisor tasks it leads to, for every boundary event of workflows/*.bpmn that opens
    an escalation (service/bpm/running.py: an escalation event always; a timer when it leads to a supervisor's or
    the bureau leadership's task — unless it withdraws the task a slip led to, climbing the ladder with that slip's
    escalation)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
        codes = {e.get("id"): e.get("escalationCode") for e in root.iter(f"{BPMN}escalation")}
        targets = defaultdict(list)
        for flow in root.iter(f"{BPMN}sequenceFlow"):
            targets[flow.get("sourceRef")].append(flow.get("targetRef"))
        answering = {t for b in root.iter(f"{BPMN}boundaryEvent") for t in _first_tasks(b.get("id"), targets, by_id)
                     if _answers(by_id[t])}
        for boundary in root.iter(f"{BPMN}boundaryEvent"):
            escalation = boundary.find(f"{BPMN}escalationEventDefinition")
            if escalation is None and boundary.find(f"{BPMN}timerEventDefinition") is None:
                continue
            if escalation is None and boundary.get("attachedToRef") in answering:
                continue  # the ladder: the task a slip led to, left undecided
            forms = _supervisor_forms(boundary.get("id"), targets, by_id)
            if escalation is not None:
                found[codes[escalation.get("escalationRef")]] |= forms
            elif forms:
                found[boundary.get("id")] |= forms
    return found


def _first_tasks(start: str, targets: dict[str, list[str]], by_id: dict[str, etree._Element]) -> set[str]:
    """The user tasks first reached from `start` (a path ends at its first user task)."""
    found, seen, todo = set(), set(), list(targets[start])
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if by_id[node].tag == f"{BPMN}userTask":
            found.add(node)
        else:
            todo.extend(targets[node])
    return found


def _supervisor_forms(start: str, targets: dict[str, list[str]], by_id: dict[str, etree._Element]) -> set[str]:
    """Form keys of the supervisors' (or the leadership's) tasks first reached from `start`."""
    return {by_id[t].get(f"{CAMUNDA}formKey") for t in _first_tasks(start, targets, by_id) if _answers(by_id[t])}


def _answers(task: etree._Element) -> bool:
    """A supervisors' or the bureau leadership's task (service/bpm/running.py links escalations to these)."""
    return bool(ESCALATION_GROUPS & set((task.get(f"{CAMUNDA}candidateGroups") or "").split(",")))


def _form_decisions(form_key: str) -> list[str]:
    schema = json.loads((ROOT / "forms" / f"{form_key}.schema.json").read_text(encoding="utf-8"))
    return list(schema["properties"]["decision"]["enum"])


def test_every_escalation_the_models_open_has_a_kind_and_no_kind_is_stale():
    assert set(_opened_escalations()) == set(kinds.KINDS)


@pytest.mark.parametrize("code, form_keys", sorted(_opened_escalations().items()))
def test_each_supervisor_form_offers_exactly_its_kinds_decisions(code, form_keys):
    kind = kinds.KINDS[code]
    assert form_keys == {kind.form_key}
    assert _form_decisions(kind.form_key) == list(kind.decisions)


def test_every_decision_has_chinese_and_english_labels():
    for kind in [*kinds.KINDS.values(), kinds.WITH_TASK, kinds.WITHOUT_TASK]:
        labelled = kinds.labelled(kind.decisions)
        assert [d["decision"] for d in labelled] == list(kind.decisions)
        assert all(d["label"] and d["label_en"] and d["label"] != d["label_en"] for d in labelled)


def test_kinds_the_table_does_not_name():
    assert kinds.kind_of("SERIOUS_DEVIATION", has_task=True).decisions == ("resume", "suspend", "stop")
    assert kinds.kind_of("custom", has_task=True, form_decisions=["resume"]).decisions == ("resume",)
    assert kinds.kind_of("custom", has_task=True) == kinds.WITH_TASK
    assert "dismiss" in kinds.kind_of("custom", has_task=False).decisions


def _refusal(code: str, decision: str, reason: str | None = None, suspended: bool = False,
             required: bool = True) -> kinds.Refusal | None:
    return kinds.refusal(kinds.KINDS.get(code) or kinds.WITHOUT_TASK, decision, reason=reason,
                         suspended_before=suspended, stop_requires_suspension=required)


def test_a_decision_outside_the_kind_is_refused_saying_which_are_open():
    refused = _refusal("feedback_overdue", "stop")
    assert refused is not None and refused.reason == "not_allowed" and not refused.conflict
    assert refused.message == "此类督办不可作出该决定：停止执行并核减预算。可作出的决定：延长期限、责令限期整改、启动问责。"
    assert "Extend the deadline" in refused.message_en
    assert _refusal("rectification_overdue", "open_accountability") is None
    assert _refusal("feedback_overdue", "open_accountability") is None  # every slipped deadline may open a case


def test_dismissing_needs_a_reason():
    assert _refusal("other", "dismiss", reason="  ").reason == "reason_required"  # type: ignore[union-attr]
    assert _refusal("other", "dismiss", reason="部门已按期报送，系统延迟") is None
    assert _refusal("SERIOUS_DEVIATION", "dismiss", reason="理由").reason == "not_allowed"  # type: ignore[union-attr]


def test_stop_only_after_suspension_unless_the_rule_says_otherwise():
    refused = _refusal("SERIOUS_DEVIATION", "stop")
    assert refused is not None and refused.reason == "suspend_first" and refused.conflict
    assert refused.message.startswith("此类督办不可作出该决定：停止执行须先暂缓执行")
    assert _refusal("SERIOUS_DEVIATION", "stop", suspended=True) is None
    assert _refusal("SERIOUS_DEVIATION", "stop", required=False) is None
    assert _refusal("SERIOUS_DEVIATION", "suspend") is None
