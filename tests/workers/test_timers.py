"""Boundary timers fire only when the service clock passes their due time, through `jixiao timers fire`."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from service import clock
from service.cli import main
from service.queries import instances_queries, tasks_queries
from workers.timers import fire_due


def _ready(runtime, instance_id):
    with runtime.reading() as conn:
        return {t["bpmn_id"]: t for t in tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(),
                                                            instance_id=instance_id)["items"]}


def test_boundary_timers_fire_only_after_due_time(runtime, deploy_fixture, frozen_clock):
    deploy_fixture("timers.bpmn")
    row = runtime.workflows.start("timers")
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, row["id"])
    # The earliest timer (the non-interrupting reminder, P3D) is indexed on the instance row.
    assert clock.from_db(inst["next_timer_at"]) == frozen_clock + timedelta(days=3)
    review = _ready(runtime, row["id"])["review"]
    assert clock.from_db(review["due_at"]) == frozen_clock + timedelta(days=5)

    clock.advance(timedelta(days=2, hours=23))
    assert fire_due(runtime.workflows).fired == []

    clock.advance(timedelta(hours=2))  # day 3: the reminder fires, the review stays open
    assert fire_due(runtime.workflows).fired == [row["id"]]
    assert set(_ready(runtime, row["id"])) == {"review"}
    with runtime.reading() as conn:
        inst = instances_queries.get(conn, row["id"])
    assert inst["data"].get("reminded_once") is True
    assert clock.from_db(inst["next_timer_at"]) == frozen_clock + timedelta(days=5)
    assert fire_due(runtime.workflows).fired == []  # nothing due twice

    clock.advance(timedelta(days=2))  # day 5: the interrupting timer cancels the review, opens 督办
    assert fire_due(runtime.workflows).fired == [row["id"]]
    assert set(_ready(runtime, row["id"])) == {"escalate"}
    with runtime.reading() as conn:
        cancelled = tasks_queries.list_tasks(conn, page=1, per_page=10, now=clock.now(), state="cancelled",
                                     instance_id=row["id"])["items"]
    assert [t["bpmn_id"] for t in cancelled] == ["review"]
    with runtime.reading() as conn:
        assert instances_queries.get(conn, row["id"])["next_timer_at"] is None


def test_cli_timers_fire_with_an_explicit_time(runtime, deploy_fixture, frozen_clock, monkeypatch):
    deploy_fixture("timers.bpmn")
    row = runtime.workflows.start("timers")
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()
    early = runner.invoke(main, ["timers", "fire", "--at", (frozen_clock + timedelta(days=1)).isoformat()])
    assert early.exit_code == 0 and "fired 0" in early.output
    late = runner.invoke(main, ["timers", "fire", "--at", (frozen_clock + timedelta(days=6)).isoformat()])
    assert late.exit_code == 0 and "fired 1" in late.output
    assert set(_ready(runtime, row["id"])) == {"escalate"}
    bad = runner.invoke(main, ["timers", "fire", "--at", "next tuesday"])
    assert bad.exit_code == 2 and "ISO-8601" in bad.output


def test_suspended_instance_fires_no_timer_until_resumed(runtime, deploy_fixture, frozen_clock):
    from service.bpm.commands import Resume, Suspend

    deploy_fixture("timers.bpmn")
    row = runtime.workflows.start("timers")
    runtime.workflows.apply(row["id"], Suspend(reason="audit"))
    clock.advance(timedelta(days=6))
    assert fire_due(runtime.workflows).fired == []
    runtime.workflows.apply(row["id"], Resume())
    # Both timers are overdue now; one sweep catches up with both.
    assert fire_due(runtime.workflows).fired == [row["id"]]
    assert set(_ready(runtime, row["id"])) == {"escalate"}


def test_a_stale_sweep_list_does_not_fire_an_instance_a_second_time(runtime, deploy_fixture, frozen_clock,
                                                                      monkeypatch):
    """Another worker fired the instance after this sweep listed it; its next timer is not due: no event."""
    from sqlalchemy import text

    from service.bpm.commands import FireTimers
    from service.domain.roles import TIMER
    from workers import timers

    deploy_fixture("timers.bpmn")
    row = runtime.workflows.start("timers")
    clock.advance(timedelta(days=3, hours=1))
    stale = timers.due_instances(runtime.workflows, clock.now())
    assert stale == [row["id"]]
    runtime.workflows.apply(row["id"], FireTimers(), actor=TIMER)  # the other worker, meanwhile
    monkeypatch.setattr(timers, "due_instances", lambda *_a, **_k: stale)
    swept = timers.fire_due(runtime.workflows)
    assert swept.fired == [] and swept.conflicts == [row["id"]]
    with runtime.engine.connect() as conn:
        fired = conn.execute(text("SELECT COUNT(*) FROM events WHERE command = 'fire_timers'")).scalar_one()
    assert fired == 1
