"""Workflow state to JSON and back, without the spec (cached per deployed version).

The stored state names its process and version; the spec objects come from the spec cache, so a row
is about half the size and loads faster (SPIFFWORKFLOW.md §8, DESIGN.md performance facts).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from copy import copy
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

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
    return _Serializer(registry)


class _Serializer(BpmnWorkflowSerializer):
    """The library's serializer with its JSON text written by orjson: the structure the library writes (parsed, the
    two texts are equal; orjson's is compact, with non-ASCII characters as UTF-8, not escaped) in a quarter of the
    time (a cycle instance's state is about 100 KB and every command writes it whole). An integer beyond 64 bits,
    which orjson cannot write, is left to the standard library. Reading stays the library's: orjson reads such an
    integer as a float, and guarding against that (a scan of the text) costs what orjson saves."""

    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS  # dates through the registry, as the library

    def __init__(self, registry: Any) -> None:
        super().__init__(registry)
        self._default = self._encoder_cls().default  # the library's encoder's fallback for what JSON lacks

    def serialize_json(self, workflow: BpmnWorkflow, use_gzip: bool = False) -> Any:
        if use_gzip:
            return super().serialize_json(workflow, use_gzip)
        self.registry._encoder_mode = True
        try:
            dct = self.to_dict(workflow)
            dct[self.VERSION_KEY] = self.VERSION
            try:
                return orjson.dumps(dct, default=self._default, option=self._OPTIONS).decode()
            except orjson.JSONEncodeError:  # an integer beyond 64 bits, or a value the library refuses too
                return json.dumps(dct, cls=self._encoder_cls)
        finally:
            self.registry._encoder_mode = False


class _TaskConverter(TaskConverter):
    """SpiffWorkflow's task converter with the same output, cheaper: a command saves every task of the tree (about
    seventy in a cycle instance), and the library looks the parent up three times per task and compares each value of
    the task's data with its parent's even where both hold the very same object (data inherited unchanged). Loading,
    the library rebuilds each task's data by `DeepMerge.merge({}, parent.data)`, a key-by-key merge into an empty
    dict that comes to a copy of the parent's data with its dicts, lists and sets shallow-copied; `from_dict` makes
    that copy directly (a command loads every task, `jixiao audit verify` every instance)."""

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=UUID(dct["id"]))
        task._parent = UUID(dct["parent"]) if dct["parent"] is not None else None
        task._children = [UUID(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = task.parent
        if delta and parent is not None:
            data = {k: copy(v) if isinstance(v, _SHALLOW_COPIED) else v for k, v in parent.data.items()}
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task

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
_SHALLOW_COPIED = (dict, list, set)  # what DeepMerge.merge copies (shallowly) rather than shares
