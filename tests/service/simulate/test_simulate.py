"""`jixiao simulate` on a handful of projects: the year runs through gunicorn and a `jixiao worker` on the shared
moved clock, the summary adds up, and `audit verify` finds nothing afterwards (serial and parallel alike)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from service import clock
from service.bpm.verify import verify
from service.cli import main
from service.config import ROOT, Settings
from service.db import normalize_url
from service.errors import InvalidInput
from service.runtime import Runtime
from service.simulate import province
from service.simulate.run import simulate
from service.simulate.summary import percentile
from tests.service.scratch_databases import scratch_database

# Every path of the year appears among the first twelve projects (the demo's scenarios).
STAGES = {"launch (start_cycle)", "goal_declaration", "goal_submission", "goal_review", "midterm_review",
          "monitoring_report", "corrective_measures", "deviation_decision", "self_evaluation", "results_feedback",
          "rectification_plan", "budget_decision"}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory):
    lines: list[str] = []
    with scratch_database(tmp_path_factory.mktemp("simulate"), "simulate") as url:
        summary = simulate(url, departments=4, projects=14, web_processes=1, worker_processes=1, clients=2,
                           echo=lines.append, progress=False)
        yield url, summary, lines


def test_the_year_runs_every_stage_through_the_processes(simulated):
    _, summary, lines = simulated
    assert summary.projects == 14 and summary.departments == 4
    assert set(summary.timings) >= STAGES, sorted(summary.timings)
    assert not [line for line in lines if line.startswith("  !")], lines  # no answer refused
    assert summary.stuck_steps == 0 and summary.jobs_done > 0
    assert summary.instances.get("completed", 0) >= 7 and sum(summary.instances.values()) == 14
    assert {"web master", "web worker 1", "worker-1", "driver"} <= set(summary.peak_mib)
    assert summary.database_bytes > 0
    text_ = "\n".join(summary.lines())
    assert "commands:" in text_ and "jobs:" in text_ and "coverage 2026 municipal" in text_
    assert "p50 ms" in text_ and "goal_declaration" in text_


def test_audit_verify_finds_nothing_afterwards_serial_or_parallel(simulated, monkeypatch):
    url, summary, _ = simulated
    rt = Runtime.build(Settings.from_env({"DATABASE_URL": url}))
    try:
        serial = verify(rt.engine, rt.specs, rt.settings, jobs=1)
        parallel = verify(rt.engine, rt.specs, rt.settings, jobs=2)
    finally:
        rt.close()
    assert serial.ok, [str(f) for f in serial.findings]
    assert parallel.findings == serial.findings and parallel.checked == serial.checked == 14
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(main, ["audit", "verify", "--all", "--processes", "2"])
    assert result.exit_code == 0 and "verified 14 instance(s)" in result.output and "(2 processes)" in result.output


def test_parallel_verify_reports_a_tampered_simulated_instance_as_the_serial_run(simulated):
    url, _, _ = simulated
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        iid, data = conn.execute(text("SELECT id, data FROM instances ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE instances SET data = :d WHERE id = :i"), {"d": data.replace("}", ', "x": 1}', 1)
                     if data and data != "{}" else '{"x": 1}', "i": iid})
    rt = Runtime.build(Settings.from_env({"DATABASE_URL": url}))
    try:
        serial = verify(rt.engine, rt.specs, rt.settings, jobs=1)
        parallel = verify(rt.engine, rt.specs, rt.settings, jobs=2)
    finally:
        rt.close()
        with engine.begin() as conn:  # as it was, for the other tests of the module
            conn.execute(text("UPDATE instances SET data = :d WHERE id = :i"), {"d": data, "i": iid})
        engine.dispose()
    assert [f.instance_id for f in serial.findings] == [iid]
    assert parallel.findings == serial.findings


def test_a_database_with_projects_is_refused(simulated):
    url, _, _ = simulated
    with pytest.raises(InvalidInput, match="without projects"):
        simulate(url, departments=1, projects=1, web_processes=1, worker_processes=1, clients=1, progress=False)


def test_a_process_started_with_the_clock_file_reads_its_time(tmp_path: Path):
    path = tmp_path / "clock"
    clock.share(str(path), datetime(2026, 3, 1, 2, 30, tzinfo=UTC))
    script = ("from service import clock; import time, sys; print(clock.now().isoformat()); sys.stdout.flush(); "
              "sys.stdin.readline(); print(clock.now().isoformat())")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, clock.SHARED_ENV: str(path)})
    assert proc.stdout is not None and proc.stdin is not None
    first = proc.stdout.readline().strip()
    clock.share(str(path), datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    proc.stdin.write("\n")
    proc.stdin.flush()
    second = proc.stdout.readline().strip()
    proc.wait(timeout=30)
    assert first == "2026-03-01T02:30:00+00:00" and second == "2026-09-01T01:00:00+00:00"


def test_percentile_is_the_nearest_rank():
    values = [0.005, 0.001, 0.003, 0.002, 0.004]
    assert percentile(values, 0.5) == 0.003 and percentile(values, 0.95) == 0.005 and percentile([1.0], 0.95) == 1.0


def test_a_larger_province_gets_a_larger_expert_library(simulated):
    """The seeded 30 experts staff about 60 panels a year (3 each, at most 6 engagements): a province adds numbered
    experts, one per PROJECTS_PER_EXPERT projects, with accounts' names and two sectors each."""
    url, _, _ = simulated
    engine = create_engine(normalize_url(url))
    try:
        assert province.add_experts(engine, 10, ["education"]) == 0  # the library is already larger
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM experts")).scalar_one()
        assert province.add_experts(engine, have + 3, ["education", "health"]) == 3
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT username, fields FROM experts WHERE username LIKE 'simexpert%' "
                                     "ORDER BY username")).all()
        assert [r.username for r in rows] == ["simexpert0001", "simexpert0002", "simexpert0003"]
        assert all(len(json.loads(r.fields)) == 2 for r in rows)
    finally:
        engine.dispose()
