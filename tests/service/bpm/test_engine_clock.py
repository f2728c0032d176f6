"""SpiffWorkflow's timers read the service clock once a process has started up, and not merely by importing."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from click.testing import CliRunner
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from service import clock, create_app
from service.bpm import engine_clock
from service.bpm.deploy import deploy
from service.cli import main
from service.queries import instances_queries
from service.runtime import Runtime
from tests.conftest import START, fixture_files
from workers.timers import fire_due

# A fresh interpreter imports the app package, the engine, replay and verify, the CLI and the worker, and
# starts nothing.
_IMPORT_ONLY = """
import datetime
import service, service.bpm.service, service.bpm.replay, service.bpm.verify, service.runtime
import service.cli, workers.runner
from SpiffWorkflow.bpmn.specs.event_definitions import timer
from service.bpm import engine_clock
print(timer.datetime is datetime.datetime, engine_clock.installed())
"""


def test_importing_the_service_leaves_spiffworkflow_time_alone():
    out = subprocess.run([sys.executable, "-c", _IMPORT_ONLY], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def _unrouted(monkeypatch):
    """As in a process that has imported the engine and built nothing yet (monkeypatch restores it after)."""
    monkeypatch.setattr(spiff_timer, "datetime", datetime)
    assert not engine_clock.installed()


def _waits_an_hour_on_the_service_clock(rt):
    """timer_once waits PT1H: anchored at the service clock's 2015 start, it fires once that clock passes it."""

    with rt.unit_of_work() as conn:
        deploy(conn, rt.specs, fixture_files("timer_once.bpmn"), rt.settings, actor="test")
    row = rt.workflows.start("timer_once")
    with rt.reading() as conn:
        assert clock.from_db(instances_queries.get(conn, row["id"])["next_timer_at"]) == START + timedelta(hours=1)
    clock.advance(timedelta(minutes=59))
    assert fire_due(rt.workflows).fired == []
    clock.advance(timedelta(minutes=2))
    assert fire_due(rt.workflows).fired == [row["id"]]
    with rt.reading() as conn:
        assert instances_queries.get(conn, row["id"])["status"] == "completed"


def test_building_a_runtime_routes_timers_through_the_service_clock(runtime, monkeypatch, frozen_clock):
    _unrouted(monkeypatch)
    built = Runtime.build(runtime.settings)
    try:
        assert engine_clock.installed()
        _waits_an_hour_on_the_service_clock(built)
    finally:
        built.close()


def test_the_app_factory_routes_timers_through_the_service_clock(runtime, monkeypatch, frozen_clock):
    _unrouted(monkeypatch)
    create_app(runtime=runtime)  # given a runtime built earlier, the factory installs the routing itself
    assert engine_clock.installed()
    _waits_an_hour_on_the_service_clock(runtime)


def _timer_fired_an_hour_after_start(runtime):
    """An instance whose PT1H timer fired on the service clock: its replay must anchor and fire it the same way."""
    with runtime.unit_of_work() as conn:
        deploy(conn, runtime.specs, fixture_files("timer_once.bpmn"), runtime.settings, actor="test")
    row = runtime.workflows.start("timer_once")
    clock.advance(timedelta(hours=1, minutes=1))
    assert fire_due(runtime.workflows).fired == [row["id"]]
    return row["id"]


def test_audit_verify_replays_timers_on_the_recorded_times(runtime, monkeypatch, frozen_clock):
    iid = _timer_fired_an_hour_after_start(runtime)
    _unrouted(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    result = CliRunner().invoke(main, ["audit", "verify", iid])
    assert result.exit_code == 0, result.output
    assert "all histories and their derived rows reproduce" in result.output


def test_the_replay_and_state_api_replay_timers_on_the_recorded_times(runtime, tokens, monkeypatch,
                                                                     frozen_clock):
    iid = _timer_fired_an_hour_after_start(runtime)
    _unrouted(monkeypatch)
    auditor = create_app(runtime=runtime).test_client()
    auditor.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['auditor']}"
    verdict = auditor.post(f"/api/instances/{iid}/replay").get_json()
    assert verdict["ok"] is True, verdict
    state = auditor.get(f"/api/instances/{iid}/state").get_json()  # what the audit page shows
    assert state["replay_matches"] is True and state["status"] == "completed"


def test_installing_twice_is_harmless(monkeypatch, frozen_clock):
    _unrouted(monkeypatch)
    engine_clock.install()
    engine_clock.install()
    assert engine_clock.installed()
    assert spiff_timer.datetime.now(clock.UTC) == frozen_clock
    assert spiff_timer.datetime.now() == frozen_clock.replace(tzinfo=None)  # naive UTC, as SpiffWorkflow expects
