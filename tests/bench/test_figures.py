"""The benchmark figures table (bench/figures.py): every row printed once, nothing invented for what no part measured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench import figures


@pytest.fixture(autouse=True)
def _fresh() -> None:
    figures._measured.clear()
    yield
    figures._measured.clear()


def test_rows_not_measured_say_so_and_only_what_a_part_recorded_has_a_figure():
    figures.record("peer.sqlite.start", "2.10 ms", True)
    figures.record("peer.sqlite.cycles", "180.0 /s, 0 errors", False)
    text = figures.table("peer", datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    lines = text.splitlines()
    assert "2026-12-06 03:00 UTC" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| part")]
    assert len(rows) == len(figures.ROWS)
    by_figure = {r.figure: line for r, line in zip(figures.ROWS, rows, strict=True)}
    assert "| 2.10 ms | ≤ 3 ms | met |" in by_figure["start `POST /api/instances`, median, SQLite"]
    assert "| 180.0 /s, 0 errors | ≥ 250 /s, 0 errors | NOT met |" in by_figure[
        "full cycles/s, 4 clients, `make run`'s server, SQLite"]
    assert "| not run (--only peer) |" in by_figure["`jixiao seed --demo`, wall clock, fresh SQLite"]  # bench/demo.py
    assert "| not run (--only peer) |" in by_figure[
        "`audit verify --all` (verify()), 10,000 peer instances, one process"]
    assert "| not measured |" in by_figure["complete, median, PostgreSQL"]  # built, run, but nothing recorded


def test_an_unknown_figure_is_refused():
    with pytest.raises(KeyError):
        figures.record("peer.sqlite.nonsense", "1 ms", True)


def test_the_table_names_the_machines_reference_workload_at_the_start_and_the_end(monkeypatch):
    monkeypatch.setattr(figures, "reference_ms", lambda: 151.0)
    first = figures.table("peer", datetime(2026, 12, 7, 8, 0, tzinfo=UTC), reference_before=142.4).splitlines()[0]
    assert "reference workload (bench/figures.py `reference_ms`) 142 ms at the start, 151 ms at the end" in first
    assert "at the start" not in figures.table("peer").splitlines()[0]  # a part run alone measures it at the end only


def test_the_reference_workload_is_cpu_time_in_milliseconds():
    measured = figures.reference_ms()
    assert 1 < measured < 60_000
