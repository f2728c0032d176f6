"""Reading the worker's nightly verifications (service/bpm/verify_runs.py): the runs, newest first, and one run with
its findings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from service import clock
from service.bpm.verify_runs import VERIFY_FINDINGS, VERIFY_RUNS
from service.errors import NotFound

# What a finding is about, from the words verify puts first (service/bpm/verify.py, verify_checkpoints.py,
# row_checks.py, service/attachments/evidence_audit.py): the pages name the kind in Chinese beside the detail.
_KINDS = (("chain", ("sequence broken", "does not link", "content does not match its hash", "the chain head says")),
          ("checkpoint", ("the verify checkpoint", "the history up to event")),
          ("replay", ("the replayed state differs", "cannot re-apply", "the history does not begin", "replay failed")),
          ("state", ("the stored state",)), ("data", ("the stored process data",)), ("evidence", ("attachment ",)),
          ("missing", ("no such instance",)))
FINDING_KINDS = (*(k for k, _ in _KINDS), "row", "other")


def finding_kind(problem: str, table: str | None) -> str:
    """chain | checkpoint | replay | state | data | evidence | missing | row (a derived row differs) | other."""
    if table is not None and table != "events":
        return "row"
    return next((kind for kind, starts in _KINDS if problem.startswith(starts)), "other")


def _run(row: Any) -> dict[str, Any]:
    return {"id": row.id, "day": row.day, "status": row.status, "started_at": clock.from_db(row.started_at),
            "ended_at": clock.from_db(row.ended_at), "checked": row.checked, "from_checkpoint": row.from_checkpoint,
            "findings": row.findings, "error": row.error}


def list_runs(conn: Connection, *, page: int, per_page: int) -> dict[str, Any]:
    """The runs, the latest day first."""
    total = conn.execute(select(func.count()).select_from(VERIFY_RUNS)).scalar_one()
    rows = conn.execute(select(VERIFY_RUNS).order_by(VERIFY_RUNS.c.day.desc())
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [_run(r) for r in rows], "total": total}


def latest(conn: Connection) -> dict[str, Any] | None:
    """The latest day's run, if any ran."""
    row = conn.execute(select(VERIFY_RUNS).order_by(VERIFY_RUNS.c.day.desc()).limit(1)).first()
    return _run(row) if row is not None else None


def get_run(conn: Connection, run_id: str, *, page: int = 1, per_page: int = 100) -> dict[str, Any]:
    """One run and a page of its findings, in the order verify made them."""
    row = conn.execute(select(VERIFY_RUNS).where(VERIFY_RUNS.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"no verification run {run_id}")
    found = conn.execute(select(VERIFY_FINDINGS).where(VERIFY_FINDINGS.c.run_id == run_id)
                         .order_by(VERIFY_FINDINGS.c.id).limit(per_page).offset((page - 1) * per_page)).all()
    return {**_run(row), "items": [
        {"instance_id": f.instance_id, "seq": f.seq, "kind": finding_kind(f.problem, f.table_name),
         "problem": f.problem, "table": f.table_name, "row": f.row_id, "column": f.column_name} for f in found]}
