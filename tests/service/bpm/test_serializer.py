"""The stored state is what SpiffWorkflow's own task converter writes (its delta format), only cheaper to make."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.task import Task
from sqlalchemy import text

from service.bpm.serializer import make_serializer


def _stored(runtime, instance_id):
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT state FROM instances WHERE id = :i"), {"i": instance_id}).scalar_one()


def test_each_task_is_saved_as_the_library_saves_it(runtime, deploy_fixture):
    deploy_fixture("loop.bpmn")
    started = runtime.workflows.start("loop", {"counter": 0, "limit": 3})
    serializer = runtime.workflows.serializer
    state = _stored(runtime, started["id"])
    wf = serializer.deserialize_json(state)
    assert serializer.serialize_json(wf) == state  # a loaded workflow saves to the same text

    # A value changed, a key dropped, a value equal to the parent's but another object, one that is the same object.
    tasks = [t for t in wf.get_tasks() if t.parent is not None and t.parent.data]
    assert len(tasks) >= 4
    changed, dropped, equal = tasks[0], tasks[1], tasks[-1]
    changed.data["counter"] = 99
    dropped.data.pop("limit")
    equal.parent.data["items"] = [{"x": 1}]
    equal.data["items"] = copy.deepcopy(equal.parent.data["items"])
    equal.data["shared"] = equal.parent.data["shared"] = [{"x": 2}]

    library = TaskConverter(Task, serializer.registry)
    ours = serializer.to_dict(wf)["tasks"]
    assert {tid: {k: v for k, v in task.items() if k != "typename"} for tid, task in ours.items()} \
        == {str(t.id): library.to_dict(t) for t in wf.get_tasks()}
    assert ours[str(changed.id)]["delta"]["updates"]["counter"] == 99
    assert ours[str(dropped.id)]["delta"]["deletions"] == ["limit"]
    assert "items" not in ours[str(equal.id)]["delta"]["updates"]
    assert "shared" not in ours[str(equal.id)]["delta"]["updates"]


def test_each_task_is_loaded_as_the_library_loads_it(runtime, deploy_fixture):
    deploy_fixture("loop.bpmn")
    started = runtime.workflows.start("loop", {"counter": 0, "limit": 3, "nested": {"a": [1, 2]}, "tags": ["x"]})
    state = _stored(runtime, started["id"])
    ours = make_serializer(runtime.specs.resolve).deserialize_json(state)
    library = make_serializer(runtime.specs.resolve)
    TaskConverter(Task, library.registry)  # registers the library's own task converter in place of ours
    theirs = library.deserialize_json(state)
    assert ours.tasks.keys() == theirs.tasks.keys() and len(ours.tasks) >= 4
    for tid, task in ours.tasks.items():
        other = theirs.tasks[tid]
        assert (task.data, task.internal_data, task.state, task._children, task.last_state_change) == \
            (other.data, other.internal_data, other.state, other._children, other.last_state_change)
        if task.parent is not None and "nested" in task.data:
            assert task.data["nested"] is not task.parent.data["nested"]  # copied, as the library copies it
    assert runtime.workflows.serializer.serialize_json(ours) == state


def test_the_text_is_the_librarys_json_written_faster_and_a_huge_integer_is_kept_exactly(runtime, deploy_fixture):
    deploy_fixture("loop.bpmn")
    started = runtime.workflows.start("loop", {"counter": 0, "limit": 3})
    serializer = runtime.workflows.serializer
    wf = serializer.deserialize_json(_stored(runtime, started["id"]))
    wf.task_tree.data.update({
        "when": dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC), "day": dt.date(2026, 3, 1),
        "amount": decimal.Decimal("1234.50"), "tags": {"b"}, "pair": (1, 2), "名称": "绩效目标",
        "ratio": 0.1 + 0.2, "keys": {1: "one"}, "nested": {"at": dt.datetime(2026, 1, 2)},
    })
    library = BpmnWorkflowSerializer.serialize_json(serializer, wf)  # the library's own text
    ours = serializer.serialize_json(wf)
    assert ours != library and json.loads(ours) == json.loads(library)  # compact, UTF-8: the same structure
    assert "绩效目标" in ours and '"typename":"datetime"' in ours  # dates go through the registry, as in the library
    loaded = serializer.deserialize_json(ours).task_tree.data
    assert (loaded["when"], loaded["day"], loaded["amount"], loaded["nested"]) == \
        (wf.task_tree.data["when"], dt.date(2026, 3, 1), decimal.Decimal("1234.50"), {"at": dt.datetime(2026, 1, 2)})

    wf.task_tree.data["huge"] = 2**70  # beyond orjson: the standard library writes it, and it reads back exactly
    text_ = serializer.serialize_json(wf)
    assert json.loads(text_) == json.loads(BpmnWorkflowSerializer.serialize_json(serializer, wf))
    assert serializer.deserialize_json(text_).task_tree.data["huge"] == 2**70

    wf.task_tree.data["bad"] = object()  # what the library refuses, refused as the library refuses it
    with pytest.raises(TypeError):
        serializer.serialize_json(wf)
