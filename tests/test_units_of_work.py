"""The entry point owns the unit of work (DESIGN.md, "Units of work"): an API view, a page, a CLI command or a worker
job opens the transaction; every module below it takes the connection it is given and never opens, commits or
rolls back one of its own.

Read from the source (ast), in the spirit of tests/test_layers.py. A module below the entry points that opens a
transaction is listed here with the reason, or it fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Where a unit of work begins: the request, the command, the job.
ENTRY_POINTS = ("service/api/", "service/web/", "service/cli", "service/__init__.py", "service/gunicorn_conf.py",
                "workers/")
# Below the entry points, yet opening a transaction of its own, for a reason.
ALLOWED = {
    "service/db.py": "where a transaction begins and ends (db.write, db.read)",
    "service/runtime.py": "the entry points' helpers (Runtime.unit_of_work, Runtime.reading)",
    "service/request_reads.py": "a GET request's one read transaction, opened by its first read, closed at its end",
    "service/bpm/service.py": "the one mutation path joins its caller's connection; called without one (the timer "
                                 "sweep, the calendar jobs' starts, the demo, the benches) a "
                                 "command is its own short read and write (guarded by lock_version), and a timer's "
                                 "engine failure is recorded in a write of its own",
    "service/bpm/escalation_commands.py": "the one mutation path (escalation commands), joins a given connection",
    "service/bpm/evidence_commands.py": "the one mutation path (uploads and withdrawals), joins a given connection",
    "service/bpm/versions.py": "the spec cache loads an immutable process version on a miss, outside any unit "
                                  "of work",
    "service/bpm/replay.py": "replay reads an instance's events (joins a given connection)",
    "service/bpm/verify.py": "audit verification reads batch by batch, across processes with --jobs, and writes each "
                             "batch's checkpoints in a short write of their own (service/bpm/verify_checkpoints.py)",
    "service/backup.py": "a backup copies the database through a connection of its own",
    "service/demo/": "the demo builder is an entry point (jixiao seed --demo): it acts as many requests and jobs",
    "service/simulate/": "the simulator is an entry point (jixiao simulate): it seeds, launches and measures a year",
    "workers/handlers.py": "TaskContext.write: the job's transaction, or one of its own for a handler run alone",
}
# Opening a transaction: engine.begin(), engine.connect(), db.write(...), db.read(...), the Runtime's helpers.
OPENERS = {"begin", "connect"}
DB_OPENERS = {"write", "read"}
HELPERS = {"unit_of_work", "reading"}


def _owner(path: str, table: dict[str, str] | tuple[str, ...]) -> str | None:
    return next((key for key in table if path == key or (key.endswith("/") and path.startswith(key))
                 or (not key.endswith((".py", "/")) and path.startswith(key))), None)


def _below() -> list[str]:
    files = sorted(p.relative_to(ROOT).as_posix() for folder in ("service", "workers")
                   for p in (ROOT / folder).rglob("*.py"))
    return [f for f in files if _owner(f, ENTRY_POINTS) is None or f.startswith("workers/tasks/")]


def openings(path: Path) -> list[str]:
    """Where the module opens a transaction: `line N: what`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        attr, owner = node.func.attr, node.func.value
        if attr in OPENERS or attr in HELPERS or (
                attr in DB_OPENERS and isinstance(owner, ast.Name) and owner.id == "db"):
            found.append(f"line {node.lineno}: .{attr}()")
    return found


@pytest.mark.parametrize("module", _below())
def test_below_the_entry_points_nothing_opens_a_transaction(module):
    # (Handlers in workers/tasks/ write through ctx.write / ctx.read: the job's own transaction, workers/job_queue.py.)
    found = openings(ROOT / module)
    if _owner(module, tuple(ALLOWED)) is not None:
        return
    assert not found, (f"{module} opens a transaction of its own: take the caller's connection (conn first) and let "
                       f"the entry point open the unit of work: {found}")


def test_every_exception_is_still_needed():
    # The allow-list stays short and true: each entry names files that exist and still open a transaction.
    for key in ALLOWED:
        paths = [ROOT / key] if key.endswith(".py") else sorted((ROOT / key).rglob("*.py"))
        assert paths and all(p.exists() for p in paths), key
        assert any(openings(p) for p in paths), f"{key} opens no transaction any more: drop it from ALLOWED"


def test_entry_points_open_their_unit_of_work():
    # The other side of the rule: the API, the pages and the CLI do open transactions (they are where it begins).
    for folder in ("service/api", "service/web"):
        assert any(openings(p) for p in (ROOT / folder).rglob("*.py")), folder
    assert openings(ROOT / "service/cli.py") and openings(ROOT / "workers/job_queue.py")
