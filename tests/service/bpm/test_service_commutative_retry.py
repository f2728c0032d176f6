"""A message whose write loses the version check to another command is delivered on the newer state (its
sender never saw the instance) — alone, or inside its request's unit of work — while a suspension that loses it is
refused: it was decided on what was seen."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from service.bpm import message_routing, running
from service.bpm.commands import DeliverMessage, Resume, Suspend
from service.bpm.verify import verify
from service.errors import Conflict
from service.queries import instances_queries
from tests.conftest import principal


def _interleave(monkeypatch, runtime, iid):
    """Between the first attempt's read and write, a supervisor suspends and resumes the instance."""
    original = running.run
    state = {"first": True}

    def run_with_a_writer_between(*args, **kwargs):
        outcome = original(*args, **kwargs)
        if state.pop("first", False):
            runtime.workflows.apply(iid, Suspend("check"), actor=principal("supervisor"))
            runtime.workflows.apply(iid, Resume("checked"), actor=principal("supervisor"))
        return outcome

    monkeypatch.setattr(running, "run", run_with_a_writer_between)


def _events(runtime, iid):
    with runtime.engine.connect() as conn:
        return list(conn.execute(text("SELECT command FROM events WHERE instance_id = :i ORDER BY seq"),
                                 {"i": iid}).scalars())


def _delivered_on_the_newer_state(runtime, iid, commands):
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert inst["data"]["budget"] == {"amount": 5} and inst["status"] == "running"
    assert _events(runtime, iid) == commands
    assert verify(runtime.engine, runtime.specs, runtime.settings, [iid]).ok


def test_message_that_lost_the_version_check_is_delivered_on_the_newer_state(runtime, deploy_fixture, monkeypatch):
    # A message applied alone: its own short read and write.
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, business_key="P-001", actor=principal("staff_a"))["id"]
    _interleave(monkeypatch, runtime, iid)

    runtime.workflows.apply(iid, DeliverMessage("budget_issued", {"amount": 5}, "budget"), actor=principal("staff_a"))

    _delivered_on_the_newer_state(runtime, iid, ["start", "suspend", "resume", "deliver_message"])


def test_in_a_unit_of_work_a_message_that_lost_the_version_check_is_delivered_in_it(runtime, deploy_fixture,
                                                                                    monkeypatch):
    # PostgreSQL (read committed): another writer commits between the delivery's read and its write; the retry reads
    # the newer state in the same transaction, which a version check that matched no row left usable.
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite no writer comes between (test_in_a_unit_of_work_on_sqlite_no_writer_comes_between)")
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, business_key="P-001", actor=principal("staff_a"))["id"]
    _interleave(monkeypatch, runtime, iid)

    with runtime.unit_of_work() as conn:
        delivered = message_routing.deliver(conn, runtime.workflows, principal("staff_a"), "budget_issued",
                                            {"amount": 5}, business_key="P-001", variable="budget")

    assert delivered == [iid]
    _delivered_on_the_newer_state(runtime, iid, ["start", "suspend", "resume", "deliver_message"])


def test_in_a_unit_of_work_on_sqlite_no_writer_comes_between(runtime, deploy_fixture, monkeypatch):
    # SQLite: the unit of work began with BEGIN IMMEDIATE and holds the write lock, so the version check cannot be
    # lost; another writer waits for the commit (here, with no patience, it is refused at once).
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, business_key="P-001", actor=principal("staff_a"))["id"]
    original, refused = running.run, []

    def run_while_another_writer_tries(*args, **kwargs):
        other = sqlite3.connect(runtime.engine.url.database or "", timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            refused.append(str(exc))
        finally:
            other.close()
        return original(*args, **kwargs)

    monkeypatch.setattr(running, "run", run_while_another_writer_tries)
    with runtime.unit_of_work() as conn:
        delivered = message_routing.deliver(conn, runtime.workflows, principal("staff_a"), "budget_issued",
                                            {"amount": 5}, business_key="P-001", variable="budget")

    assert delivered == [iid] and refused == ["database is locked"]
    _delivered_on_the_newer_state(runtime, iid, ["start", "deliver_message"])


def test_suspension_that_lost_the_version_check_is_refused(runtime, deploy_fixture, monkeypatch):
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, actor=principal("staff_a"))["id"]
    original = running.run
    state = {"first": True}

    def run_with_a_message_between(*args, **kwargs):
        outcome = original(*args, **kwargs)
        if state.pop("first", False):
            with runtime.unit_of_work() as conn:
                message_routing.deliver(conn, runtime.workflows, principal("staff_a"), "budget_issued", {},
                                        instance_id=iid)
        return outcome

    monkeypatch.setattr(running, "run", run_with_a_message_between)
    with pytest.raises(Conflict):
        runtime.workflows.apply(iid, Suspend("stop"), actor=principal("supervisor"))
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["status"] == "running"
