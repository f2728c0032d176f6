"""SpiffWorkflow's task queries by state answered from the workflows' task tables, installed at start-up.

The engine asks `get_tasks(state=READY)` of the workflow and of each active subprocess several times per command
(`BpmnWorkflow._do_engine_steps`), and the library answers each by walking the whole task tree, completed history
included: replaying a long history walks its tree once per engine step, so replay's cost grew with the square of
the history's length (a demo cycle instance: about half of `jixiao audit verify`'s time).

`tasks_in_state` gives exactly the library's answer (`BpmnTaskIterator`, the same tasks in the same order): it
scans the flat task tables (`Workflow.tasks`, and each subprocess's) for the tasks in the state, then keeps those
the library's walk would reach — every ancestor in a state at least the query's floor (FUTURE for a definite state,
COMPLETED for a finished one), or running the subprocess the path enters — and orders them as its depth-first walk
lists them: by their paths of child positions from the root, a subprocess's tree before the children of the task
that runs it. The library stops descending at its depth counter 1000; a task deeper than `DEEP` (far from any model
of this service, as in service/bpm/task_walk.py) makes the query the library's own.

That answers the eager query (`get_tasks`, a list). After every task that completes, the library also updates each
WAITING task of the workflow's own tree (`Workflow.update_waiting_tasks`) while it walks it, lazily: an update can
change the tree the rest of the walk sees. `update_waiting_tasks` walks it the same way, visiting the same tasks in
the same order — a task's children as they were when it was reached, pushed before the task is updated — with a
stack of tasks and their depths where the library re-splices a list at every step and tracks the depth by climbing
parents.

`install()` replaces `BpmnBaseWorkflow.get_tasks` for the queries it answers (every other one — a start task, a
spec name, predicted states, … — goes to the library) and `Workflow.update_waiting_tasks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

DEEP = 200
MAX_DEPTH = 1000  # TaskIterator's default max_depth: below it the library does not descend

_library_get_tasks = BpmnBaseWorkflow.get_tasks
_library_update_waiting_tasks = Workflow.update_waiting_tasks
_ANSWERED = frozenset({"state", "manual"})
_FUTURE, _WAITING = TaskState.FUTURE, TaskState.WAITING


def tasks_in_state(wf: Any, state: int, manual: bool | None = None) -> list[Task] | None:
    """The library's `wf.get_tasks(state=state, manual=manual)`; None where it must answer (a tree too deep)."""
    if state & TaskState.PREDICTED_MASK:
        return None  # predicted tasks hang below definite ones: not worth a second formulation
    floor = TaskState.FUTURE if state & TaskState.DEFINITE_MASK else TaskState.COMPLETED
    top = wf.top_workflow
    subprocesses = top.subprocesses
    # A subprocess is among the top workflow's subprocesses; the top workflow's own tasks are outside it.
    workflows = [wf, *subprocesses.values()] if wf is top else list(subprocesses.values())
    found: list[tuple[tuple[int, ...], Task]] = []
    for workflow in workflows:
        for task in workflow.tasks.values():
            if not task._state & state or (manual is not None and task.task_spec.manual != manual):
                continue
            path = _path(task, wf, top, subprocesses, floor, state)
            if path is None:
                continue
            if len(path) > DEEP:
                return None
            found.append((path, task))
    found.sort(key=lambda item: item[0])
    return [task for _, task in found]


def _path(task: Task, wf: Any, top: Any, subprocesses: dict[Any, Any], floor: int, state: int
          ) -> tuple[int, ...] | None:
    """The task's child positions from `wf`'s root (-1: into the subprocess a task runs), or None when the library's
    walk from that root does not reach it; longer than DEEP when the task is deeper than that."""
    steps: list[int] = []
    node = task
    while len(steps) <= DEEP:
        workflow = node.workflow
        if node._parent is None:  # the root of its workflow
            if workflow is wf:
                steps.reverse()
                return tuple(steps)
            if workflow is top:
                return None  # a task outside the subprocess asked about
            runner = top.get_task_from_id(workflow.parent_task_id)
            # BpmnTaskIterator: "do not descend into a completed subprocess to look for unfinished tasks"
            if runner._state >= TaskState.FINISHED_MASK and state <= TaskState.FINISHED_MASK:
                return None
            steps.append(-1)
            node = runner
            continue
        parent = workflow.tasks[node._parent]
        if parent._state < floor and subprocesses.get(parent.id) is None:
            return None
        steps.append(parent._children.index(node.id))
        node = parent
    return tuple(steps)  # deeper than DEEP: the caller asks the library


def _get_tasks(self: Any, first_task: Task | None = None, **kwargs: Any) -> list[Task]:
    if first_task is None and kwargs and kwargs.keys() <= _ANSWERED and "state" in kwargs:
        answer = tasks_in_state(self, kwargs["state"], kwargs.get("manual"))
        if answer is not None:
            return answer
    return list(_library_get_tasks(self, first_task, **kwargs))


def waiting_tasks(wf: Workflow) -> Iterator[Task]:
    """The WAITING tasks of the workflow's own tree (no subprocess), lazily, as `TaskIterator(wf.task_tree,
    state=WAITING)` lists them while the caller changes the tree."""
    stack: list[tuple[Task, int]] = [(wf.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        if task._children and task._state >= _FUTURE and depth < MAX_DEPTH:
            tasks = task.workflow.tasks
            stack.extend((tasks.get(child), depth + 1) for child in reversed(task._children))
        if task._state & _WAITING:
            yield task


def _update_waiting_tasks(self: Workflow) -> None:
    for task in waiting_tasks(self):
        task.task_spec._update(task)


def install() -> None:
    """Answer the engine's task queries by state from the task tables and walk its waiting tasks on a stack;
    installing twice changes nothing."""
    BpmnBaseWorkflow.get_tasks = _get_tasks
    Workflow.update_waiting_tasks = _update_waiting_tasks


def installed() -> bool:
    """Whether the engine's task queries are answered here."""
    return BpmnBaseWorkflow.get_tasks is _get_tasks and Workflow.update_waiting_tasks is _update_waiting_tasks
