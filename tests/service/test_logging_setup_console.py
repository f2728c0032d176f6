"""A quiet console: the engine's per-task INFO lines (spiff.task, spiff.workflow) stay off the CLI's and the
worker's output unless JIXIAO_ENGINE_LOG asks for them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner

from service.cli import main
from tests.conftest import START
from workers import runner


@pytest.fixture
def engine_logger_reset(monkeypatch, caplog) -> Iterator[None]:
    """The engine loggers as a fresh process has them (no level of their own), our console at INFO."""
    engine = logging.getLogger("spiff")
    before = engine.level
    engine.setLevel(logging.NOTSET)
    monkeypatch.delenv("JIXIAO_ENGINE_LOG", raising=False)
    caplog.set_level(logging.INFO)
    yield
    engine.setLevel(before)


def engine_lines(caplog) -> list[str]:
    return [f"{r.name} {r.getMessage()}" for r in caplog.records if r.name.startswith("spiff")]


def fire_through_cli(runtime, deploy_fixture, monkeypatch, caplog) -> str:
    deploy_fixture("timer_once.bpmn")
    runtime.workflows.start("timer_once")
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    caplog.clear()
    result = CliRunner().invoke(main, ["timers", "fire", "--at", (START + timedelta(hours=2)).isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("engine_logger_reset", "frozen_clock")
def test_a_cli_command_that_runs_the_engine_prints_no_task_lines_by_default(runtime, deploy_fixture, monkeypatch,
                                                                             caplog, capsys):
    output = fire_through_cli(runtime, deploy_fixture, monkeypatch, caplog)
    assert "fired 1" in output
    assert engine_lines(caplog) == []
    assert "spiff" not in capsys.readouterr().err


@pytest.mark.usefixtures("engine_logger_reset", "frozen_clock")
def test_engine_log_setting_brings_the_task_lines_back(runtime, deploy_fixture, monkeypatch, caplog):
    monkeypatch.setenv("JIXIAO_ENGINE_LOG", "info")
    output = fire_through_cli(runtime, deploy_fixture, monkeypatch, caplog)
    assert "fired 1" in output
    assert any(line.startswith("spiff.task") for line in engine_lines(caplog))


@pytest.mark.usefixtures("engine_logger_reset")
def test_an_unknown_engine_log_level_is_refused_by_name(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("JIXIAO_ENGINE_LOG", "chatty")
    result = CliRunner().invoke(main, ["users", "list"])
    assert result.exit_code == 2
    assert "JIXIAO_ENGINE_LOG='chatty'" in result.output and "info" in result.output


@pytest.mark.usefixtures("engine_logger_reset", "frozen_clock")
def test_the_worker_console_shows_its_passes_but_not_the_engine_steps(runtime, deploy_fixture, caplog):
    deploy_fixture("timer_once.bpmn")
    runtime.workflows.start("timer_once")
    runner.configure_logging()
    caplog.clear()
    result = runner.run_once(runtime, "test-worker", now=START + timedelta(hours=2))
    assert len(result.timers.fired) == 1
    assert engine_lines(caplog) == []
    assert logging.getLogger("jixiao.worker").isEnabledFor(logging.INFO)
