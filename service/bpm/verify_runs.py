"""The record of the worker's nightly verifications (workers/nightly_verify.py): one run per day, claimed by the first
worker that gets there, and the findings it made. Each function takes the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Connection, insert, update

from service import clock, db
from service.bpm.verify import Report
from service.models import VerifyFinding, VerifyRun

VERIFY_RUNS = VerifyRun.__table__
VERIFY_FINDINGS = VerifyFinding.__table__
INTERRUPTED = "interrupted: the worker stopped before the run ended"
PROBLEM_CHARS = 2000  # a finding's text as stored (a stored state that cannot be read can say a lot)


def claim(conn: Connection, day: date, now: datetime) -> str | None:
    """Open the run of `day`: its id, or None when another worker (or an earlier start) has that day's run, running
    or finished. A run of the day that failed is taken over (once the cause is mended, the day is not lost); one
    still marked running from an earlier day (its worker stopped) is marked failed."""
    conn.execute(update(VERIFY_RUNS).where(VERIFY_RUNS.c.status == "running", VERIFY_RUNS.c.day < day.isoformat())
                 .values(status="failed", error=INTERRUPTED))
    run_id = str(uuid.uuid4())
    fresh = {"status": "running", "started_at": clock.to_db(now), "ended_at": None, "checked": 0,
             "from_checkpoint": 0, "findings": 0, "error": None}
    if db.insert_new(conn, VERIFY_RUNS, {"id": run_id, "day": day.isoformat(), **fresh}, ["day"]):
        return run_id
    again = conn.execute(update(VERIFY_RUNS).where(VERIFY_RUNS.c.day == day.isoformat(),
                                                   VERIFY_RUNS.c.status == "failed")
                         .values(**fresh).returning(VERIFY_RUNS.c.id)).scalar()
    return str(again) if again is not None else None


def finish(conn: Connection, run_id: str, report: Report, now: datetime) -> None:
    """Record what the run checked and every finding it made."""
    conn.execute(update(VERIFY_RUNS).where(VERIFY_RUNS.c.id == run_id).values(
        status="ok" if report.ok else "findings", ended_at=clock.to_db(now), checked=report.checked,
        from_checkpoint=report.from_checkpoint, findings=len(report.findings)))
    if report.findings:
        conn.execute(insert(VERIFY_FINDINGS), [
            {"run_id": run_id, "instance_id": f.instance_id, "seq": f.seq, "problem": f.problem[:PROBLEM_CHARS],
             "table_name": f.table, "row_id": f.row, "column_name": f.column} for f in report.findings])


def fail(conn: Connection, run_id: str, error: str, now: datetime) -> None:
    """The run stopped before it finished (the database went away, say): why, for the auditors to see."""
    conn.execute(update(VERIFY_RUNS).where(VERIFY_RUNS.c.id == run_id).values(
        status="failed", ended_at=clock.to_db(now), error=error[:PROBLEM_CHARS]))

