"""Workflow state to JSON and back, without the spec (cached per deployed version).

The stored state names its process and version; the spec objects come from the spec cache, so a row
is about half the size and loads faster (SPIFFWORKFLOW.md §8, DESIGN.md performance facts).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task

# Our stored format: SpiffWorkflow's plus the spec-by-reference; bump when either changes.
SERIALIZER_VERSION = f"jixiao-1/spiff-{SPIFF_SERIALIZER_VERSION}"

SpecResolver = Callable[[str, str], tuple[Any, dict[str, Any]]]


def make_serializer(resolve: SpecResolver) -> BpmnWorkflowSerializer:
    """A serializer whose workflows reference their spec as {name, version}, resolved by `resolve`."""

    class _CachedSpecConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["spec"] = {"name": workflow.spec.name, "version": workflow.spec.jixiao_version}
            dct["subprocess_specs"] = {}
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
            ref = dct.pop("spec")
            dct.pop("subprocess_specs", None)
            spec, subprocess_specs = resolve(ref["version"], ref["name"])
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _CachedSpecConverter
    config[Task] = _TaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Task data may carry dates and decimals (amounts); the library cannot store them by itself.
    registry.register(decimal.Decimal, lambda v: {"value": str(v)}, lambda d: decimal.Decimal(d["value"]))
    registry.register(dt.date, lambda v: {"value": v.isoformat()}, lambda d: dt.date.fromisoformat(d["value"]))
    return BpmnWorkflowSerializer(registry)


class _TaskConverter(TaskConverter):
    """SpiffWorkflow's task converter with the same output, cheaper: a command saves every task of the tree (about
    seventy in a cycle instance), and the library looks the parent up three times per task and compares each value of
    the task's data with its parent's even where both hold the very same object (data inherited unchanged)."""

    def to_dict(self, task: Task) -> dict[str, Any]:
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            own, inherited = task.data, parent.data
            data = {}
            delta = {"updates": {k: v for k, v in own.items()
                                 if (p := inherited.get(k, _ABSENT)) is not v and (p is _ABSENT or v != p)},
                     "deletions": [k for k in inherited if k not in own]}
        return {
            "id": str(task.id),
            "parent": str(task._parent) if parent is not None else None,
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data) if task.internal_data else {},
            "data": data,
            "delta": delta,
        }


_ABSENT = object()
