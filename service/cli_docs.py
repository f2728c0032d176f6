"""`jixiao docs deadlines`: regenerate (or check) the deadline catalogue in docs/CYCLE.md from the models."""

from __future__ import annotations

import inspect
from pathlib import Path

import click

from service.bpm import deadline_catalogue as catalogue
from service.config import ROOT

DOC = ROOT / "docs" / "CYCLE.md"
RULES = ROOT / "seeds" / "rules.json"


def handler_sources(topics: set[str]) -> dict[str, tuple[str, str]]:
    """Source of each topic's registered task handler and of its module (for `deadline_via` checks)."""
    from workers.handlers import NoHandler, lookup

    found = {}
    for topic in topics:
        try:
            fn = lookup(topic)
        except NoHandler:  # reported by catalogue.check
            continue
        module = inspect.getmodule(fn)
        found[topic] = (inspect.getsource(fn), inspect.getsource(module) if module else "")
    return found


def build(workflows_dir: Path, forms_dir: Path, rules_file: Path = RULES) -> tuple[str, list[str]]:
    """The catalogue table and the problems found in the models (none when they agree)."""
    entries = catalogue.read(workflows_dir, forms_dir)
    values = catalogue.rule_defaults(rules_file)
    topics = {t for e in entries for t in e.via}
    return catalogue.markdown(entries, values), catalogue.check(entries, set(values), handler_sources(topics))


@click.group()
def docs() -> None:
    """Documentation generated from the models."""


@docs.command("deadlines")
@click.option("--check", "check_only", is_flag=True, help="fail if docs/CYCLE.md is out of date, change nothing")
@click.option("--workflows", "workflows_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=ROOT / "workflows", show_default=True)
@click.option("--forms", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=ROOT / "forms", show_default=True)
def docs_deadlines(check_only: bool, workflows_dir: Path, forms_dir: Path) -> None:
    """Write the deadline catalogue (every user task's due date, reminders and escalation) into docs/CYCLE.md."""
    table, problems = build(workflows_dir, forms_dir)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    current = DOC.read_text(encoding="utf-8")
    if check_only:
        if table not in current:
            raise click.ClickException("docs/CYCLE.md's deadline catalogue is out of date: run `jixiao docs deadlines`")
    elif catalogue.rewrite(DOC, table):
        click.echo("docs/CYCLE.md: deadline catalogue rewritten")
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the models' deadlines")
