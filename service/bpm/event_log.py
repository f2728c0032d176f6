"""Appending to the hash-chained event log (no code path updates or deletes events)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.bpm.jsonutil import canonical, dumps
from service.models import Chain, Event

EVENTS = Event.__table__
CHAINS = Chain.__table__
INSERT_EVENT = insert(EVENTS)
_BUMP_GLOBAL = update(CHAINS).where(CHAINS.c.name == "global").values(seq=CHAINS.c.seq + 1)
_READ_GLOBAL = select(CHAINS.c.seq, CHAINS.c.last_hash).where(CHAINS.c.name == "global")


def event_hash(prev_hash: str | None, instance_id: str | None, seq: int, at: datetime, actor: str | None,
               command: str, input_json: str, tasks_json: str, fingerprint: str | None) -> str:
    body = canonical([prev_hash, instance_id, seq, clock.to_db(at).isoformat(), actor, command,
                      input_json, tasks_json, fingerprint])
    return hashlib.sha256(body.encode()).hexdigest()


def event_row(instance_id: str | None, seq: int, prev_hash: str | None, at: datetime, actor: str | None,
              command: str, payload: dict[str, Any], tasks: list[Any], fingerprint: str | None) -> dict[str, Any]:
    input_json, tasks_json = dumps(payload), dumps(tasks)
    return {
        "instance_id": instance_id, "seq": seq, "at": clock.to_db(at), "actor": actor, "command": command,
        "input": input_json, "tasks": tasks_json, "fingerprint": fingerprint, "prev_hash": prev_hash,
        "hash": event_hash(prev_hash, instance_id, seq, at, actor, command, input_json, tasks_json, fingerprint),
    }


def append_global(conn: Connection, at: datetime, actor: str | None, command: str, payload: dict[str, Any]) -> None:
    """Append to the global chain (deployments, logins, administration), inside the caller's transaction.

    Bumping the chain head first takes its row lock, so concurrent appends queue instead of forking the chain.
    """
    if conn.execute(_BUMP_GLOBAL).rowcount == 0:  # a database emptied by hand: the chain starts again
        conn.execute(insert(CHAINS).values(name="global", seq=1, last_hash=None))
    seq, prev = conn.execute(_READ_GLOBAL).one()
    row = event_row(None, seq, prev, at, actor, command, payload, [], None)
    conn.execute(INSERT_EVENT, row)
    conn.execute(update(CHAINS).where(CHAINS.c.name == "global").values(last_hash=row["hash"]))
