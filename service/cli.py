"""The `jixiao` command."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from service import clock
from service.config import Settings
from service.runtime import Runtime


def _runtime() -> Runtime:
    return Runtime.build(Settings.from_env())


@click.group()
def main() -> None:
    """Jixiao 绩效: budget performance management on BPMN workflows."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations."""
    from service.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url, revision=revision)
    click.echo(f"database at {revision}: {settings.database_url.split('@')[-1]}")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def deploy(directory: Path) -> None:
    """Deploy every .bpmn/.dmn/form file of DIRECTORY as one version."""
    from service.engine.deploy import deploy as do_deploy
    from service.engine.deploy import read_dir
    from service.errors import InvalidModel

    rt = _runtime()
    try:
        result = do_deploy(rt.engine, rt.specs, read_dir(directory), rt.settings, actor="cli")
    except InvalidModel as exc:
        click.echo(f"error: {exc.detail}", err=True)
        for e in exc.errors:
            where = f"{e['file']}:{e['line']}" if e.get("line") else e["file"]
            click.echo(f"  {where} [{e.get('element_id') or '-'}] {e['message']}", err=True)
        sys.exit(1)
    state = "deployed" if result.created else "unchanged (identical files already deployed)"
    click.echo(f"version {result.version[:12]} {state}: {', '.join(p['process_id'] for p in result.processes)}")


@main.group()
def timers() -> None:
    """BPMN timers."""


@timers.command("fire")
@click.option("--at", "at", default=None, help="fire as of this ISO-8601 time (default: now)")
def timers_fire(at: str | None) -> None:
    """Fire every due timer once and exit."""
    from workers.timers import fire_due

    now = clock.now()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            click.echo(f"error: --at {at!r} is not an ISO-8601 time", err=True)
            sys.exit(2)
        if now.tzinfo is None:
            now = now.replace(tzinfo=clock.UTC)
    result = fire_due(_runtime().workflows, now)
    click.echo(f"fired {len(result.fired)}, conflicts {len(result.conflicts)}, failed {len(result.failed)}")
    for iid, why in result.failed.items():
        click.echo(f"  {iid}: {why}", err=True)
    sys.exit(1 if result.failed else 0)


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app and API with Flask's server (use gunicorn in production)."""
    from service import create_app

    settings = Settings.from_env()
    app = create_app(settings)
    app.run(host=host or settings.host, port=port or settings.port, threaded=True)


if __name__ == "__main__":
    main()
