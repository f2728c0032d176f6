"""Verification of the audit log: hash chains intact, histories that reproduce the stored state, and derived rows
that match what the histories imply (DESIGN.md, Audit and replay).

For each instance, in this order:

1. the hash chain (a gap, a broken link, an edited event) — if broken, nothing else of the instance is trusted;
2. replay (service/bpm/replay.py): every recorded fingerprint reproduces — if not, likewise;
3. the stored engine state and process data against the replayed ones;
4. every derived row against the rows the history implies (service/bpm/implied_rows.py, compared in
   service/bpm/row_checks.py). These rows decide who may act, so each difference is its own finding naming
   the table, row, column, stored and expected value:
   - `instances`: process, version, business key, department, starter (from the start event), status, and
     `next_timer_at` (the next timer of the replayed state; cleared by suspension, an end, or a failed firing);
   - `tasks`: every task the history made ready, whether still ready or since completed or cancelled — name,
     element, form key, department, candidate groups and users, due and follow-up dates, priority, the task's
     data, state and completed_by (the instance's end cancels its open tasks), and who holds it: assignee, owner
     and delegation state as the claim, unclaim, delegate, reassign and resolve events left them; a task row no
     event accounts for is reported as inserted;
   - `task_candidates`: one row per candidate group and named user of each ready task, with its copies of the
     task's department, due date, priority and assignee; none for closed tasks;
   - `message_waits`: the messages the replayed instance waits for;
   - `escalations`: one per boundary timer or escalation event that opened one (kind, code, name, element,
     supervisor task, department), and every decision on it, all of them events on the chain: one with a
     supervisor task is resolved exactly when that task closed — decision, comment, resolved_by and resolved_at
     from the completing event (a complete_task, or a resolve_escalation that completed it), or "cancelled";
     one without is resolved by its resolve_escalation event (the decision and comment it records, whether it
     suspended, resumed or stopped the instance or only recorded the decision) or its dismiss_escalation event
     (decision "dismiss", the reason as comment); an escalate_escalation event hands it to the leadership
     (level, escalated_at, escalated_by), and so does a ladder's timer that withdraws its supervisor task for
     the leadership's (the row follows to that task); a decision event naming a row the history never opened or
     already closed is itself a finding;
   - `jobs`: every external task the history started has its job (kind, task, topic); a job whose task the
     history completed is not pending; a job of the instance with no such task is reported as inserted.
   Not compared, because they are bookkeeping rather than history: row ids other than task ids (an escalation's
   id only pairs it with the decision events that name it), the times rows were written (created, ended,
   opened — a decision's time is its event's, compared above), a job's status while its task waits or after it
   was cancelled, its lease, attempts, retries and errors (the workers' own record: a done or failed job of a
   waiting task is an incident to retry, not a forged history);
5. evidence files against their upload events (service/attachments/evidence_audit.py).

Checkpoints (service/bpm/verify_checkpoints.py): an instance whose history verified without any finding gets a
signed checkpoint of the replay at its last event; a later verify still checks the whole chain (step 1), then the
checkpoint — its signature, and that its chain hash is the chain's at its seq (a checkpoint that fails either is a
finding, and the history is replayed in full) — and replays only the events after it (step 2) before steps 3 to 5 as
above. Where no event came since and the stored state is the very state the checkpoint was compared with (its
digest), step 3's comparison stands as it was made. `full=True` (`--full`, the auditor's full replay) neither reads
nor writes checkpoints: every history is replayed from its start, and nothing is written. Otherwise verify reads
each batch in one short read transaction, checks it with no transaction open, and writes the batch's new checkpoints
in one short write transaction of their own (a CLI command's unit of work is then one read and one write per batch;
no instance row is touched, so it never conflicts with the mutation path).

Reads are batched (`BATCH` instances, one query per table), never one query per task.

With `jobs` > 1 the instances are partitioned by id into chunks (in id order, at most `BATCH` each, and at least
`CHUNKS_PER_PROCESS` per process: with one chunk each, a process whose chunk holds the longer histories works on
alone at the end) that a pool of processes checks side by side, each process with its own engine, connections and
spec cache; the chunks' findings are gathered in the chunks' order, so the report — its findings, their order,
`checked` and `ok` — is the serial run's. Replay is CPU-bound Python: processes, not threads, are what make it
scale with the cores.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine, select

from service import clock, db, engine_clock
from service.attachments import evidence_audit
from service.attachments.storage import storage_for
from service.bpm import derive, row_checks, stored_rows, task_queries, verify_checkpoints
from service.bpm.event_log import CHAINS, EVENTS, event_hash
from service.bpm.implied_rows import ImpliedRows
from service.bpm.jsonutil import loads
from service.bpm.replay import ReplayState, replay
from service.bpm.scripting import JixiaoScriptEngine
from service.bpm.serializer import make_serializer
from service.bpm.stored_rows import StoredInstance
from service.bpm.versions import SpecCache
from service.config import Settings
from service.models import Instance

INSTANCES = Instance.__table__
BATCH = 100  # instances read together: one query per table per batch
CHUNKS_PER_PROCESS = 4


@dataclass
class Finding:
    instance_id: str | None  # None: the global chain
    seq: int | None
    problem: str
    table: str | None = None  # a derived row that differs: its table, row id and column
    row: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.instance_id or "global chain"
        return f"{where} event {self.seq if self.seq is not None else '-'}: {self.problem}"


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    from_checkpoint: int = 0  # instances whose replay resumed from a checkpoint
    checkpoints_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, part: Tally) -> None:
        self.checked += part.checked
        self.findings += part.findings
        self.from_checkpoint += part.from_checkpoint
        self.checkpoints_written += part.written


@dataclass
class Tally:
    """One batch's results (what a worker process sends back)."""

    checked: int
    findings: list[Finding]
    from_checkpoint: int = 0
    written: int = 0


@dataclass
class _Checkpointing:
    """A batch's checkpoints: the stored ones, the key, and the rows to write."""

    key: verify_checkpoints.Key
    stored: dict[str, Any]
    serializer: Any
    rows: list[dict[str, Any]] = field(default_factory=list)  # checkpoints to write
    resumed: int = 0  # instances replayed from a checkpoint


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
                    serializer: Any = None, conn: Connection | None = None) -> Finding | None:
    """The first finding of `instance_findings`, or None."""
    findings = instance_findings(engine, specs, settings, instance_id, serializer, conn)
    return findings[0] if findings else None


def instance_findings(engine: Engine, specs: SpecCache, settings: Settings, instance_id: str,
                      serializer: Any = None, conn: Connection | None = None) -> list[Finding]:
    """Every finding of one instance (see `_findings`); `conn`: the caller's open transaction to read in."""
    with db.read(engine, conn) as reading:
        stored = stored_rows.read(reading, [instance_id]).get(instance_id)
    if stored is None:
        return [Finding(instance_id, None, "no such instance")]
    return _findings(specs, settings, stored, serializer or make_serializer(specs.resolve))


def _findings(specs: SpecCache, settings: Settings, stored: StoredInstance, serializer: Any,
              checkpoints: _Checkpointing | None = None) -> list[Finding]:
    """The history's first problem (chain, replay, stored state) after any problem of its checkpoint; then, if it
    replays, every derived row that differs from what it implies; then every missing or altered evidence file.
    With `checkpoints`, replay resumes from the instance's checkpoint where it holds, and a history without any
    finding leaves the checkpoint of its last event to write."""
    iid = stored.row.id
    found, implied, end = _check_history(specs, settings, stored, serializer, checkpoints)
    if implied is not None:
        found += [Finding(iid, d.seq, d.problem, d.table, d.row, d.column) for d in row_checks.compare(implied, stored)]
    found += [Finding(iid, seq, problem)
              for seq, problem in evidence_audit.check(storage_for(settings), stored.events, stored.attachments)]
    if checkpoints is not None and end is not None and not found:
        row = verify_checkpoints.build(checkpoints.key, iid, stored.events, end, clock.now(), stored.escalations)
        if row is not None:
            checkpoints.rows.append(row)
    return found


def _check_history(specs: SpecCache, settings: Settings, stored: StoredInstance, serializer: Any,
                   checkpoints: _Checkpointing | None = None
                   ) -> tuple[list[Finding], ImpliedRows | None, verify_checkpoints.Resumed | None]:
    """Chain, then the checkpoint (if any), then replay, then the stored state against the replayed one; the rows
    the history implies when it replays (None when the chain is broken or replay fails: then nothing derived from it
    can be trusted); and the replay's end as a checkpoint would hold it, when a new checkpoint is worth writing."""
    inst, events, instance_id = stored.row, stored.events, stored.row.id
    broken = check_chain(instance_id, events, inst.event_seq, inst.last_event_hash)
    if broken:
        return [broken], None, None
    found: list[Finding] = []
    resumed = None
    if checkpoints is not None and instance_id in checkpoints.stored:
        checked = verify_checkpoints.check(checkpoints.key, checkpoints.stored[instance_id], events,
                                           stored.escalations)
        if checked.problem:
            found.append(Finding(instance_id, checked.seq, checked.problem))
        resumed = checked.resumed
    start = None
    if resumed is not None and resumed.seq < events[-1].seq:
        try:
            workflow = serializer.deserialize_json(str(resumed.workflow))
        except Exception:  # signed by this service but unreadable now (a library upgrade): replay it all
            resumed = None
        else:
            workflow.script_engine = JixiaoScriptEngine()
            start = ReplayState(resumed.seq, workflow, resumed.status, dict(resumed.ids), dict(resumed.back))
    if resumed is not None and start is None:  # no event since the checkpoint: its state is the replay's end
        implied, data, status, end = resumed.implied, resumed.data, resumed.status, None
    else:
        implied = resumed.implied if resumed is not None else ImpliedRows(instance_id,
                                                                          stored_escalations=stored.escalations)
        result = replay(None, specs, settings, instance_id, events=events, observe=implied.observe, snapshots=False,
                        resume=start)
        if not result.ok:
            mismatch = result.first_mismatch or {}
            found.append(Finding(instance_id, mismatch.get("seq"), mismatch.get("reason", "replay failed")))
            return found, None, None
        assert result.end is not None and result.data is not None
        data, status, end = derive.canonical_data(result.data), result.end.status, result.end
    if checkpoints is not None:
        checkpoints.resumed += resumed is not None
    digest = verify_checkpoints.stored_digest(inst.state, inst.status)
    if end is not None or resumed is None or resumed.stored != digest:  # else compared, as it is now, at checkpoint
        try:
            stored_wf = serializer.deserialize_json(inst.state)
            stored_fp = derive.fingerprint(stored_wf, inst.status)
        except Exception as exc:
            return found + [Finding(instance_id, None, f"the stored state cannot be read: {exc}")], implied, None
        last_fp = next((e.fingerprint for e in reversed(events) if e.fingerprint), None)
        if stored_fp != last_fp and inst.status != "error":
            return found + [Finding(instance_id, None, "the stored state differs from what its history produces "
                                                       "(edited)")], implied, None
    if data != derive.canonical_data(loads(inst.data) or {}):
        return found + [Finding(instance_id, None, "the stored process data differs from what its history "
                                                   "produces")], implied, None
    if checkpoints is None:
        return found, implied, None
    if end is None and resumed is not None:
        if resumed.stored == digest:
            return found, implied, None  # the checkpoint already says all this
        return found, implied, replace(resumed, stored=digest)
    assert end is not None
    return found, implied, verify_checkpoints.Resumed(
        end.seq, serializer.serialize_json(end.workflow), status, end.ids, end.back, implied, data, digest)


def instance_ids(engine: Engine, batch: int = 1000) -> Iterator[str]:
    last = ""
    while True:
        with db.read(engine) as conn:
            ids = list(conn.execute(select(INSTANCES.c.id).where(INSTANCES.c.id > last).order_by(INSTANCES.c.id)
                                    .limit(batch)).scalars())
        if not ids:
            return
        yield from ids
        last = ids[-1]


def default_jobs() -> int:
    """Processes `verify` uses by default: one per core."""
    return os.cpu_count() or 1


def verify(engine: Engine, specs: SpecCache, settings: Settings, instances: list[str] | None = None,
           jobs: int = 1, full: bool = False) -> Report:
    """Verify the global chain and the given instances (all when None), in `jobs` processes (see the module's
    docstring): the same report whatever the number. `full`: replay every history from its start and write no
    checkpoint."""
    report = Report()
    with db.read(engine) as conn:
        head = conn.execute(select(CHAINS.c.seq, CHAINS.c.last_hash).where(CHAINS.c.name == "global")).first()
        global_events = _events(conn, None)
    broken = check_chain(None, global_events, head.seq if head else None, head.last_hash if head else None)
    if broken:
        report.findings.append(broken)
    ids: Iterable[str] = instances if instances is not None else instance_ids(engine)
    if jobs > 1:
        ids = list(ids)
        jobs = min(jobs, len(ids))
    if jobs <= 1:
        serializer = make_serializer(specs.resolve)
        key = None if full else verify_checkpoints.Key.of(settings)
        for batch in _batches(ids, BATCH):
            report.add(_verify_batch(engine, specs, settings, serializer, key, batch))
        return report
    assert isinstance(ids, list)
    size = max(1, min(BATCH, math.ceil(len(ids) / (jobs * CHUNKS_PER_PROCESS))))
    engine.dispose()  # no pooled connection of this process crosses the fork into a child
    with _pool(jobs, settings, full) as pool:
        for tally in pool.imap(_worker_batch, _batches(ids, size)):
            report.add(tally)
    return report


def _verify_batch(engine: Engine, specs: SpecCache, settings: Settings, serializer: Any,
                  key: verify_checkpoints.Key | None, batch: list[str]) -> Tally:
    """One batch: its rows (and checkpoints) in one read, checked outside any transaction, then its new checkpoints
    in one short write (none with `key` None: a full verify)."""
    with db.read(engine) as conn:
        stored = stored_rows.read(conn, batch)
        checkpoints = (_Checkpointing(key, verify_checkpoints.read(conn, list(stored)), serializer)
                       if key is not None and stored else None)
    findings: list[Finding] = []
    for iid in batch:
        found = stored.get(iid)
        findings += (_findings(specs, settings, found, serializer, checkpoints) if found is not None
                     else [Finding(iid, None, "no such instance")])
    if checkpoints is None:
        return Tally(len(batch), findings)
    if checkpoints.rows:
        with db.write(engine) as conn:
            verify_checkpoints.write(conn, checkpoints.rows)
    return Tally(len(batch), findings, checkpoints.resumed, len(checkpoints.rows))


def _pool(jobs: int, settings: Settings, full: bool) -> Any:
    """Worker processes, forked where the platform allows (no re-import, the caller's clock and settings as
    they are), each building its own engine in `_worker_init`."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ctx.Pool(jobs, initializer=_worker_init, initargs=(settings, full))


_worker: tuple[Engine, SpecCache, Settings, Any, verify_checkpoints.Key | None] | None = None


def _worker_init(settings: Settings, full: bool) -> None:
    global _worker
    engine_clock.install()
    task_queries.install()  # inherited across a fork; a spawned process installs it itself
    engine = db.make_engine(settings.database_url)
    specs = SpecCache(engine)
    _worker = (engine, specs, settings, make_serializer(specs.resolve),
               None if full else verify_checkpoints.Key.of(settings))


def _worker_batch(batch: list[str]) -> Tally:
    assert _worker is not None, "verify: a worker process without its engine"
    return _verify_batch(*_worker, batch)


def _batches(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for iid in ids:
        batch.append(iid)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
