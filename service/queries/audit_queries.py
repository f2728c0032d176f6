"""What auditors read: the state of an instance at any event, and whether its history replays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from service.bpm.replay import Snapshot, replay
from service.bpm.verify import verify_instance
from service.bpm.versions import SpecCache
from service.config import Settings
from service.domain.roles import Principal
from service.errors import NotFound
from service.queries import instances_queries


def state_at(conn: Connection, specs: SpecCache, settings: Settings, instance_id: str, viewer: Principal,
             at: int | None) -> dict[str, Any]:
    """Tasks, active elements and data right after event `at` (default: the last), and what it changed."""
    inst = instances_queries.get(conn, instance_id, viewer)
    seq = at if at is not None else None
    result = replay(conn.engine, specs, settings, instance_id, upto=seq, conn=conn)
    if at is not None and at > result.events:
        raise NotFound(f"instance {instance_id} has no event {at}")
    snaps = result.snapshots
    current = snaps[-1]
    previous = snaps[-2] if len(snaps) > 1 and snaps[-2].seq == current.seq - 1 else None
    body = _snapshot_dict(current)
    body["changes"] = _diff(previous, current)
    body["replay_matches"] = result.ok
    body["version"] = inst["version"]
    return body


def check(conn: Connection, specs: SpecCache, settings: Settings, instance_id: str, viewer: Principal
          ) -> dict[str, Any]:
    """Verify one instance: its chain, its replay and its stored state."""
    instances_queries.get(conn, instance_id, viewer)
    finding = verify_instance(conn.engine, specs, settings, instance_id, conn=conn)
    return {"instance_id": instance_id, "ok": finding is None,
            "first_bad_event": finding.seq if finding else None, "problem": finding.problem if finding else None}


def _snapshot_dict(s: Snapshot) -> dict[str, Any]:
    tasks = [{k: v for k, v in t.items() if k != "key"} for t in s.tasks]  # keys are this replay's own ids
    return {"seq": s.seq, "at": s.at, "actor": s.actor, "command": s.command, "status": s.status, "data": s.data,
            "tasks": tasks, "active": s.active, "completed": s.completed}


def _diff(before: Snapshot | None, after: Snapshot) -> dict[str, Any]:
    old_data = before.data if before else {}
    added = {k: v for k, v in after.data.items() if k not in old_data}
    removed = sorted(k for k in old_data if k not in after.data)
    changed = {k: {"from": old_data[k], "to": v} for k, v in after.data.items() if k in old_data and old_data[k] != v}
    old_states = {t["key"]: t["state"] for t in (before.tasks if before else [])}
    tasks = [{"bpmn_id": t["bpmn_id"], "from": old_states.get(t["key"]), "to": t["state"]}
             for t in after.tasks if old_states.get(t["key"]) != t["state"]]
    return {"data": {"added": added, "changed": changed, "removed": removed}, "tasks": tasks}
