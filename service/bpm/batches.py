"""Batches of the one mutation path (`WorkflowService.unit_of_work(batch=True)`): the commands on an instance inside
one run on one workflow in memory, each writing all but the state; the state is written once, when the batch ends.

Nobody sees the state in between: on PostgreSQL the instance's row stays locked by the batch's first write until the
commit, on SQLite the batch holds the write lock. A command that failed after the engine ran leaves its workflow
half-run: it is marked `failed`, a later command on it refuses, and the batch's end raises, so nothing commits.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import Connection

from service.bpm import statements as sql
from service.bpm import task_walk
from service.bpm.serializer import SERIALIZER_VERSION
from service.errors import EngineFailure


class Pending:
    """An instance's workflow inside a batch: as its last command left it, the state not yet written; `failed` when a
    command failed halfway through it (the batch must not commit)."""

    __slots__ = ("workflow", "walked", "failed")

    def __init__(self, workflow: BpmnWorkflow, walked: task_walk.TaskWalk | None, failed: bool = False) -> None:
        self.workflow, self.walked, self.failed = workflow, walked, failed


def later(_wf: BpmnWorkflow) -> str:
    """The state a batched command leaves for `running.run` to return: none yet (`write_states` writes it)."""
    return ""


def write_states(conn: Connection, serializer: Any, batch: dict[str, Pending],
                 kept: list[tuple[tuple[str, int], BpmnWorkflow, task_walk.TaskWalk]]) -> None:
    """The end of a batch: each instance's state as its last command left it, in the batch's transaction; `kept`
    gets each workflow with the version it was written at (kept live once the batch commits)."""
    failed = [iid for iid, pending in batch.items() if pending.failed]
    if failed:
        raise RuntimeError(f"a command of this batch failed on instance {failed[0]}; nothing of it may commit")
    for iid, pending in batch.items():
        try:
            state = serializer.serialize_json(pending.workflow)
        except Exception as exc:  # what running.run turns into an EngineFailure when it writes the state itself
            raise EngineFailure(f"{type(exc).__name__}: {exc}") from None
        lock = conn.execute(sql.WRITE_STATE, {"b_id": iid, "state": state,
                                              "serializer_version": SERIALIZER_VERSION}).scalar_one()
        assert pending.walked is not None
        kept.append(((iid, lock), pending.workflow, pending.walked))
    batch.clear()
