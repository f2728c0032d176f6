"""SQLite's writers take turns on a lock beside the database (service/db.py, _WriterTurn): a writer waits for the
turn, not in SQLite's busy handler, threads and processes alike."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import sqlite3
import threading

import pytest
from sqlalchemy import text

from service import db


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    with db.write(engine) as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    yield engine
    engine.dispose()


def _bump(engine, times):
    for _ in range(times):
        with db.write(engine) as conn:  # read, then write what was read: lost updates if two ran at once
            n = conn.execute(text("SELECT n FROM counter")).scalar_one()
            conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})


def _bump_in_child(url, times):
    engine = db.make_engine(url)  # a process of its own opens its own connections, as a gunicorn worker does
    _bump(engine, times)
    engine.dispose()


def _count(engine):
    with db.read(engine) as conn:
        return conn.execute(text("SELECT n FROM counter")).scalar_one()


def test_a_writer_waits_for_the_turn_while_the_database_itself_is_free(engine, tmp_path):
    path = str(tmp_path / "turns.sqlite3")
    fd = os.open(path + "-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's turn
    writer = threading.Thread(target=_bump, args=(engine, 1))
    writer.start()
    writer.join(0.5)
    assert writer.is_alive()  # waiting for the turn …
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    probe.execute("BEGIN IMMEDIATE")  # … not holding or waiting on SQLite's own write lock
    probe.execute("ROLLBACK")
    probe.close()
    os.close(fd)  # the turn ends: the writer goes on
    writer.join(30)
    assert not writer.is_alive() and _count(engine) == 1


def test_threads_and_processes_take_turns_and_lose_no_update(engine):
    engine.dispose()  # no open SQLite connection may cross a fork (SQLite's own rule)
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=_bump_in_child, args=(str(engine.url), 25)) for _ in range(2)]
    for child in children:
        child.start()
    threads = [threading.Thread(target=_bump, args=(engine, 25)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for worker in [*threads, *children]:
        worker.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    assert _count(engine) == 5 * 25


def test_a_database_in_memory_has_no_turns():
    for url in ("sqlite://", "sqlite:///:memory:"):
        assert db._TURNS.get(db.make_engine(url)) is None
