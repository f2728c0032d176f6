"""`jixiao report`, `jixiao rules`, `jixiao calendar`, `jixiao scorecard` and `jixiao pilots`: the coverage and
scorecard reports, rule rows, the holiday calendar, the comprehensive evaluation and the whole-department pilots."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from service import clock, db
from service.config import ROOT, Settings
from service.errors import JixiaoError
from service.rules import admin, store
from service.runtime import Runtime

CLI_ACTOR = "cli"
_YEAR = click.IntRange(2000, 2100)


def _runtime() -> Runtime:
    return Runtime.build(Settings.from_env())


def _fail(exc: JixiaoError) -> click.ClickException:
    """A domain error as a message and exit status 1 (click answers usage errors with 2)."""
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in exc.errors)
    return click.ClickException(exc.detail + (f" ({fields})" if fields else ""))


def _json_default(value: Any) -> Any:

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.2f} %"


# --- report ---------------------------------------------------------------------------------------------
@click.group()
def report() -> None:
    """Bureau reports."""


@report.command("coverage")
@click.option("--year", type=_YEAR, required=True, help="fiscal year")
@click.option("--level", type=click.Choice(["municipal", "district"]), required=True)
@click.option("--json", "as_json", is_flag=True, help="the whole report, with projects and departments, as JSON")
def report_coverage(year: int, level: str, as_json: bool) -> None:
    """Coverage of the plan's targets: measure, actual, target, met."""
    from service.domain.coverage_rules import NOT_ENTERED, as_dict
    from service.queries.coverage_queries import coverage_report

    try:
        with _runtime().reading() as conn:
            result = coverage_report(conn, year, level, lines=as_json)  # the text shows the measures' numbers only
    except JixiaoError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(as_dict(result), ensure_ascii=False, indent=2, default=_json_default))
        return
    click.echo(f"coverage {year} {level} (evaluations counted: {', '.join(result.evaluated_kinds)})")
    click.echo(f"{'measure':<36} {'actual':>10} {'target':>10}  met")
    for m in result.measures:
        met = m.direction or ("—" if m.met is None else ("yes" if m.met else "NO"))
        ratio = (f"{m.numerator:,.2f} / {m.denominator:,.2f} CNY" if m.unit == "CNY"
                 else f"{m.numerator:.0f} / {m.denominator:.0f} departments")
        if m.status == NOT_ENTERED:
            ratio = f"{m.numerator:,.2f} CNY / the {m.figure_year} figures are not entered"
        elif m.previous_actual is not None:
            ratio += f" (year before {_pct(m.previous_actual)})"
        click.echo(f"{m.key:<36} {_pct(m.actual):>10} {_pct(m.target):>10}  {met:<4} {ratio}  {m.label}")



@report.command("scorecard")
@click.option("--year", type=_YEAR, required=True, help="fiscal year")
@click.option("--level", type=click.Choice(["municipal", "district"]), required=True)
@click.option("--json", "as_json", is_flag=True, help="the whole table, with indicators and dimensions, as JSON")
@click.option("--csv", "as_csv", is_flag=True, help="the table as CSV")
def report_scorecard(year: int, level: str, as_json: bool, as_csv: bool) -> None:
    """The comprehensive evaluation's ranked table: rank, total, grade, dimensions, trend."""
    from service.domain.scorecard_rules import DIMENSIONS, INDICATORS_KEY
    from service.queries import scorecard_queries

    if as_json and as_csv:
        raise click.UsageError("choose --json or --csv")
    try:
        with _runtime().reading() as conn:
            result = scorecard_queries.scorecard_report(conn, year, level, clock.now())
    except JixiaoError as exc:
        raise _fail(exc) from None
    if as_json:
        click.echo(json.dumps(scorecard_queries.report_dict(result), ensure_ascii=False, indent=2,
                              default=_json_default))
        return
    if as_csv:
        click.echo(scorecard_queries.csv_text(result).lstrip("\ufeff"), nl=False)
        return
    click.echo(f"scorecard {year} {level} (rule {INDICATORS_KEY} of {result.rule_year})")
    click.echo(f"{'rank':>4} {'department':<14} {'total':>7} {'grade':<5} "
               + " ".join(f"{code:>10}" for code in DIMENSIONS) + f" {'trend':>14}  status")
    for c in result.cards:
        dims = {d.code: d.points for d in c.dimensions}
        trend = "—" if c.previous_total is None else (
            f"{c.delta:+.2f} (#{c.previous_rank})" if c.delta is not None
            else f"{c.previous_total:.2f} (#{c.previous_rank})")
        click.echo(f"{c.rank or '—':>4} {c.department_id:<14} {_num(c.total):>7} {c.grade or '—':<5} "
                   + " ".join(f"{_num(dims.get(code)):>10}" for code in DIMENSIONS) + f" {trend:>14}  {c.status}"
                   + f"  {c.name}")


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}"


# --- scorecard, pilots ----------------------------------------------------------------------------------
@click.group()
def scorecard() -> None:
    """The comprehensive evaluation of departments' performance management (综合评价)."""


@scorecard.command("launch")
@click.option("--year", type=_YEAR, required=True, help="fiscal year evaluated")
@click.option("--level", type=click.Choice(["municipal", "district"]), required=True)
def scorecard_launch(year: int, level: str) -> None:
    """Send the evaluation notice: start comprehensive_evaluation for each department that has none yet."""
    from service.scorecard.scorecard_launch import start_evaluations

    rt = _runtime()
    try:
        with rt.unit_of_work() as conn:
            done = start_evaluations(conn, rt.workflows, year, level, clock.now())
    except JixiaoError as exc:
        raise _fail(exc) from None
    finally:
        rt.close()
    click.echo(f"{year} {level}: {len(done.started)} evaluation(s) started, {len(done.existing)} already under way")


@click.group()
def pilots() -> None:
    """Whole-department evaluation pilots (部门整体支出绩效评价试点)."""


@pilots.command("select")
@click.option("--year", type=_YEAR, required=True,
              help="the year whose coverage target the pilots meet (they evaluate the spending of year − 1)")
@click.option("--level", type=click.Choice(["municipal", "district"]), default="municipal", show_default=True)
def pilots_select(year: int, level: str) -> None:
    """Choose the pilots (never below rule coverage.whole_department_evaluation_share), create their
    whole-department items and start department_pilot for each; safe to run again."""
    from service.scorecard.pilots_launch import select_pilots

    rt = _runtime()
    try:
        with rt.unit_of_work() as conn:
            result = select_pilots(conn, rt.workflows, year, level, clock.now())
    except JixiaoError as exc:
        raise _fail(exc) from None
    finally:
        rt.close()
    click.echo(f"pilots {year} {level}: {len(result['pilots'])} of {result['departments']} department(s), "
               f"target {result['target']} ({result['share']} %), spending of {result['spending_year']}")
    for p in result["pilots"]:
        click.echo(f"  {p['department_id']:<14} {p['reason']:<9} {p['action']:<16} {p['project_id']:<28} "
                   f"{float(p['spending']):>16,.2f}  {p.get('error') or ''}".rstrip())
    if result["shortfall"]:
        click.echo(f"{result['shortfall']} pilot(s) short of the target: too few active departments", err=True)
    if any(p["action"] in ("failed", "busy") for p in result["pilots"]):
        raise SystemExit(1)

# --- rules ----------------------------------------------------------------------------------------------
@click.group()
def rules() -> None:
    """Rule rows: thresholds, weights, deadlines and targets, each citing its source."""


@rules.command("list")
@click.option("--year", type=_YEAR, default=None, help="only the rows in force in this fiscal year")
def rules_list(year: int | None) -> None:
    """List rule rows (all, or those in force in a year)."""

    with _runtime().reading() as conn:
        rows = admin.list_rules(conn, year)
    for r in rows:
        levels = ",".join(r["applies_to"]) if "applies_to" in r else r["level"]
        value = json.dumps(r["value"], ensure_ascii=False)
        click.echo(f"{r['fiscal_year']} {levels:<18} {r['key']:<40} {value}  [{r['source']}]")
    click.echo(f"{len(rows)} rule row(s)")


@rules.command("set")
@click.argument("year", type=_YEAR)
@click.argument("level", type=click.Choice(["municipal", "district", "*"]))
@click.argument("key")
@click.argument("value_json")
@click.option("--source", required=True, help="the plan's article or the local practice behind the value")
def rules_set(year: int, level: str, key: str, value_json: str, source: str) -> None:
    """Set one rule row (VALUE_JSON is JSON: 10, "P10D", [5, 1], {"a": 1}, null); audited."""

    try:
        value = json.loads(value_json)
    except ValueError:
        raise click.BadParameter(f"{value_json!r} is not JSON (quote strings: '\"text\"')",
                                 param_hint="VALUE_JSON") from None
    try:
        with _runtime().unit_of_work() as conn:
            row = admin.change_rule(conn, CLI_ACTOR, clock.now(), fiscal_year=year, level=level, key=key,
                                    value=value, source=source)
    except JixiaoError as exc:
        raise _fail(exc) from None
    click.echo(f"{row['key']} ({row['fiscal_year']}, {row['level']}) = {json.dumps(row['value'], ensure_ascii=False)}")


@rules.command("seed")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="default: seeds/rules.json")
def rules_seed(path: Path | None) -> None:
    """Load the default rule rows and fiscal years; rows that exist (maybe changed by administrators) stay."""

    with db.write(_runtime().engine) as conn:
        count = store.seed_rules(conn, path or ROOT / "seeds" / "rules.json", CLI_ACTOR, clock.now())
    click.echo(f"{count} rule row(s) added")


# --- calendar -------------------------------------------------------------------------------------------
@click.group()
def calendar() -> None:
    """The working-day calendar: official holidays and adjusted working days."""


@calendar.command("seed")
@click.option("--from", "first", type=_YEAR, required=True)
@click.option("--to", "last", type=_YEAR, required=True)
def calendar_seed(first: int, last: int) -> None:
    """Load the State Council's holidays and adjusted working days; administrators' own days stay."""

    if last < first:
        raise click.BadParameter("--to must not be before --from", param_hint="--to")
    with db.write(_runtime().engine) as conn:
        count = store.seed_calendar(conn, first, last)
    click.echo(f"{count} day(s) seeded for {first}–{last}")


@calendar.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["holiday", "workday", "plain"]))
@click.option("--name", default=None, help="e.g. 春节 Spring Festival")
@click.option("--source", required=True, help="the notice behind the change")
def calendar_set(day: Any, kind: str, name: str | None, source: str) -> None:
    """Mark DAY (YYYY-MM-DD) a holiday, a working day, or plain (the Monday–Friday week); audited."""

    try:
        with _runtime().unit_of_work() as conn:
            row = admin.change_day(conn, CLI_ACTOR, clock.now(), day.date(),
                                   None if kind == "plain" else kind, name, source)
    except JixiaoError as exc:
        raise _fail(exc) from None
    click.echo(f"{row['date']}: {row['kind'] or 'plain'} {row['name'] or ''}".rstrip())


@calendar.command("list")
@click.option("--year", type=_YEAR, required=True)
def calendar_list(year: int) -> None:
    """The year's exception days and its number of working days."""

    with _runtime().reading() as conn:
        cal = admin.year_calendar(conn, year)
    for d in cal["items"]:
        click.echo(f"{d['date']} {d['date']:%a} {d['kind'] or 'plain':<8} {d['name'] or ''}")
    click.echo(f"{cal['working_days']} working day(s) in {year}")


COMMANDS = (report, rules, calendar, scorecard, pilots)


@report.command("agency-bulletin")
@click.option("--year", type=_YEAR, required=True, help="year of the bulletin")
@click.option("--period", type=click.IntRange(1, 12), required=True,
              help="period within the year (rule agency.bulletin_months: 6 → 1 = January–June, 2 = July–December)")
def report_agency_bulletin(year: int, period: int) -> None:
    """Publish the bulletin (通报) of agencies' report quality for a period that is over; a published one is
    printed as it was published."""
    from service.libraries import bulletin_publishing

    rt = _runtime()
    try:
        with db.write(rt.engine) as conn:
            published = bulletin_publishing.publish(conn, year=year, period=period, now=clock.now(), by=CLI_ACTOR)
    except JixiaoError as exc:
        raise _fail(exc) from exc
    click.echo(f"{published['year']} period {published['period']} ({published['starts_on']} – "
               f"{published['ends_on']}), published {clock.to_local(published['published_at']).isoformat()}")
    for entry in published["entries"]:
        click.echo(f"{entry['rank']:>3}  {entry['mean_score']:>6.2f}  {entry['agency_name']}  "
                   f"({len(entry['reports'])} reports)")
