"""Verify checkpoints: where `jixiao audit verify` last replayed an instance's history and found nothing, so that a
later verify replays only the events since (the issue's "snapshots where history is long").

A checkpoint holds the instance id, the event seq it was taken at, the hash chain's hash at that seq, and the
replay's state there — the engine state serialized as the mutation path stores it (`engine_state`); the replay's
task-id pairing, the derived rows the history implied so far (service/bpm/implied_rows.py), the process data and a
digest of the stored state it was compared with (`replay_state`) — all under an HMAC-SHA256 keyed by a key derived
from the service's secret key
(service/secret_key.py). Whoever can write the database but does not hold the key cannot make verify trust a state
of their own: a checkpoint whose MAC does not match is a finding and verify replays the whole history; one whose
chain hash is not the chain's at its seq (a history rewritten since, hashes and all) likewise. A checkpoint signed
with another key (the key was rotated), written in another layout (FORMAT) or by other replay code (`replay_code`),
or whose escalation rows have changed since (`_pairing`) is ignored: a full replay, no finding.

The rows a history implies hold dates, decimals and tuples; `_encode` tags them so that decoding gives back equal
values, and `build` refuses a checkpoint whose state does not decode to what it was made from (no checkpoint, a
full replay next time) rather than store one that would verify differently.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from service.bpm.implied_rows import ImpliedRows, Row
from service.config import Settings
from service.models import VerifyCheckpoint
from service.secret_key import session_key

CHECKPOINTS = VerifyCheckpoint.__table__
FORMAT = 1  # the layout of `replay_state`; a checkpoint of another layout is ignored (bump when it changes)
_PURPOSE = b"jixiao verify checkpoints"
_ROWS_OF = ("tasks", "external")  # ImpliedRows fields: id -> Row
_SCALARS = ("instance", "instance_seq", "status", "next_timer", "timer_seq", "waits", "waits_seq")


@dataclass(frozen=True)
class Key:
    """The checkpoints' MAC key (derived from the secret key, never the session key itself) and its public id."""

    secret: bytes
    id: str

    @classmethod
    def of(cls, settings: Settings) -> Key:
        secret = hmac.new(session_key(settings).encode(), _PURPOSE, hashlib.sha256).digest()
        return cls(secret, hmac.new(secret, b"key id", hashlib.sha256).hexdigest()[:16])

    def mac(self, instance_id: str, seq: int, chain_hash: str, engine_state: bytes, replay_state: bytes) -> str:
        signed = hmac.new(self.secret, digestmod=hashlib.sha256)
        for part in (instance_id.encode(), str(seq).encode(), chain_hash.encode(), engine_state, replay_state):
            signed.update(b"%d:" % len(part))  # length-prefixed: no two field lists sign the same bytes
            signed.update(part)
        return signed.hexdigest()


@dataclass
class Resumed:
    """A checkpoint's state, decoded: where replay resumes."""

    seq: int
    workflow: str | _Compressed  # the engine state, serialized (service/bpm/serializer.py); as stored, compressed
    status: str
    ids: dict[str, str]  # recorded task id -> the replay's task id
    back: dict[str, str]  # the replay's task id -> recorded task id
    implied: ImpliedRows
    data: str  # the process data after event `seq`, canonical (derive.canonical_data)
    stored: str  # digest of the stored state and status it was compared with


@dataclass(frozen=True)
class _Compressed:
    """An engine state as a checkpoint stores it, not decompressed until a replay resumes from it."""

    packed: bytes

    def __str__(self) -> str:
        return zlib.decompress(self.packed).decode()


@dataclass
class Checked:
    """What a stored checkpoint is worth: a state to resume from, or a finding, or nothing (ignored)."""

    resumed: Resumed | None = None
    problem: str | None = None
    seq: int | None = None


def read(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """The stored checkpoints of the instances `ids`, by instance id (one query)."""
    return {r.instance_id: r for r in conn.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.instance_id.in_(ids)))}


def check(key: Key, row: Any, events: list[Any], stored_escalations: list[Any]) -> Checked:
    """Whether checkpoint `row` may stand in for replaying `events` up to its seq (the chain already checked)."""
    if row.key_id != key.id:
        return Checked()  # signed with another key: not ours to judge
    if not hmac.compare_digest(row.mac, key.mac(row.instance_id, row.seq, row.chain_hash, bytes(row.engine_state),
                                                 bytes(row.replay_state))):
        return Checked(problem=f"the verify checkpoint at event {row.seq} does not match its signature (altered); "
                               "the history was replayed in full", seq=row.seq)
    if not 1 <= row.seq <= len(events) or events[row.seq - 1].hash != row.chain_hash:
        return Checked(problem=f"the history up to event {row.seq} is not the one verify checkpointed there "
                               "(rewritten, hashes and all); the history was replayed in full", seq=row.seq)
    body = json.loads(zlib.decompress(row.replay_state), object_hook=_decode_object)
    if body.get("format") != FORMAT or body.get("code") != replay_code():
        return Checked()  # another layout, or made by other replay code: what it implied may differ now
    paired = _pairing(stored_escalations)
    if paired[:len(body["escalations"])] != body["escalations"]:
        return Checked()  # escalation rows the replay paired with are gone or changed: pair them anew from the start
    implied = _decode_implied(row.instance_id, body["implied"], stored_escalations)
    return Checked(Resumed(row.seq, _Compressed(bytes(row.engine_state)), body["status"], body["ids"], body["back"],
                           implied, body["data"], body["stored"]))


@cache
def replay_code() -> str:
    """A digest of the code a replay runs and derives rows with: the engine boundary and the domain rules
    (service/bpm, service/domain) and the SpiffWorkflow release. A checkpoint made by other code is not resumed
    from: after an upgrade, the first verify replays every history whole."""
    digest = hashlib.sha256(metadata.version("SpiffWorkflow").encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted([*(package / "bpm").rglob("*.py"), *(package / "domain").rglob("*.py")]):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stored_digest(state: str | None, status: str) -> str:
    """The digest of a stored state and status that a checkpoint records it was compared with."""
    digest = hashlib.sha256(status.encode() + b"\n")
    digest.update(b"-" if state is None else b"+" + state.encode())
    return digest.hexdigest()


def build(key: Key, instance_id: str, events: list[Any], resumed: Resumed, at: dt.datetime,
          stored_escalations: list[Any]) -> dict[str, Any] | None:
    """The checkpoint row of a history replayed clean to its last event (`resumed` holds the replay's state there);
    None when its state would not decode to the same values."""
    last = events[-1]
    fields_ = _implied_fields(resumed.implied)
    body = json.dumps({"format": FORMAT, "code": replay_code(), "status": resumed.status, "ids": resumed.ids,
                       "back": resumed.back, "implied": _encode(fields_), "data": resumed.data,
                       "stored": resumed.stored, "escalations": _pairing(stored_escalations)},
                      ensure_ascii=False, separators=(",", ":"))
    if json.loads(body, object_hook=_decode_object)["implied"] != fields_:
        return None
    engine_state = resumed.workflow.packed if isinstance(resumed.workflow, _Compressed) \
        else zlib.compress(resumed.workflow.encode())
    replay_state = zlib.compress(body.encode())
    return {"instance_id": instance_id, "seq": last.seq, "chain_hash": last.hash, "engine_state": engine_state,
            "replay_state": replay_state, "key_id": key.id,
            "mac": key.mac(instance_id, last.seq, last.hash, engine_state, replay_state), "written_at": at}


def write(conn: Connection, rows: Iterable[dict[str, Any]]) -> int:
    """Replace the checkpoints of these rows' instances (in the caller's transaction); how many were written."""
    rows = list(rows)
    if not rows:
        return 0
    upsert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(conn.dialect.name)
    if upsert is None:
        conn.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.instance_id.in_([r["instance_id"] for r in rows])))
        conn.execute(insert(CHECKPOINTS), rows)
        return len(rows)
    # An upsert: two verify runs at once may both write an instance's checkpoint; the later one stands.
    statement: Any = upsert(CHECKPOINTS)  # the dialect's insert, with its ON CONFLICT
    conn.execute(statement.on_conflict_do_update(
        index_elements=[CHECKPOINTS.c.instance_id],
        set_={c.name: statement.excluded[c.name] for c in CHECKPOINTS.columns if c.name != "instance_id"}), rows)
    return len(rows)


def _pairing(stored_escalations: list[Any]) -> list[list[Any]]:
    """What replay pairs an instance's escalation rows by (id, element, task: ImpliedRows._unpaired), in id order.

    A checkpoint records it: replay pairs each escalation it opens with the first stored row of its element and task
    not yet paired, so a resumed replay pairs as a full one does only while the rows the checkpoint saw are still
    there as they were (rows added since come after them)."""
    return [[str(s.id), s.element_id, s.task_id] for s in stored_escalations]


def _implied_fields(implied: ImpliedRows) -> dict[str, Any]:
    """Everything of ImpliedRows that replay builds up (not the stored rows it pairs with, nor problems: a
    checkpoint is only taken of a history without any)."""
    out: dict[str, Any] = {name: getattr(implied, name) for name in _SCALARS}
    for name in _ROWS_OF:
        out[name] = {k: _row(r) for k, r in getattr(implied, name).items()}
    out["candidates"] = {k: {g: _row(r) for g, r in group.items()} for k, group in implied.candidates.items()}
    out["escalations"] = [_row(r) for r in implied.escalations]
    return out


def _row(row: Row) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(Row)}


def _decode_implied(instance_id: str, values: dict[str, Any], stored_escalations: list[Any]) -> ImpliedRows:
    implied = ImpliedRows(instance_id, stored_escalations=stored_escalations)
    for name in _SCALARS:
        setattr(implied, name, values[name])
    for name in _ROWS_OF:
        setattr(implied, name, {k: Row(**r) for k, r in values[name].items()})
    implied.candidates = {k: {g: Row(**r) for g, r in group.items()} for k, group in values["candidates"].items()}
    implied.escalations = [Row(**r) for r in values["escalations"]]
    return implied


def _encode(value: Any) -> Any:
    """JSON for the values implied rows and process data hold: dates, times, decimals and tuples tagged."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    return value  # str, int, float, bool, None; anything else fails the round trip in `build`


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$datetime": dt.datetime.fromisoformat, "$date": dt.date.fromisoformat, "$decimal": decimal.Decimal,
    "$tuple": tuple, "$items": lambda v: {k: x for k, x in v}}


def _decode_object(value: dict[str, Any]) -> Any:
    """json.loads' object hook: a tagged object back to its value (inner objects are decoded already)."""
    if len(value) == 1:
        tag = next(iter(value))
        if tag in _TAGS:
            return _TAGS[tag](value[tag])
    return value

