"""`jixiao simulate`: a whole fiscal year of a synthetic province through the real command path (service/simulate)."""

from __future__ import annotations

import os
import signal
import sys

import click

from service.config import Settings


@click.command("simulate")
@click.option("--departments", type=click.IntRange(1, 100_000), required=True, help="first-level departments")
@click.option("--projects", type=click.IntRange(1, 10_000_000), required=True, help="projects of the fiscal year")
@click.option("--web-processes", type=click.IntRange(1, 64), default=None,
              help="gunicorn worker processes (default: one per core)")
@click.option("--worker-processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="`jixiao worker` processes")
@click.option("--clients", type=click.IntRange(1, 256), default=None,
              help="client threads sending the people's answers (default: 2 per web process)")
@click.option("--database-url", default=None, help="a fresh database (default: DATABASE_URL)")
@click.option("--no-progress", is_flag=True, help="no progress bar")
def simulate(departments: int, projects: int, web_processes: int | None, worker_processes: int, clients: int | None,
             database_url: str | None, no_progress: bool) -> None:
    """Drive one fiscal year of a synthetic province through the real command path on a moved clock, with
    gunicorn and `jixiao worker` processes as in production, and print a summary."""
    from service.errors import JixiaoError
    from service.simulate.run import simulate as run

    web = web_processes or os.cpu_count() or 1
    # a TERM (as well as Ctrl-C) stops the simulation's gunicorn and workers before the command exits
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        summary = run(database_url or Settings.from_env().database_url, departments, projects, web,
                      worker_processes, clients or 2 * web, echo=click.echo, progress=not no_progress)
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    for line in summary.lines():
        click.echo(line)
