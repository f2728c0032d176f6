"""Escalation commands in the one mutation path (DESIGN.md, Escalation): resolve, dismiss and escalate one level up.

Each is an event on the instance's hash chain, written with the escalation row in one write transaction:
- a decision on an escalation answered by a supervisor task completes that task (the BPMN takes it from there;
  the task's closing resolves the row, service/bpm/service.py `_write_tasks`);
- without one, `suspend`, `resume` and `stop` act on the instance itself (the engine's suspend, resume,
  terminate) and record the decision;
- dismissing (with a reason) and escalating change no engine state: like a claim, they move the instance's
  version and chain and write the row.
The decision is checked against the kind's allowed decisions (service/domain/escalation_kinds.py) and the plan's
"suspend, then stop" (二(一)2), also when the supervisor task is completed directly (`check_task_completion`).
Replay (service/bpm/replay.py) re-applies the engine effect recorded in the event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, exists, or_, select, update

from service import clock, db, policy
from service.bpm import access
from service.bpm import statements as sql
from service.bpm.commands import (
    CompleteTask,
    DismissEscalation,
    EscalateEscalation,
    ResolveEscalation,
    Resume,
    Suspend,
    Terminate,
)
from service.bpm.event_log import EVENTS, INSERT_EVENT, event_row
from service.bpm.jsonutil import loads
from service.bpm.model_checks import form_key_name
from service.bpm.statements import ESCALATIONS, INSTANCES
from service.bpm.versions import SpecCache
from service.domain import escalation_kinds as kinds
from service.domain.roles import Principal
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.rules import store as rules

if TYPE_CHECKING:
    from service.bpm.service import WorkflowService

STOP_RULE = "escalation.stop_requires_suspension"
SUPERVISOR_LEVEL, LEADERSHIP_LEVEL = policy.SUPERVISOR_LEVEL, policy.LEADERSHIP_LEVEL
_STALE = "the instance was changed by someone else meanwhile; reload and try again"

_READ = select(ESCALATIONS).where(ESCALATIONS.c.id == bindparam("b_id"))
_READ_BY_TASK = select(ESCALATIONS).where(ESCALATIONS.c.task_id == bindparam("b_task"), ESCALATIONS.c.state == "open")
_INSTANCE_FACTS = select(INSTANCES.c.business_key, INSTANCES.c.data).where(INSTANCES.c.id == bindparam("b_id"))
_CLOSE = (
    update(ESCALATIONS).where(ESCALATIONS.c.id == bindparam("b_id"), ESCALATIONS.c.state == "open")
    .values(state="resolved", decision=bindparam("decision"), comment=bindparam("comment"),
            resolved_at=bindparam("resolved_at"), resolved_by=bindparam("resolved_by"))
)
_HAND_UP = (
    update(ESCALATIONS).where(ESCALATIONS.c.id == bindparam("b_id"), ESCALATIONS.c.state == "open",
                              ESCALATIONS.c.level == SUPERVISOR_LEVEL)
    .values(level=LEADERSHIP_LEVEL, escalated_at=bindparam("escalated_at"), escalated_by=bindparam("escalated_by"))
)
# Without a supervisor task, a decision acts on the instance: (status it acts from) → command.
_EFFECTS: dict[str, tuple[tuple[str, ...], type[Suspend | Resume | Terminate]]] = {
    "suspend": (("running",), Suspend), "resume": (("suspended", "error"), Resume),
    "stop": (("running", "suspended", "error"), Terminate),
}
_EFFECT_NAMES = {Suspend: "suspend", Resume: "resume", Terminate: "terminate"}


def apply(service: WorkflowService, command: ResolveEscalation | DismissEscalation | EscalateEscalation,
          actor: Principal, now: datetime, within: Connection | None = None) -> dict[str, Any]:
    """Apply an escalation command: read, check who may and what may be decided, act, write with the event
    (`within`: the caller's open write transaction, which the command joins)."""
    esc, row, task = _read(service.engine, command.escalation_id, within)
    if esc is None or row is None or not access.instance_visible(actor, row):
        raise NotFound(f"no escalation {command.escalation_id}")
    _check_actor(actor, esc)
    if esc.state != "open":
        raise Conflict(f"escalation {esc.id} is already resolved")
    if isinstance(command, EscalateEscalation):
        return _escalate(service.engine, row, esc, command, actor, now, within)
    decision, comment, data = (("dismiss", command.reason, {}) if isinstance(command, DismissEscalation)
                               else (command.decision, command.comment, command.data))
    kind = _kind(service, row, esc, task)
    _check_decision(service.engine, row, esc, kind, decision, comment, now, within)
    payload = {"escalation_id": esc.id, "code": esc.code, "decision": decision, "comment": comment}
    if task is not None:
        if task.delegation_state == "pending":
            raise Conflict(f"task {task.id} is delegated: its delegate completes it and hands it back first")
        if esc.level == SUPERVISOR_LEVEL:  # the supervisor who decides must be able to complete the task
            access.check_task_command(actor, task, row, CompleteTask(task.id), False)
        form = {**data, "decision": decision, "decision_comment": comment}
        return service._apply(row, task, CompleteTask(task.id, form), actor, now, recorded=(
            "resolve_escalation", {**payload, "effect": "complete_task", "task_id": task.id, "data": form}),
            within=within)
    allowed_from, effect = _EFFECTS.get(decision, ((), None))
    close = _closer(esc.id, decision, comment, actor, now)
    if effect is not None and row.status in allowed_from:
        return service._apply(row, None, effect(reason=comment), actor, now, also=close, recorded=(
            "resolve_escalation", {**payload, "effect": _EFFECT_NAMES[effect]}), within=within)
    kind_name = "dismiss_escalation" if decision == "dismiss" else "resolve_escalation"
    recorded = {"escalation_id": esc.id, "code": esc.code, "reason": comment} if decision == "dismiss" \
        else {**payload, "effect": None}
    _record(service.engine, row, kind_name, recorded, esc.id, actor, now, close, within)
    return {"id": row.id, "status": row.status, "lock_version": row.lock_version + 1}


def check_task_completion(service: WorkflowService, row: Any, task: Any, data: dict[str, Any], actor: Principal,
                          now: datetime, within: Connection | None = None) -> None:
    """A supervisor task completed directly (POST /api/tasks/{id}/complete): the same rules as a resolve."""
    with db.read(service.engine, within) as conn:
        esc = conn.execute(_READ_BY_TASK, {"b_task": task.id}).first()
    if esc is None:
        return
    _check_actor(actor, esc)
    decision = data.get("decision")
    if not isinstance(decision, str):
        return  # the form's schema names the missing decision
    kind = _kind(service, row, esc, task)
    if kind is kinds.WITH_TASK:  # a supervisor form without a decision list of its own: only the plan's rule holds
        kind = replace(kind, decisions=(decision,))
    _check_decision(service.engine, row, esc, kind, decision, data.get("decision_comment"), now, within)


def _read(engine: Engine, escalation_id: int, within: Connection | None = None) -> tuple[Any, Any, Any]:
    """The escalation, its instance and its ready supervisor task (None if it has none), in one short read."""
    from service.bpm.service import _TaskView  # the mutation path's own view of a task row

    with db.read(engine, within) as conn:
        esc = conn.execute(_READ, {"b_id": escalation_id}).first()
        if esc is None:
            return None, None, None
        joined = conn.execute(sql.READ_INSTANCE_AND_TASK, {"b_task": esc.task_id}).first() if esc.task_id else None
        if joined is not None and joined.task_state == "ready":
            return esc, joined, _TaskView(joined)
        return esc, conn.execute(sql.READ_INSTANCE, {"b_id": esc.instance_id}).first(), None


def _check_actor(actor: Principal, esc: Any) -> None:
    """Supervisors decide; an escalation handed one level up is the leadership's (who may also decide earlier)."""
    policy.require(actor, policy.CHANGE_ANYTHING)
    if not policy.may(actor, policy.DECIDE_ESCALATION, {"level": esc.level}):
        raise Forbidden("this escalation was handed to the bureau's leadership (局领导): only they decide it"
                        if esc.level == LEADERSHIP_LEVEL else "only supervisors decide escalations")


def _kind(service: WorkflowService, row: Any, esc: Any, task: Any) -> kinds.Kind:
    return kind_for(service.specs, row.version_hash, esc.code, task.form_key if task is not None else None,
                    has_task=task is not None)


def kind_for(specs: SpecCache, version_hash: str, code: str | None, form_key: str | None, *,
             has_task: bool) -> kinds.Kind:
    """The kind of an escalation; for a code the table does not name, its supervisor form's decision list."""
    listed: list[str] = []
    if has_task and form_key and (code or "") not in kinds.KINDS:
        schema = specs.get(version_hash).forms.get(form_key_name(form_key)) or {}
        listed = list(((schema.get("properties") or {}).get("decision") or {}).get("enum") or [])
    return kinds.kind_of(code, has_task=has_task, form_decisions=listed)


def _check_decision(engine: Engine, row: Any, esc: Any, kind: kinds.Kind, decision: str, comment: str | None,
                    now: datetime, within: Connection | None = None) -> None:
    suspended, required = (False, True) if decision != "stop" else _suspension_facts(engine, row, now, within)
    refused = kinds.refusal(kind, decision, reason=comment, suspended_before=suspended,
                            stop_requires_suspension=required)
    if refused is not None:
        raise (Conflict if refused.conflict else InvalidInput)(refused.message, [refused.as_error()])


def _suspension_facts(engine: Engine, row: Any, now: datetime, within: Connection | None = None
                      ) -> tuple[bool, bool]:
    """(Was the instance or its project suspended before?, does the rule row require it before a stop?)"""
    with db.read(engine, within) as conn:
        facts = conn.execute(_INSTANCE_FACTS, {"b_id": row.id}).first()
        data = loads(facts.data) if facts is not None and facts.data else {}
        same = [row.id] if facts is None or not facts.business_key else \
            select(INSTANCES.c.id).where(or_(INSTANCES.c.id == row.id, INSTANCES.c.business_key == facts.business_key))
        suspended = row.status == "suspended" or bool(conn.execute(select(
            exists().where(ESCALATIONS.c.instance_id.in_(same), ESCALATIONS.c.decision == "suspend")
            | exists().where(EVENTS.c.instance_id == row.id, EVENTS.c.command == "suspend"))).scalar())
        required = _rule(conn, data, now)
    return suspended, required


def _rule(conn: Connection, data: dict[str, Any], now: datetime) -> bool:
    year = data.get("fiscal_year")
    year = int(year) if isinstance(year, int) and not isinstance(year, bool) else clock.local_today(now).year
    try:
        return bool(rules.get(conn, year, str(data.get("level") or "*"), STOP_RULE))
    except NotFound:  # no row: the plan's own rule holds
        return True


def _closer(escalation_id: int, decision: str, comment: str | None, actor: Principal, now: datetime) -> Any:
    def close(conn: Connection) -> None:
        if conn.execute(_CLOSE, {"b_id": escalation_id, "decision": decision, "comment": comment,
                                 "resolved_at": clock.to_db(now), "resolved_by": actor.username}).rowcount != 1:
            raise Conflict(f"escalation {escalation_id} is already resolved")
    return close


def _escalate(engine: Engine, row: Any, esc: Any, command: EscalateEscalation, actor: Principal,
              now: datetime, within: Connection | None = None) -> dict[str, Any]:
    if esc.level != SUPERVISOR_LEVEL:
        raise Conflict(f"escalation {esc.id} is already with the bureau's leadership")
    if not policy.may(actor, policy.ESCALATE):
        raise Forbidden("only supervisors hand an escalation up to the bureau's leadership")

    def hand_up(conn: Connection) -> None:
        if conn.execute(_HAND_UP, {"b_id": esc.id, "escalated_at": clock.to_db(now),
                                   "escalated_by": actor.username}).rowcount != 1:
            raise Conflict(f"escalation {esc.id} was decided or handed up meanwhile")

    payload = {"escalation_id": esc.id, "code": esc.code, "reason": command.reason, "to": LEADERSHIP_LEVEL}
    _record(engine, row, command.kind, payload, esc.id, actor, now, hand_up, within)
    return {"id": row.id, "status": row.status, "lock_version": row.lock_version + 1}


def _record(engine: Engine, row: Any, kind: str, payload: dict[str, Any], escalation_id: int, actor: Principal,
            now: datetime, write: Any, within: Connection | None = None) -> None:
    """An event that changes no engine state: the instance's version and chain move with the escalation row."""
    seq = row.event_seq + 1
    ev = event_row(row.id, seq, row.last_event_hash, now, actor.username, kind, payload,
                   [{"escalation_id": escalation_id, "change": kind}], None)
    with db.write(engine, within) as conn:
        if conn.execute(sql.TOUCH_INSTANCE, {
                "b_id": row.id, "b_lock": row.lock_version, "lock_version": row.lock_version + 1, "event_seq": seq,
                "last_event_hash": ev["hash"], "updated_at": clock.to_db(now)}).rowcount != 1:
            raise Conflict(_STALE)
        write(conn)
        conn.execute(INSERT_EVENT, ev)


def hand_on(conn: Connection, escalation: dict[str, Any], actor: Principal, now: datetime) -> bool:
    """The ladder: a timer withdrew the task that answered an open escalation and led to the next one up. The
    escalation follows to the new task — handed up to the bureau's leadership if that task is theirs — instead of
    closing as cancelled beside a new one. False when the withdrawn task answered none (a new escalation opens)."""
    hand_on = escalation.get("hand_on")
    if hand_on is None:
        return False
    row = conn.execute(sql.OPEN_ESCALATION_OF_TASK, {"b_task": hand_on["from_task_id"]}).first()
    if row is None:
        return False
    values: dict[str, Any] = {"task_id": escalation["task_id"]}
    if hand_on["leadership"] and row.level == SUPERVISOR_LEVEL:
        values.update(level=LEADERSHIP_LEVEL, escalated_at=clock.to_db(now),
                      escalated_by=actor.username)
    conn.execute(sql.MOVE_ESCALATION.values(**values), {"b_id": row.id})
    return True
