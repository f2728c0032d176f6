"""`jixiao cycle`: the annual cycle launch, the year-end coverage review and the departments' periodic reports on
demand (the worker runs them on its schedule: workers/calendar_jobs.py)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from service import clock
from service.config import Settings
from service.errors import JixiaoError
from service.runtime import Runtime


@click.group()
def cycle() -> None:
    """The budget performance cycle of a fiscal year."""


@cycle.command("launch")
@click.option("--year", type=int, required=True, help="the fiscal year whose projects start their cycle")
@click.option("--at", "at", default=None, help="as of this ISO-8601 time (default: now)")
def cycle_launch(year: int, at: str | None) -> None:
    """Start budget_cycle for every planned project of YEAR now, whatever its opening date; safe to run again."""
    from workers.calendar_jobs import launch_cycles

    now = clock.now()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"{at!r} is not an ISO-8601 time", param_hint="--at") from None
        now = now if now.tzinfo else now.replace(tzinfo=clock.UTC)
    rt = Runtime.build(Settings.from_env())
    try:
        result = launch_cycles(rt, now, year=year)
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    finally:
        rt.close()
    click.echo(f"fiscal year {year}: {len(result.started)} cycle(s) started, {len(result.resumed)} resumed, "
               f"{len(result.busy)} held by another launcher, {len(result.failed)} failed"
               + ("; the year is marked launched" if year in result.years else ""))
    for project_id, why in result.failed.items():
        click.echo(f"  {project_id}: {why}", err=True)
    sys.exit(1 if result.failed else 0)


@cycle.command("coverage-review")
@click.option("--year", type=int, required=True, help="the fiscal year whose coverage is reviewed")
def cycle_coverage_review(year: int) -> None:
    """Escalate each department below the plan's coverage targets of YEAR to the bureau (workflows/
    coverage_review.bpmn) now; the worker does it on 2 January for the year past; safe to run again."""
    from workers.calendar_jobs import review_coverage

    rt = Runtime.build(Settings.from_env())
    try:
        result = review_coverage(rt, clock.now(), year=year)
    finally:
        rt.close()
    click.echo(f"fiscal year {year}: {len(result.started)} coverage review(s) started, {len(result.resumed)} resumed, "
               f"{len(result.failed)} failed" + "".join(f"; {level}: {why}" for level, why in result.skipped.items()))
    for department_id, why in result.failed.items():
        click.echo(f"  {department_id}: {why}", err=True)
    sys.exit(1 if result.failed else 0)


@cycle.command("reports")
@click.option("--period-day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="a day of the report period to launch (default: the last period that has ended)")
def cycle_reports(period_day: Any) -> None:
    """Start the departments' periodic performance management reports (workflows/performance_report.bpmn) for the
    last period of rule report.period_months that has ended, or the period holding --period-day; the worker does it
    daily; safe to run again (one report per department and period)."""
    from workers.calendar_jobs import launch_reports

    rt = Runtime.build(Settings.from_env())
    try:
        result = launch_reports(rt, clock.now(), period_day.date() if period_day is not None else None)
    finally:
        rt.close()
    periods = ", ".join(f"{level} {label}" for level, label in result.periods.items()) or "none"
    click.echo(f"period(s) {periods}: {len(result.started)} report(s) started, {len(result.resumed)} resumed, "
               f"{len(result.failed)} failed" + "".join(f"; {level}: {why}" for level, why in result.skipped.items()))
    for department_id, why in result.failed.items():
        click.echo(f"  {department_id}: {why}", err=True)
    sys.exit(1 if result.failed else 0)
