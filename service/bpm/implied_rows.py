"""The derived rows a history implies: what the mutation path (service/bpm/service.py) wrote for each event,
rebuilt from replay's steps so that `jixiao audit verify` can compare them with the stored rows.

The engine's part comes from the same derivation the mutation path uses: replay runs `running.run`, whose
outcome carries the task rows (`derive.task_row`), candidate rows, closed tasks, next timer, message waits,
escalations and external tasks; who holds a task after a claim, unclaim, delegate, reassign or a delegate's
resolve comes from `derive.holder_change`, which the mutation path calls too. This module applies those the way
the mutation path writes them (which rows a closed task or an escalation decision changes).

Every decision on an escalation is an event on the instance's chain (service/bpm/escalation_commands.py):
completing its supervisor task, a resolve that suspends, resumes or stops the instance or records the decision
only, a dismissal, a hand-up to the bureau's leadership (by a supervisor, or by the ladder's timer when nobody
decided in time: the row then follows to the leadership's task). So each escalation row follows from the history
alone;
a decision event names its row by id (`escalation_id`), and the row it names must be open (and, to be handed
up, still with the supervisors) at that point of the history, as the mutation path requires.

What each event kind does to the derived rows is one table, `EFFECTS` (event kind → effect). A new kind of
event is folded in by adding its entry: an effect takes the rows and the `ReplayStep` and changes the rows as
the mutation path's write does. An event kind without an entry is itself a finding, so a new command cannot
slip past verify unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.bpm import derive
from service.bpm.escalation_commands import LEADERSHIP_LEVEL, SUPERVISOR_LEVEL
from service.bpm.replay import ReplayStep

# The task columns the mutation path derives (ids and write times are bookkeeping, not compared).
TASK_COLUMNS = ("process_id", "bpmn_id", "name", "state", "form_key", "department_id", "candidate_groups",
                "candidate_users", "assignee", "owner", "delegation_state", "due_at", "follow_up_at", "priority",
                "completed_by", "data")
CANDIDATE_COLUMNS = ("department_id", "due_at", "priority", "assignee")
# Every escalation column but its id, instance, element and supervisor task (which pair it with its row) and
# opened_at (the time the row was written).
ESCALATION_COLUMNS = ("kind", "code", "name", "department_id", "state", "decision", "comment", "resolved_by",
                      "resolved_at", "level", "escalated_at", "escalated_by")


@dataclass
class Row:
    """One expected row: its values, the event that made it and the event that last set each changed column."""

    values: dict[str, Any]
    seq: int
    stored_id: Any = None  # escalations: the stored row paired with this one when it opened
    changed: dict[str, int] = field(default_factory=dict)  # column → the event that last set it

    def set(self, seq: int, **values: Any) -> None:
        """Columns set by event `seq`."""
        self.values.update(values)
        self.changed.update(dict.fromkeys(values, seq))

    def seq_of(self, column: str | None) -> int:
        """The event that gave `column` its expected value."""
        return self.changed.get(column, self.seq) if column else self.seq


@dataclass
class ImpliedRows:
    """The instance's derived rows as its history (replayed so far) implies them."""

    instance_id: str
    stored_escalations: list[Any] = field(default_factory=list)  # to pair rows by element and task as they open
    instance: dict[str, Any] = field(default_factory=dict)  # instance columns fixed by the start
    instance_seq: int = 1
    status: str = "running"
    next_timer: datetime | None = None
    timer_seq: int = 1
    waits: list[str] = field(default_factory=list)
    waits_seq: int = 1
    tasks: dict[str, Row] = field(default_factory=dict)  # recorded task id → row
    candidates: dict[str, dict[str, Row]] = field(default_factory=dict)  # task id → group name → row
    escalations: list[Row] = field(default_factory=list)  # in the order they opened
    external: dict[str, Row] = field(default_factory=dict)  # recorded external task id → bpmn_id, topic, completed
    problems: list[tuple[int, str]] = field(default_factory=list)  # events the rows cannot follow

    def observe(self, step: ReplayStep) -> None:
        """Apply one replayed event (the `observe` callback of `replay`)."""
        effect = EFFECTS.get(step.command)
        if effect is None:
            self.problems.append((step.seq, f"verify has no rule for what a {step.command!r} event does to the "
                                            "derived rows"))
        else:
            effect(self, step)

    def task(self, step: ReplayStep) -> Row | None:
        """The task row a command event names (by its recorded id), or None (recorded as a problem)."""
        task_id = str(step.payload.get("task_id"))
        row = self.tasks.get(task_id)
        if row is None:
            self.problems.append((step.seq, f"the {step.command} event names task {task_id}, which the history "
                                            "never made ready"))
        return row

    def open_escalation(self, values: dict[str, Any], seq: int) -> Row:
        """A new escalation, paired with the first unpaired stored row of the same element and task."""
        row = Row(values, seq, self._unpaired(values["element_id"], values["task_id"]))
        self.escalations.append(row)
        return row

    def hand_on(self, values: dict[str, Any], hand_on: dict[str, Any], step: ReplayStep) -> bool:
        """The ladder (escalation_commands.py `hand_on`): the open escalation of the withdrawn task follows to the new
        one, handed up to the leadership if the new task is theirs. False when the withdrawn task answered none."""
        withdrawn = step.recorded(hand_on["from_task_id"])
        row = next((r for r in self.escalations if r.values["task_id"] == withdrawn and r.values["state"] == "open"),
                   None)
        if row is None:
            return False
        row.values["task_id"] = values["task_id"]
        if hand_on["leadership"] and row.values["level"] == SUPERVISOR_LEVEL:
            row.set(step.seq, level=LEADERSHIP_LEVEL, escalated_at=step.at, escalated_by=step.actor)
        if row.stored_id is None:  # its stored row names the task it answers now
            row.stored_id = self._unpaired(row.values["element_id"], row.values["task_id"])
        return True

    def _unpaired(self, element_id: Any, task_id: Any) -> Any:
        paired = {r.stored_id for r in self.escalations}
        return next((s.id for s in self.stored_escalations if s.id not in paired
                     and (s.element_id, s.task_id) == (element_id, task_id)), None)

    def escalation(self, step: ReplayStep) -> Row | None:
        """The escalation a decision event names, if the history opened it and it is open (else a problem)."""
        named = step.payload.get("escalation_id")
        row = next((r for r in self.escalations if r.stored_id is not None and str(r.stored_id) == str(named)), None)
        if row is None:  # a row handed on since names a later task: pair it with the open row of its element
            stored = next((s for s in self.stored_escalations if str(s.id) == str(named)), None)
            paired = {r.stored_id for r in self.escalations}
            row = next((r for r in self.escalations if stored is not None and stored.id not in paired
                        and r.stored_id is None and r.values["state"] == "open"
                        and r.values["element_id"] == stored.element_id), None)
            if row is not None:
                row.stored_id = stored.id  # type: ignore[union-attr]
        if row is None:
            self.problems.append((step.seq, f"the {step.command} event names escalation {named}, which the history "
                                            "never opened (or whose row is gone)"))
        elif row.values["state"] != "open":
            self.problems.append((step.seq, f"the {step.command} event decides escalation {named}, which the "
                                            f"history resolved at event {row.seq_of('state')}"))
            return None
        return row

    def assign(self, row: Row, task_id: str, seq: int, **values: Any) -> None:
        """Who holds a task changed: the task row and its candidate rows (which copy the assignee)."""
        row.set(seq, **values)
        for candidate in self.candidates.get(task_id, {}).values():
            candidate.set(seq, assignee=row.values["assignee"])


Effect = Callable[[ImpliedRows, ReplayStep], None]


def _start(rows: ImpliedRows, step: ReplayStep) -> None:
    p = step.payload
    rows.instance = {"process_id": p.get("process_id"), "version_hash": p.get("version"),
                     "business_key": p.get("business_key"), "department_id": p.get("department_id"),
                     "started_by": step.actor}
    _engine_step(rows, step)


def _engine_step(rows: ImpliedRows, step: ReplayStep) -> None:
    """What WorkflowService writes after an engine run: instance status and timer, tasks, candidates,
    escalations, jobs for external tasks, message waits."""
    out = step.outcome
    if out is None:
        rows.problems.append((step.seq, f"the {step.command} event ran no engine step on replay"))
        return
    p = step.payload
    completed = str(p.get("task_id")) if _completes_task(step) else None
    decision = (p.get("data") or {}) if completed else {}
    department = rows.instance.get("department_id")
    for e in out.escalations:  # a boundary timer or escalation event fired
        values = {"kind": e["kind"], "code": e["code"], "name": e["name"], "element_id": e["element_id"],
                  "task_id": step.recorded(e["task_id"]) if e["task_id"] else None, "department_id": department,
                  "state": "open", "decision": None, "comment": None, "resolved_by": None, "resolved_at": None,
                  "level": e.get("level", SUPERVISOR_LEVEL), "escalated_at": None, "escalated_by": None}
        if not (e.get("hand_on") and rows.hand_on(values, e["hand_on"], step)):
            rows.open_escalation(values, step.seq)
    for task_id in (step.recorded(t) for t in out.closed):
        done = task_id == completed
        for esc in rows.escalations:  # completing the supervisor's task decides its escalation
            if esc.values["task_id"] == task_id and esc.values["state"] == "open":
                esc.set(step.seq, state="resolved", resolved_by=step.actor if done else None, resolved_at=step.at,
                        decision=str(decision.get("decision") or "completed")[:50] if done else "cancelled",
                        comment=decision.get("decision_comment") if done else None)
        task = rows.tasks.get(task_id)
        if task is not None:
            task.set(step.seq, state="completed" if done else "cancelled", completed_by=step.actor if done else None)
        rows.candidates.pop(task_id, None)
    for r in out.new_tasks:
        rows.tasks[step.recorded(r["id"])] = Row({c: r[c] for c in TASK_COLUMNS}, step.seq)
    for c in out.candidates:
        rows.candidates.setdefault(step.recorded(c["task_id"]), {})[c["group_name"]] = Row(
            {k: c[k] for k in CANDIDATE_COLUMNS}, step.seq)
    for e in out.external_tasks:
        rows.external[step.recorded(e["task_id"])] = Row(
            {"bpmn_id": e["bpmn_id"], "topic": e["topic"], "completed": False}, step.seq)
    # The mutation path rewrites the waits only when they changed from those of the instance as it read it.
    before = rows.waits if rows.status == "running" else []
    if before != out.messages:
        rows.waits, rows.waits_seq = list(out.messages), step.seq
    if out.next_timer != rows.next_timer:
        rows.timer_seq = step.seq
    rows.status, rows.next_timer = out.status, out.next_timer


def _complete_external(rows: ImpliedRows, step: ReplayStep) -> None:
    _engine_step(rows, step)
    external = rows.external.get(str(step.payload.get("task_id")))
    if external is not None:
        external.set(step.seq, completed=True)


def _completes_task(step: ReplayStep) -> bool:
    """A task completion: the command itself, or a decision that completed its escalation's supervisor task."""
    return step.command == "complete_task" or (step.command == "resolve_escalation"
                                                and step.payload.get("effect") == "complete_task")


def _resolve_escalation(rows: ImpliedRows, step: ReplayStep) -> None:
    """A decision (escalation_commands.apply): with a supervisor task it completes the task, whose closing
    resolves the row (the engine step); without one it suspends, resumes or stops the instance, or only records
    the decision, and resolves the row itself with the event's decision and comment."""
    p = step.payload
    esc = rows.escalation(step)
    if p.get("effect") is not None:
        _engine_step(rows, step)
    if esc is None:
        return
    if p.get("effect") == "complete_task":
        if esc.values["task_id"] != str(p.get("task_id")):
            rows.problems.append((step.seq, f"the resolve_escalation event completes task {p.get('task_id')}, "
                                            f"which is not the supervisor task of escalation {p.get('escalation_id')}"))
        return
    _close(esc, step, p.get("decision"), p.get("comment"))


def _dismiss_escalation(rows: ImpliedRows, step: ReplayStep) -> None:
    """Closed without acting on the process: the decision "dismiss", the reason as its comment."""
    esc = rows.escalation(step)
    if esc is not None:
        _close(esc, step, "dismiss", step.payload.get("reason"))


def _escalate_escalation(rows: ImpliedRows, step: ReplayStep) -> None:
    """Handed one level up: the bureau's leadership decides it from now on."""
    esc = rows.escalation(step)
    if esc is None:
        return
    if esc.values["level"] != SUPERVISOR_LEVEL:
        rows.problems.append((step.seq, f"the escalate_escalation event hands up escalation "
                                        f"{step.payload.get('escalation_id')}, which the history handed up at event "
                                        f"{esc.seq_of('level')}"))
        return
    esc.set(step.seq, level=LEADERSHIP_LEVEL, escalated_at=step.at, escalated_by=step.actor)


def _close(esc: Row, step: ReplayStep, decision: Any, comment: Any) -> None:
    """What escalation_commands' `_closer` writes."""
    esc.set(step.seq, state="resolved", decision=decision, comment=comment, resolved_by=step.actor,
            resolved_at=step.at)


def _hold(rows: ImpliedRows, step: ReplayStep) -> None:
    """Who holds a task changed, as the mutation path's `derive.holder_change` says."""
    task = rows.task(step)
    if task is not None:
        rows.assign(task, str(step.payload["task_id"]), step.seq, **derive.holder_change(
            step.command, step.actor, step.payload, task.values["owner"], task.values["data"]))


def _error(rows: ImpliedRows, step: ReplayStep) -> None:
    """A timer firing failed: the instance is marked `error` and its timer cleared; nothing else is written."""
    if rows.next_timer is not None:
        rows.timer_seq = step.seq
    rows.status, rows.next_timer = "error", None


def _no_derived_rows(rows: ImpliedRows, step: ReplayStep) -> None:
    """Evidence events: their rows and files are checked against the chain by service/attachments/evidence_audit.py."""


EFFECTS: dict[str, Effect] = {
    "start": _start,
    "complete_task": _engine_step,
    "complete_external_task": _complete_external,
    "deliver_message": _engine_step,
    "fire_timers": _engine_step,
    "resume": _engine_step,
    "suspend": _engine_step,
    "terminate": _engine_step,
    "resolve_escalation": _resolve_escalation,
    "dismiss_escalation": _dismiss_escalation,
    "escalate_escalation": _escalate_escalation,
    **dict.fromkeys(derive.HOLDER_COMMANDS, _hold),  # claim, unclaim, delegate, reassign, resolve_task
    "error": _error,
    "attach_file": _no_derived_rows,
    "detach_file": _no_derived_rows,
}
