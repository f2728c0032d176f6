"""A message whose write loses the version check to another command is delivered on the newer state (its
sender never saw the instance), while a suspension that loses it is refused: it was decided on what was seen."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.bpm import message_routing, running
from service.bpm.commands import Resume, Suspend
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


def test_message_that_lost_the_version_check_is_delivered_on_the_newer_state(runtime, deploy_fixture, monkeypatch):
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, business_key="P-001", actor=principal("staff_a"))["id"]
    _interleave(monkeypatch, runtime, iid)

    delivered = message_routing.deliver(runtime.workflows, principal("staff_a"), "budget_issued", {"amount": 5},
                                 business_key="P-001", variable="budget")

    assert delivered == [iid]
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, iid)
    assert inst["data"]["budget"] == {"amount": 5} and inst["status"] == "running"
    with runtime.engine.connect() as conn:
        commands = list(conn.execute(text("SELECT command FROM events WHERE instance_id = :i ORDER BY seq"),
                                     {"i": iid}).scalars())
    assert commands == ["start", "suspend", "resume", "deliver_message"]
    assert verify(runtime.engine, runtime.specs, runtime.settings, [iid]).ok


def test_suspension_that_lost_the_version_check_is_refused(runtime, deploy_fixture, monkeypatch):
    deploy_fixture("message.bpmn")
    iid = runtime.workflows.start("await_budget", {}, actor=principal("staff_a"))["id"]
    original = running.run
    state = {"first": True}

    def run_with_a_message_between(*args, **kwargs):
        outcome = original(*args, **kwargs)
        if state.pop("first", False):
            message_routing.deliver(runtime.workflows, principal("staff_a"), "budget_issued", {}, instance_id=iid)
        return outcome

    monkeypatch.setattr(running, "run", run_with_a_message_between)
    with pytest.raises(Conflict):
        runtime.workflows.apply(iid, Suspend("stop"), actor=principal("supervisor"))
    with runtime.reading() as conn:
        assert instances_queries.get(conn, iid)["status"] == "running"
