"""Database triggers that make the event log append-only (no UPDATE, no DELETE), per dialect."""

from __future__ import annotations

from sqlalchemy import Connection

from service import db

MESSAGE = "the audit log is append-only"

CREATE = {
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION jixiao_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
           FOR EACH ROW EXECUTE FUNCTION jixiao_events_append_only()""",
        """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
           FOR EACH STATEMENT EXECUTE FUNCTION jixiao_events_append_only()""",
    ],
    "sqlite": [
        f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ],
}
DROP = {
    "postgresql": ["DROP TRIGGER IF EXISTS events_append_only ON events",
                   "DROP TRIGGER IF EXISTS events_no_truncate ON events",
                   "DROP FUNCTION IF EXISTS jixiao_events_append_only()"],
    "sqlite": ["DROP TRIGGER IF EXISTS events_no_update", "DROP TRIGGER IF EXISTS events_no_delete"],
}


def install(conn: Connection) -> None:
    db.run_for_dialect(conn, CREATE)


def remove(conn: Connection) -> None:
    """Only for tests and tooling that must rewrite history on purpose (never called by the service)."""
    db.run_for_dialect(conn, DROP)
