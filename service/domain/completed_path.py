"""The path an instance took through one process's diagram: the sequence flows between the elements it reached,
and the call activities that stand for called processes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str


@dataclass(frozen=True)
class Outline:
    """What the marks need of one process: its sequence flows and its call activities (id → called process)."""
    flows: tuple[Flow, ...]
    calls: dict[str, str]


def outline(bpmn: bytes, process_id: str) -> Outline:
    """The sequence flows and call activities of `process_id` in a BPMN file (those of its embedded
    subprocesses too: they are drawn on the same diagram)."""
    root = etree.fromstring(bpmn, _PARSER)
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), None)
    if process is None:
        return Outline((), {})
    flows = tuple(Flow(f.get("id", ""), f.get("sourceRef", ""), f.get("targetRef", ""))
                  for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow"))
    calls = {c.get("id", ""): c.get("calledElement", "") for c in process.iter(f"{{{BPMN_NS}}}callActivity")}
    return Outline(flows, calls)


def taken(flows: Iterable[Flow], completed: Iterable[str], reached: Iterable[str]) -> list[str]:
    """The flows the instance went along: from an element it completed to one it reached (completed or active).

    A flow out of a completed exclusive gateway to an element reached along another way counts as taken too;
    in the plan's processes every element has one way in, or a joining gateway in front of it."""
    done, seen = set(completed), set(completed) | set(reached)
    return sorted(f.id for f in flows if f.source in done and f.target in seen)
