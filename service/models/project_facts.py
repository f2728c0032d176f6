"""A project's facts kept on its row by database triggers, per dialect: the status of its latest goal revision, the
warning level of its latest monitoring report and the kinds of its evaluations (`projects.goal_status`,
`projects.warning_level`, `projects.evaluation_kinds`).

The dashboard and the coverage report read them for every project of a year (issue #18: at 50,000 projects,
looking each project's goals, reports and evaluations up took most of the dashboard's time). Triggers keep them
whoever writes those rows — the cycle's handlers, a backup's restore, a test's fixture, a hand-made fix — so no
writer can forget them: each insert, update or delete of a goal, report or evaluation recomputes its project's three
facts from the rows (three index probes), never by increments. A migration that rebuilds one of these tables
(SQLite's batch mode copies a table and drops the old one, its triggers with it) must install them again.
"""

from __future__ import annotations

from sqlalchemy import Connection

from service import db

SOURCES = ("goals", "monitoring_reports", "evaluations")


# A project's evaluation kinds, space-separated, by dialect (SQLite before 3.44 has no ORDER BY inside an aggregate:
# the order does not matter to the readers, which take them as a set).
_KINDS = {"postgresql": "string_agg(e.kind, ' ' ORDER BY e.kind)", "sqlite": "group_concat(e.kind, ' ')"}


def _facts(dialect: str, project: str, moved: str = "") -> str:
    """The UPDATE that recomputes the facts of `project` (an SQL expression for its id); `moved`: a further
    condition."""
    return f"""UPDATE projects SET
        goal_status = (SELECT g.status FROM goals g WHERE g.project_id = {project}
                       ORDER BY g.revision DESC LIMIT 1),
        warning_level = (SELECT m.warning_level FROM monitoring_reports m WHERE m.project_id = {project}
                         ORDER BY m.checkpoint DESC LIMIT 1),
        evaluation_kinds = COALESCE((SELECT {_KINDS[dialect]} FROM evaluations e WHERE e.project_id = {project}), '')
        WHERE id = {project}{moved}"""


CREATE = {
    "postgresql": [
        # PL/pgSQL, not SQL: a session prepares the UPDATE once (an SQL function's body is planned at each call).
        # The row is locked first, in a statement of its own: a second writer of the same project waits there for
        # the first's commit, and its UPDATE (a new statement: a new snapshot under read committed) then reads the
        # first's rows too; one statement would read them with the snapshot it had before it waited.
        f"""CREATE OR REPLACE FUNCTION jixiao_project_facts(pid varchar) RETURNS void AS $$
            BEGIN
              PERFORM 1 FROM projects WHERE id = pid FOR UPDATE;
              {_facts("postgresql", "pid")};
            END;
            $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION jixiao_project_facts_changed() RETURNS trigger AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN PERFORM jixiao_project_facts(OLD.project_id); END IF;
              IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.project_id IS DISTINCT FROM OLD.project_id) THEN
                PERFORM jixiao_project_facts(NEW.project_id);
              END IF;
              RETURN NULL;
            END; $$ LANGUAGE plpgsql""",
        *(f"""CREATE TRIGGER {table}_project_facts AFTER INSERT OR UPDATE OR DELETE ON {table}
              FOR EACH ROW EXECUTE FUNCTION jixiao_project_facts_changed()""" for table in SOURCES),
    ],
    "sqlite": [
        f"""CREATE TRIGGER {table}_project_facts_{event.lower()} AFTER {event} ON {table} BEGIN
            {"; ".join(_facts("sqlite", row, moved) for row, moved in rows)};
            END"""
        for table in SOURCES
        for event, rows in (("INSERT", (("NEW.project_id", ""),)),
                            ("UPDATE", (("OLD.project_id", ""),
                                        ("NEW.project_id", " AND NEW.project_id IS NOT OLD.project_id"))),
                            ("DELETE", (("OLD.project_id", ""),)))
    ],
}
DROP = {
    "postgresql": [*(f"DROP TRIGGER IF EXISTS {table}_project_facts ON {table}" for table in SOURCES),
                   "DROP FUNCTION IF EXISTS jixiao_project_facts_changed()",
                   "DROP FUNCTION IF EXISTS jixiao_project_facts(varchar)"],
    "sqlite": [f"DROP TRIGGER IF EXISTS {table}_project_facts_{event}" for table in SOURCES
               for event in ("insert", "update", "delete")],
}

# Every project's facts at once (the migration that adds the columns fills them with this).
RECOMPUTE_ALL = {dialect: _facts(dialect, "projects.id") for dialect in _KINDS}


def install(conn: Connection) -> None:
    db.run_for_dialect(conn, CREATE)


def remove(conn: Connection) -> None:
    db.run_for_dialect(conn, DROP)


def recompute_all(conn: Connection) -> None:
    """Every project's facts from its rows (after the columns were added, or to repair them by hand)."""
    conn.exec_driver_sql(RECOMPUTE_ALL[conn.dialect.name])
