"""`jixiao backup` / `jixiao restore`: a copy taken while tasks are being completed restores into a fresh
database and attachments directory and passes `jixiao audit verify --all`; a damaged or foreign archive, a newer
schema or a non-empty target is refused with exit 1 and changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from service import clock
from service.backup import MANIFEST
from service.bpm.commands import AttachFile, DetachFile
from service.cli import main
from service.db import make_engine
from service.models import Base
from service.queries import tasks_queries
from tests.conftest import FIXTURES, principal
from tests.service.attachments import samples
from tests.service.scratch_databases import on_postgresql, scratch_database

TABLES = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]


def _env(url: str, attachments: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "JIXIAO_ATTACHMENTS_DIR": str(attachments), "JIXIAO_FORMS_DIR": str(FIXTURES),
            "JIXIAO_WORKFLOWS_DIR": str(FIXTURES)}


def _open_task(rt, iid, bpmn_id):
    with rt.reading() as conn:
        items = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=iid)["items"]
    return next(t["id"] for t in items if t["bpmn_id"] == bpmn_id)


@pytest.fixture
def populated(runtime, deploy_fixture):
    """Instances with events and evidence (one upload withdrawn, one file shared by content), and open tasks."""
    deploy_fixture("simple.bpmn", "evidence.bpmn")
    wf, staff = runtime.workflows, principal("staff_a")
    for n in range(3):
        iid = wf.start("evidence", {}, actor=staff)["id"]
        tid = _open_task(runtime, iid, "submit")
        photo = wf.apply_to_task(tid, AttachFile(tid, samples.png(n), f"现场{n}.png"), actor=staff)
        wf.apply_to_task(tid, AttachFile(tid, samples.PDF, "自评报告.pdf"), actor=staff)
        if n == 0:
            wf.apply_to_task(tid, DetachFile(tid, photo["id"]), actor=staff)
    for n in range(4):
        iid = wf.start("simple", {"amount": n}, actor=staff)["id"]
        if n % 2:
            wf.complete_task(_open_task(runtime, iid, "fill"), {"answer": f"第{n}份"}, actor=staff)
    return runtime


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES if t in present}
    finally:
        engine.dispose()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()} \
        if root.exists() else {}


def test_backup_taken_while_tasks_complete_restores_a_copy_that_verifies(populated, tmp_path):
    rt = populated
    runner = CliRunner()
    source = _env(rt.settings.database_url, rt.settings.attachments_dir)
    completed: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:  # keeps starting and completing tasks until the backup is done
        try:
            while not stop.is_set():
                iid = rt.workflows.start("simple", {"amount": 1}, actor=principal("staff_a"))["id"]
                rt.workflows.complete_task(_open_task(rt, iid, "fill"), {"answer": "按时"}, actor=principal("staff_a"))
                completed.append(iid)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(completed) < 3 and thread.is_alive():
        stop.wait(0.01)
    before = _counts(rt.settings.database_url)
    archive = tmp_path / "jixiao.tar"
    made = runner.invoke(main, ["backup", str(archive)], env=source)
    stop.set()
    thread.join(30)
    assert not errors and made.exit_code == 0, (errors, made.output)
    after = _counts(rt.settings.database_url)

    with scratch_database(tmp_path, "restore") as url:
        target = _env(url, tmp_path / "restored-attachments")
        restored = runner.invoke(main, ["restore", str(archive)], env=target)
        assert restored.exit_code == 0, restored.output
        verified = runner.invoke(main, ["audit", "verify", "--all"], env=target)
        assert verified.exit_code == 0 and "all histories and their derived rows reproduce" in verified.output, verified.output
        copy = _counts(url)
    assert set(copy) == set(after)
    for table in ("events", "instances", "tasks", "attachments", "process_versions"):  # rows only ever added
        assert before[table] <= copy[table] <= after[table], table  # a snapshot taken between the two moments
    assert copy["attachments"] == after["attachments"] == 6
    assert _files(tmp_path / "restored-attachments") == _files(rt.settings.attachments_dir)


def test_restore_is_exact_refuses_a_second_restore_and_verify_rehashes_the_restored_files(populated, tmp_path):
    rt = populated
    runner = CliRunner()
    folder = tmp_path / "backups"
    folder.mkdir()
    made = runner.invoke(main, ["backup", str(folder)], env=_env(rt.settings.database_url, rt.settings.attachments_dir))
    assert made.exit_code == 0, made.output
    [archive] = folder.iterdir()  # a directory gets a file named by the time, and nothing half-written beside it
    assert archive.name.startswith("jixiao-") and archive.suffix == ".tar"
    with tarfile.open(archive) as packed:
        manifest = json.loads(packed.extractfile(MANIFEST).read())
    assert manifest["format"] == "jixiao-backup" and manifest["alembic_revision"]
    assert manifest["database"] == ("postgresql" if on_postgresql() else "sqlite")
    assert manifest["created_at"] and len(manifest["files"]) == 1 + len(_files(rt.settings.attachments_dir))

    with scratch_database(tmp_path, "restore") as url:
        attachments = tmp_path / "restored-attachments"
        target = _env(url, attachments)
        assert runner.invoke(main, ["restore", str(archive)], env=target).exit_code == 0
        assert _counts(url) == _counts(rt.settings.database_url)
        again = runner.invoke(main, ["restore", str(archive)], env=target)
        assert again.exit_code == 1 and "not empty" in again.output and "--force" in again.output
        forced = runner.invoke(main, ["restore", "--force", str(archive)], env=target)
        assert forced.exit_code == 0, forced.output
        assert _counts(url) == _counts(rt.settings.database_url)
        assert runner.invoke(main, ["audit", "verify", "--all"], env=target).exit_code == 0
        photo = next(p for p in attachments.rglob("*") if p.is_file() and p.read_bytes() != samples.PDF
                     and p.read_bytes() != samples.png(0))
        photo.write_bytes(samples.png(99))  # the restored copy's files are what verify hashes
        tampered = runner.invoke(main, ["audit", "verify", "--all"], env=target)
        assert tampered.exit_code == 1 and "altered" in tampered.output


def _rewrite(archive: Path, out: Path, change) -> Path:
    """A copy of `archive` with `change(name, bytes) -> bytes` applied to each member."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def _flip_attachment(name: str, data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("attachments/") else data


def _future_revision(name: str, data: bytes) -> bytes:
    if name != MANIFEST:
        return data
    return json.dumps({**json.loads(data), "alembic_revision": "9999_from_the_future"}).encode()


@pytest.mark.parametrize("damage, message", [
    ("flipped", "does not match its recorded SHA-256"),
    ("truncated", "not a readable backup archive"),
    ("not_a_tar", "not a readable backup archive"),
    ("future", "9999_from_the_future"),
    ("no_manifest", "not a Jixiao backup"),
])
def test_damaged_or_foreign_archive_is_refused_and_the_target_untouched(populated, tmp_path, damage, message):
    rt = populated
    runner = CliRunner()
    good = tmp_path / "good.tar"
    assert runner.invoke(main, ["backup", str(good)],
                         env=_env(rt.settings.database_url, rt.settings.attachments_dir)).exit_code == 0
    bad = tmp_path / "bad.tar"
    if damage == "flipped":
        _rewrite(good, bad, _flip_attachment)
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif damage == "not_a_tar":
        bad.write_bytes(samples.PDF * 100)
    elif damage == "future":
        _rewrite(good, bad, _future_revision)
    else:
        with tarfile.open(bad, "w") as dst:
            info = tarfile.TarInfo("database.sqlite3")
            info.size = 4
            dst.addfile(info, io.BytesIO(b"junk"))

    with scratch_database(tmp_path, "restore") as url:
        attachments = tmp_path / "restored-attachments"
        result = runner.invoke(main, ["restore", "--force", str(bad)], env=_env(url, attachments))
        assert result.exit_code == 1 and message in result.output, result.output
        engine = make_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()
        assert _files(attachments) == {}


@pytest.mark.skipif(not on_postgresql(), reason="the PostgreSQL client tools are checked on PostgreSQL")
@pytest.mark.parametrize("installed, message", [
    (None, "pg_dump is not installed"),
    ("pg_dump (PostgreSQL) 9.6.24", "pg_dump is version 9"),
])
def test_backup_on_postgresql_needs_a_pg_dump_as_new_as_the_server(runtime, tmp_path, installed, message):
    tools = tmp_path / "bin"
    tools.mkdir()
    if installed:
        fake = tools / "pg_dump"
        fake.write_text(f"#!/bin/sh\necho '{installed}'\n")
        fake.chmod(0o755)
    env = {**_env(runtime.settings.database_url, runtime.settings.attachments_dir), "PATH": str(tools)}
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b.tar")], env=env)
    assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "b.tar").exists()
