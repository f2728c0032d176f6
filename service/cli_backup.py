"""`jixiao backup` and `jixiao restore` (service/backup.py does the work)."""

from __future__ import annotations

from pathlib import Path

import click

from service.config import Settings


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Write one archive of the database and the attachments to PATH (safe while the service runs)."""
    from service.backup import BackupError, backup

    try:
        manifest = backup(Settings.from_env(), path)
    except BackupError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"backup written to {manifest['path']}: {manifest['database']} at revision "
               f"{manifest['alembic_revision']}, {len(manifest['files']) - 1} attachment file(s)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database and attachments directory that are not empty")
def restore_command(path: Path, force: bool) -> None:
    """Restore an archive made by `jixiao backup` into DATABASE_URL and JIXIAO_ATTACHMENTS_DIR."""
    from service.backup import BackupError, restore

    try:
        manifest = restore(Settings.from_env(), path, force=force)
    except BackupError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"restored the backup of {manifest['created_at']} (revision {manifest['alembic_revision']}, "
               f"{len(manifest['files']) - 1} attachment file(s)) and upgraded its schema to this code's; "
               "check it with `jixiao audit verify --all`")


COMMANDS = [backup_command, restore_command]
