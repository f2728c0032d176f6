"""Verification of the audit log: hash chains intact, histories that reproduce the stored state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from service import db
from service.attachments import audit as evidence_audit
from service.attachments.storage import storage_for
from service.config import Settings
from service.engine import derive
from service.engine.audit import CHAINS, EVENTS, event_hash
from service.engine.jsonutil import loads
from service.engine.replay import replay
from service.engine.serializer import make_serializer
from service.engine.versions import SpecCache
from service.models import Instance

I = Instance.__table__  # noqa: E741


@dataclass
class Finding:
    instance_id: str | None  # None: the global chain
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = self.instance_id or "global chain"
        return f"{where} event {self.seq if self.seq is not None else '-'}: {self.problem}"


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def check_chain(instance_id: str | None, events: list[Any], head_seq: int | None, head_hash: str | None
                ) -> Finding | None:
    """The first break in a hash chain: a gap, a link to the wrong predecessor, a hash that does not match."""
    prev = None
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            return Finding(instance_id, ev.seq, f"sequence broken: expected event {expected_seq}")
        if ev.prev_hash != prev:
            return Finding(instance_id, ev.seq, "does not link to the previous event (inserted, removed or reordered)")
        if event_hash(ev.prev_hash, ev.instance_id, ev.seq, ev.at, ev.actor, ev.command, ev.input, ev.tasks,
                      ev.fingerprint) != ev.hash:
            return Finding(instance_id, ev.seq, "content does not match its hash (edited)")
        prev = ev.hash
    last_seq = events[-1].seq if events else 0
    if head_seq is not None and (head_seq != last_seq or head_hash != prev):
        return Finding(instance_id, last_seq + 1 if head_seq > last_seq else head_seq,
                       f"the chain head says event {head_seq} but the log ends at event {last_seq} (events removed)")
    return None


def _events(conn: Any, instance_id: str | None) -> list[Any]:
    where = EVENTS.c.instance_id.is_(None) if instance_id is None else EVENTS.c.instance_id == instance_id
    return list(conn.execute(select(EVENTS).where(where).order_by(EVENTS.c.seq, EVENTS.c.id)))


def verify_instance(engine: Engine, specs: SpecCache, settings: Settings, instance_id: str,
                    serializer: Any = None) -> Finding | None:
    """The first finding of `instance_findings`, or None."""
    findings = instance_findings(engine, specs, settings, instance_id, serializer)
    return findings[0] if findings else None


def instance_findings(engine: Engine, specs: SpecCache, settings: Settings, instance_id: str,
                      serializer: Any = None) -> list[Finding]:
    """The history's first problem (chain, replay, stored state), then every missing or altered evidence file."""
    with db.read(engine) as conn:
        inst = conn.execute(select(I.c.id, I.c.status, I.c.state, I.c.data, I.c.event_seq, I.c.last_event_hash,
                                   I.c.version_hash).where(I.c.id == instance_id)).first()
        events = _events(conn, instance_id)
        attachments = evidence_audit.rows(conn, instance_id)
    if inst is None:
        return [Finding(instance_id, None, "no such instance")]
    history = _check_history(engine, specs, settings, instance_id, inst, events, serializer)
    files = [Finding(instance_id, seq, problem)
             for seq, problem in evidence_audit.check(storage_for(settings), events, attachments)]
    return ([history] if history else []) + files


def _check_history(engine: Engine, specs: SpecCache, settings: Settings, instance_id: str, inst: Any,
                   events: list[Any], serializer: Any) -> Finding | None:
    """Chain, then replay, then the stored state against the replayed one."""
    broken = check_chain(instance_id, events, inst.event_seq, inst.last_event_hash)
    if broken:
        return broken
    result = replay(engine, specs, settings, instance_id, events=events)
    if not result.ok:
        mismatch = result.first_mismatch or {}
        return Finding(instance_id, mismatch.get("seq"), mismatch.get("reason", "replay failed"))
    final = result.snapshots[-1]
    try:
        stored = (serializer or make_serializer(specs.resolve)).deserialize_json(inst.state)
        stored_fp = derive.fingerprint(stored, inst.status)
    except Exception as exc:
        return Finding(instance_id, None, f"the stored state cannot be read: {exc}")
    last_fp = next((e.fingerprint for e in reversed(events) if e.fingerprint), None)
    if stored_fp != last_fp and inst.status != "error":
        return Finding(instance_id, None, "the stored state differs from what its history produces (edited)")
    if derive.canonical_data(final.data) != derive.canonical_data(loads(inst.data) or {}):
        return Finding(instance_id, None, "the stored process data differs from what its history produces")
    return None


def instance_ids(engine: Engine, batch: int = 1000) -> Iterator[str]:
    last = ""
    while True:
        with db.read(engine) as conn:
            ids = list(conn.execute(select(I.c.id).where(I.c.id > last).order_by(I.c.id).limit(batch)).scalars())
        if not ids:
            return
        yield from ids
        last = ids[-1]


def verify(engine: Engine, specs: SpecCache, settings: Settings, instances: list[str] | None = None) -> Report:
    """Verify the global chain and the given instances (all when None)."""
    report = Report()
    with db.read(engine) as conn:
        head = conn.execute(select(CHAINS.c.seq, CHAINS.c.last_hash).where(CHAINS.c.name == "global")).first()
        global_events = _events(conn, None)
    broken = check_chain(None, global_events, head.seq if head else None, head.last_hash if head else None)
    if broken:
        report.findings.append(broken)
    serializer = make_serializer(specs.resolve)
    for iid in instances if instances is not None else instance_ids(engine):
        report.checked += 1
        report.findings += instance_findings(engine, specs, settings, iid, serializer)
    return report
