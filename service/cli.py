"""The `jixiao` command."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from service import clock, create_app, logging_setup
from service.config import ROOT, ConfigError, Settings
from service.domain.roles import ADMINISTRATOR
from service.errors import InvalidModel, JixiaoError
from service.runtime import Runtime
from service.secret_key import session_key


def _runtime() -> Runtime:
    return Runtime.build(Settings.from_env())


@click.group()
def main() -> None:
    """Jixiao 绩效: budget performance management on BPMN workflows."""

    # Every command may run the engine (seed --demo, timers fire, cycle launch): its per-task INFO lines stay
    # off the console unless JIXIAO_ENGINE_LOG asks for them.
    try:
        logging_setup.quiet_engine()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


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
    from service.bpm.deploy import deploy as do_deploy
    from service.bpm.deploy import read_dir

    rt = _runtime()
    try:
        with rt.unit_of_work() as conn:
            result = do_deploy(conn, rt.specs, read_dir(directory), rt.settings, actor="cli")
    except InvalidModel as exc:
        click.echo(f"error: {exc.detail}", err=True)
        for e in exc.errors:
            where = f"{e['file']}:{e['line']}" if e.get("line") else e["file"]
            click.echo(f"  {where} [{e.get('element_id') or '-'}] {e['message']}", err=True)
        sys.exit(1)
    state = "deployed" if result.created else "unchanged (identical files already deployed)"
    click.echo(f"version {result.version[:12]} {state}: {', '.join(str(p['process_id']) for p in result.processes)}")


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


@main.group()
def users() -> None:
    """People: administrators and users."""


@users.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default=None)
def users_create_admin(username: str, password: str, display_name: str | None) -> None:
    """Create an administrator."""
    from service.people.directory import create_user

    rt = _runtime()
    try:
        with rt.unit_of_work() as conn:
            create_user(conn, "cli", username=username, display_name=display_name or username, password=password,
                        roles=[ADMINISTRATOR])
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"administrator {username} created")


@users.command("add")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default=None)
@click.option("--department", "department_id", default=None)
@click.option("--role", "roles", multiple=True, help="repeatable")
def users_add(username: str, password: str, display_name: str | None, department_id: str | None,
              roles: tuple[str, ...]) -> None:
    """Create a user with roles."""
    from service.people.directory import create_user

    try:
        with _runtime().unit_of_work() as conn:
            create_user(conn, "cli", username=username, display_name=display_name or username,
                        password=password, roles=list(roles), department_id=department_id)
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"user {username} created")


@users.command("list")
def users_list() -> None:
    """List users with their department and roles."""
    from service.people.directory import list_users

    with _runtime().reading() as conn:
        found = list_users(conn, 1, 10_000)["items"]
    for u in found:
        state = "" if u["active"] else " (disabled)"
        click.echo(f"{u['username']:<20} {u['department_id'] or '-':<12} {','.join(u['roles'])}{state}")


@main.command()
@click.option("--org", "org", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="an organisation file (departments, users); default seeds/organisation.json")
@click.option("--demo", is_flag=True, help="also build the demo municipality (accounts, projects, live instances)")
@click.option("--demo-size", type=click.IntRange(13, 1000), default=None,
              help="projects per fiscal year in the demo (default: all, about 144)")
@click.option("--demo-processes", type=click.IntRange(1, 16), default=None,
              help="processes that drive the demo side by side (default: 1 on SQLite, else one per core, at most 2)")
def seed(org: Path | None, demo: bool, demo_size: int | None, demo_processes: int | None) -> None:
    """Load the organisation and reference data (rules, calendar, libraries); with --demo, the demo municipality.

    Safe to run again: the demo is built once, later runs only print its accounts."""
    from service.demo.reference import seed_reference
    from service.people.directory import load_seed

    rt = _runtime()
    try:
        with rt.unit_of_work() as conn:
            counts = load_seed(conn, org or ROOT / "seeds" / "organisation.json")
        click.echo(f"organisation: {counts['departments']} department(s) added or changed, {counts['users']} user(s)")
        ref = seed_reference(rt.engine, ROOT, clock.now())
        click.echo("reference data: " + ", ".join(f"{n} {k}" for k, n in ref.items()))
        if demo:
            from service.demo.build import build_demo
            from service.demo.progress import PROGRESS_FILE, Progress

            # On SQLite a batch of the demo's driver (an answer and its jobs) holds the write lock throughout, so a
            # second driving process only waits for it: 47.1 s against 45.0 s for the whole demo (2026-12-06).
            processes = demo_processes or (1 if rt.engine.dialect.name == "sqlite" else min(2, os.cpu_count() or 1))
            build_demo(rt, ROOT, echo=click.echo, per_year=demo_size,
                       progress=Progress(PROGRESS_FILE, sys.stdout), processes=processes)
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None


@main.group()
def audit() -> None:
    """The audit log: verify, export, import."""


@audit.command("verify")
@click.option("--all", "all_", is_flag=True, help="every instance (and the global chain)")
@click.option("--processes", "--jobs", "jobs", type=click.IntRange(1, 64), default=None,
              help="processes that check instances side by side (default: one per core); same findings")
@click.option("--full", is_flag=True,
              help="replay every history from its start, ignoring verify's checkpoints, and write none")
@click.argument("instance_ids", nargs=-1)
def audit_verify(all_: bool, jobs: int | None, full: bool, instance_ids: tuple[str, ...]) -> None:
    """Check hash chains, replay histories and compare them with the stored state and every derived row (tasks,
    candidates, timers, message waits, escalations, jobs); exit 1 on any finding. A history verified clean is
    checkpointed (signed with the secret key): the next run checks its chain and replays only the events since."""
    from service.bpm.verify import default_jobs, verify

    if not all_ and not instance_ids:
        raise click.UsageError("name instance ids or use --all")
    rt = _runtime()
    started = clock.monotonic()
    jobs = jobs or default_jobs()
    try:
        report = verify(rt.engine, rt.specs, rt.settings, None if all_ else list(instance_ids), jobs=jobs, full=full)
    except ConfigError as exc:  # no secret key to sign checkpoints with
        raise click.ClickException(f"{exc} (or verify with --full, which needs no key)") from None
    seconds = clock.monotonic() - started
    for finding in report.findings:
        click.echo(f"MISMATCH {finding}", err=True)
    rate = f", {report.checked / seconds:.0f} instances/s" if seconds > 0 and report.checked else ""
    verdict = "all histories and their derived rows reproduce" if report.ok else f"{len(report.findings)} finding(s)"
    resumed = ("every history replayed from its start" if full else
               f"{report.from_checkpoint} from a checkpoint, {report.checkpoints_written} checkpoint(s) written")
    click.echo(f"verified {report.checked} instance(s) and the global chain in {seconds:.2f} s{rate} "
               f"({jobs} process{'es' if jobs > 1 else ''}): {verdict}; {resumed}")
    sys.exit(0 if report.ok else 1)


def _parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time", param_hint=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.UTC)


@audit.command("export")
@click.option("--instance", "instances", multiple=True, help="repeatable; default: every instance")
@click.option("--since", default=None, help="events at or after this ISO-8601 time")
@click.option("--until", default=None, help="events before this ISO-8601 time")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="default: stdout")
def audit_export(instances: tuple[str, ...], since: str | None, until: str | None, fmt: str,
                 output: Path | None) -> None:
    """Export histories as JSON Lines (re-importable, verifiable) or CSV (events only)."""
    from service.bpm.archive import export_csv, export_jsonl

    rt = _runtime()
    writer = export_jsonl if fmt == "jsonl" else export_csv
    args = (list(instances) or None, _parse_time(since, "--since"), _parse_time(until, "--until"))
    with rt.reading() as conn:
        if output is None:
            count = writer(conn, sys.stdout, *args)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = writer(conn, out, *args)
    click.echo(f"exported {count} event(s)", err=True)


@audit.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def audit_import(path: Path) -> None:
    """Load a JSON Lines export into this database (for verification elsewhere); all or nothing."""
    from service.bpm.archive import import_jsonl

    try:
        with path.open(encoding="utf-8") as lines, _runtime().unit_of_work() as conn:
            counts = import_jsonl(conn, lines)
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(", ".join(f"{n} {kind}(s)" for kind, n in counts.items()) + " imported")


@main.command()
def worker() -> None:
    """Run the worker process: fires due timers and runs background jobs, every WORKER_POLL_SECONDS."""
    from workers.runner import serve

    serve(_runtime())


@main.group()
def incidents() -> None:
    """Jobs whose retries ran out."""


@incidents.command("list")
def incidents_list() -> None:
    """List incidents with their last error."""
    from service.bpm.incidents import list_jobs

    with _runtime().reading() as conn:
        found = list_jobs(conn, page=1, per_page=1000, status="failed")
    for job in found["items"]:
        click.echo(f"{job['id']:>6} {job['topic'] or job['kind']:<24} {job['instance_id']}  {job['last_error']}")
    click.echo(f"{found['total']} incident(s)")


@incidents.command("retry")
@click.argument("job_id", type=int)
def incidents_retry(job_id: int) -> None:
    """Retry an incident once more."""
    from service.bpm.incidents import retry

    try:
        with _runtime().unit_of_work() as conn:
            retry(conn, job_id, "cli")
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"incident {job_id} queued again")


@main.group()
def notifications() -> None:
    """The mail outbox; failed mails are incidents."""


@notifications.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), default="failed", show_default=True)
def notifications_list(status: str) -> None:
    """List notifications (by default the failed ones) with their last error."""
    from service.notifications.outbox import list_notifications

    with _runtime().reading() as conn:
        found = list_notifications(conn, per_page=1000, status=status)
    for n in found["items"]:
        click.echo(f"{n['id']:>6} {n['kind']:<16} {n['email']:<30} {n['subject']}  {n['last_error'] or ''}")
    click.echo(f"{found['total']} {status} notification(s)")


@notifications.command("retry")
@click.argument("notification_id", type=int)
def notifications_retry(notification_id: int) -> None:
    """Try a failed notification once more."""
    from service.notifications.outbox import retry

    try:
        with _runtime().unit_of_work() as conn:
            retry(conn, notification_id, "cli")
    except JixiaoError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"notification {notification_id} queued again")


@main.command()
@click.option("--host", default=None, help="default: HOST (127.0.0.1)")
@click.option("--port", type=int, default=None, help="default: PORT (5000)")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="gunicorn worker processes (default: WEB_CONCURRENCY or one per core)")
@click.option("--threads", type=click.IntRange(1), default=None,
              help="threads per worker (default: JIXIAO_WEB_THREADS or 4)")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger, instead of gunicorn")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None, debug: bool) -> None:
    """Serve the web app and API with gunicorn (service/gunicorn_conf.py), as in production."""

    try:
        settings = Settings.from_env()
        session_key(settings)  # production without SECRET_KEY: one clear line, not a traceback per worker
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    host, port = host or settings.host, port or settings.port
    if debug:
        from service.server_banner import QuietRequestHandler

        click.echo(f"jixiao: Flask's development server (--debug) on http://{host}:{port} - "
                   "never in production", err=True)
        create_app(settings).run(host=host, port=port, threaded=True, debug=True, use_reloader=False,
                                 request_handler=QuietRequestHandler)
        return
    from service.web_server import WebServer

    overrides: dict[str, object] = {"bind": [f"{host}:{port}"]}
    if workers:
        overrides["workers"] = workers
    if threads:
        overrides["threads"] = threads
    WebServer(overrides).run()


from service.cli_reports import COMMANDS as _REPORT_COMMANDS  # noqa: E402  (report, rules, calendar)

for _command in _REPORT_COMMANDS:
    main.add_command(_command)

from service.cli_cycle import cycle as _cycle  # noqa: E402  (cycle launch)

main.add_command(_cycle)

from service.cli_backup import COMMANDS as _BACKUP_COMMANDS  # noqa: E402  (backup, restore)

for _backup_command in _BACKUP_COMMANDS:
    main.add_command(_backup_command)

from service.cli_docs import docs as _docs  # noqa: E402  (docs deadlines)

main.add_command(_docs)

from service.cli_simulate import simulate as _simulate  # noqa: E402  (simulate)

main.add_command(_simulate)

from service.cli_audit import audit_nightly as _audit_nightly  # noqa: E402  (audit nightly)

audit.add_command(_audit_nightly)


if __name__ == "__main__":
    main()
