"""One pass over a workflow's task tree that gathers everything a command derives from it.

The mutation path and replay read, after each event, the ready user tasks, the waiting external tasks, the fired
boundary events, the waiting timers, whether engine work is left, whether an end event was reached and every task's
state (the fingerprint). Asked one by one, SpiffWorkflow walks the whole tree (subprocesses included) once per
question; `walk` answers them all in one walk.

Each answer is exactly what the library's own query gives (`wf.get_tasks(state=…)`, in the same order): its
iterator descends into a task's children only when the task's state is at least the lowest state the query asks
for (FUTURE for READY, STARTED and WAITING; COMPLETED for COMPLETED; MAYBE for all tasks) or when the task runs a
subprocess, so the walk carries, per node, whether a FUTURE and a COMPLETED query would have reached it. The
library also stops descending at its depth counter 1000; a tree deeper than `DEEP` (far from any model of this
service) is answered by the library's own queries (`by_queries`), which is also what the tests compare `walk` with.
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

DEEP = 200

_READY, _STARTED, _WAITING, _COMPLETED, _FUTURE = (TaskState.READY, TaskState.STARTED, TaskState.WAITING,
                                                   TaskState.COMPLETED, TaskState.FUTURE)


@dataclass
class TaskWalk:
    """What one walk found, each list in the order the library's query lists it."""

    ready_user: dict[str, Task]  # READY manual tasks (user and manual tasks), by id
    ready_engine_work: bool  # a READY task the engine runs itself (a timer that just came due, …)
    external: list[Task]  # STARTED service tasks of camunda:type="external"
    fired_boundary: list[Task]  # COMPLETED boundary events
    waiting: list[Task]  # WAITING tasks (timers among them)
    reached_end: bool  # a COMPLETED end event
    states: list[str]  # "<process>/<task spec>:<state>" of every task, for the fingerprint


def _is_external(task: Task) -> bool:
    return (getattr(task.task_spec, "extensions", None) or {}).get("type") == "external"


def walk(wf: BpmnWorkflow) -> TaskWalk:
    """Every answer of `TaskWalk` in one depth-first walk of the tree (subprocesses included)."""
    found = TaskWalk({}, False, [], [], [], False, [])
    subprocesses = wf.subprocesses
    # (task, would a FUTURE-floor query reach it, would a COMPLETED-floor query reach it, depth)
    stack: list[tuple[Task, bool, bool, int]] = [(wf.task_tree, True, True, 0)]
    while stack:
        task, future, completed, depth = stack.pop()
        if depth > DEEP:
            return by_queries(wf)
        state = task._state
        spec = task.task_spec
        found.states.append(f"{task.workflow.spec.name}/{spec.name}:{state}")
        if future:
            if state == _READY:
                if spec.manual:
                    found.ready_user[str(task.id)] = task
                else:
                    found.ready_engine_work = True
            elif state == _STARTED:
                if _is_external(task):
                    found.external.append(task)
            elif state == _WAITING:
                found.waiting.append(task)
        if completed and state == _COMPLETED:
            if isinstance(spec, BoundaryEvent):
                found.fired_boundary.append(task)
            elif isinstance(spec, EndEvent):
                found.reached_end = True
        subprocess = subprocesses.get(task.id)
        if not task._children and subprocess is None:
            continue
        below_future = future and (state >= _FUTURE or subprocess is not None)
        below_completed = completed and (state >= _COMPLETED or subprocess is not None)
        children = task.children
        if subprocess is not None:
            children = [subprocess.task_tree, *children]
        stack.extend((child, below_future, below_completed, depth + 1) for child in reversed(children))
    return found


def by_queries(wf: BpmnWorkflow) -> TaskWalk:
    """The same answers from the library's own queries, one walk each."""
    completed = wf.get_tasks(state=TaskState.COMPLETED)
    return TaskWalk(
        ready_user={str(t.id): t for t in wf.get_tasks(state=TaskState.READY, manual=True)},
        ready_engine_work=any(not t.task_spec.manual for t in wf.get_tasks(state=TaskState.READY)),
        external=[t for t in wf.get_tasks(state=TaskState.STARTED) if _is_external(t)],
        fired_boundary=[t for t in completed if isinstance(t.task_spec, BoundaryEvent)],
        waiting=wf.get_tasks(state=TaskState.WAITING),
        reached_end=any(isinstance(t.task_spec, EndEvent) for t in completed),
        states=[f"{t.workflow.spec.name}/{t.task_spec.name}:{t.state}" for t in wf.get_tasks()],
    )
