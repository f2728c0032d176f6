"""Backups and restores: a consistent copy of the database and the attachments in one archive.

The archive is a plain tar (the dump is compressed, evidence files mostly are):

    manifest.json      format and version, created_at (the clock), database kind, Alembic revision, and the
                       SHA-256 and size of every other member
    database.sqlite3   SQLite's online backup (consistent while the service writes), or
    database.pgdump    `pg_dump --format=custom` (one snapshot transaction)
    attachments/…      the content-addressed evidence files, in their storage layout

The database is copied before the attachments: an upload stores its file before its row is written
(service/bpm/evidence_commands.py) and files are never removed, so every row in the copy finds its file.
A restore checks everything first — the manifest, every member's hash, the schema revision against the code's
migrations, the tools, and that the target database and attachments directory are empty (unless forced) — and
only then writes; a refused restore changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from service import clock
from service.config import Settings
from service.db import make_engine, normalize_url
from service.errors import JixiaoError
from service.migrate import alembic_config, upgrade

FORMAT = "jixiao-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1024 * 1024


class BackupError(JixiaoError):
    """A backup could not be written, or an archive cannot be restored here (nothing was changed)."""

    kind, title = "backup", "Backup or restore refused"


def database_kind(url: str) -> str:
    """"sqlite" or "postgresql" (BackupError for anything else)."""
    name = make_url(normalize_url(url)).get_backend_name()
    if name not in _DUMPS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


# --- backup ----------------------------------------------------------------------------------------------

def backup(settings: Settings, path: Path) -> dict[str, Any]:
    """Write the archive to `path` (a new file, or a new file named by the time inside a directory)."""
    if path.is_dir():
        path = path / f"jixiao-{clock.now().strftime('%Y%m%dT%H%M%SZ')}.tar"
    if path.exists():
        raise BackupError(f"{path} exists already; name a new file")
    if not path.parent.is_dir():
        raise BackupError(f"there is no directory {path.parent}")
    kind = database_kind(settings.database_url)
    # Staged beside the archive: that disk has room for the copy, where a small /tmp may not.
    with tempfile.TemporaryDirectory(prefix=".jixiao-backup-", dir=path.parent) as tmp:
        staging = Path(tmp)
        dump = staging / _DUMPS[kind]
        if kind == "sqlite":
            revision = _sqlite_backup(_sqlite_file(settings.database_url), dump)
            tools: dict[str, int] = {}
        else:
            revision, tools = _pg_dump(settings.database_url, dump)
        manifest: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                                    "created_at": clock.now().isoformat(), "database": kind,
                                    "alembic_revision": revision, **tools, "files": {}}
        partial = path.with_name(path.name + ".partial")
        try:
            with tarfile.open(partial, "w") as archive:
                _add(archive, manifest, dump, dump.name)
                root = Path(settings.attachments_dir)
                for file in sorted(root.rglob("*")) if root.is_dir() else []:
                    if file.is_file() and not file.name.startswith(".upload-"):  # a half-written upload
                        _add(archive, manifest, file, f"attachments/{file.relative_to(root).as_posix()}")
                body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(body), int(clock.now().timestamp())
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    manifest["path"] = str(path)
    return manifest


def _add(archive: tarfile.TarFile, manifest: dict[str, Any], file: Path, name: str) -> None:
    """Add one file (streamed: a dump may be large), recording its hash and size."""
    digest, size = hashlib.sha256(), 0
    with file.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    manifest["files"][name] = {"sha256": digest.hexdigest(), "size": size}
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(file.stat().st_mtime), 0o600
    with file.open("rb") as stream:  # unchanged since hashed: a staged dump, or a content-addressed file
        archive.addfile(info, stream)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> str | None:
    """SQLite's online backup API: one consistent snapshot, readers and writers carry on meanwhile."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _sqlite_revision(dst)


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _pg_dump(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    server = _pg_server_major(url)
    tool = _pg_tool("pg_dump", server)
    with _engine(url) as engine, engine.connect() as conn:
        revision = _revision(conn)
    _run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", *_pg_target(url)], url)
    return revision, {"pg_dump_major": _tool_major(tool), "server_major": server}


# --- restore ---------------------------------------------------------------------------------------------

def restore(settings: Settings, path: Path, force: bool = False) -> dict[str, Any]:
    """Restore an archive into the configured database and attachments directory, then upgrade the schema."""
    kind = database_kind(settings.database_url)
    with tempfile.TemporaryDirectory(prefix="jixiao-restore-") as tmp:
        staging = Path(tmp)
        manifest = _unpack(path, staging)
        if manifest["database"] != kind:
            raise BackupError(f"the archive holds a {manifest['database']} database; DATABASE_URL names {kind}")
        revision = manifest.get("alembic_revision")
        _check_revision(settings.database_url, revision)
        attachments = Path(settings.attachments_dir)
        if not force:
            if not _database_empty(settings.database_url):
                raise BackupError("the target database is not empty; restore into a new one, or use --force to "
                                  "replace its contents")
            if attachments.is_dir() and any(p.is_file() for p in attachments.rglob("*")):
                raise BackupError(f"the attachments directory {attachments} is not empty; use --force to restore "
                                  "into it")
        dump = staging / _DUMPS[kind]
        if kind == "sqlite":
            _sqlite_restore(dump, _sqlite_file(settings.database_url))
        else:
            tool = _pg_tool("pg_restore", _pg_server_major(settings.database_url),
                            needed=int(manifest.get("pg_dump_major") or 0))
            _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", f"--dbname={_pg_dsn(settings.database_url)}", str(dump)],
                 settings.database_url)
        for name in manifest["files"]:
            if name.startswith("attachments/"):
                _place(staging / name, attachments / name.removeprefix("attachments/"))
    if revision is not None:
        upgrade(settings.database_url)
    return manifest


def _unpack(path: Path, staging: Path) -> dict[str, Any]:
    """Extract into `staging` every member the manifest lists, each checked against its hash; BackupError for a
    file that is not such an archive, is damaged, or holds anything unlisted."""
    try:
        with tarfile.open(path, "r:") as archive:
            members = archive.getmembers()
            names = [m.name for m in members]
            if MANIFEST not in names:
                raise BackupError(f"{path} is not a Jixiao backup (no {MANIFEST})")
            manifest = _manifest(archive.extractfile(MANIFEST), path)
            files = manifest["files"]
            if sorted(set(names) - {MANIFEST}) != sorted(files) or len(names) != len(set(names)):
                raise BackupError(f"{path} is damaged: its members differ from its manifest")
            for member in members:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe(member.name):
                    raise BackupError(f"{path} holds an unsafe member {member.name!r}")
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with archive.extractfile(member) as stream, target.open("wb") as out:  # type: ignore[union-attr]
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if (digest.hexdigest(), size) != (files[member.name]["sha256"], files[member.name]["size"]):
                    raise BackupError(f"{path} is damaged: {member.name} does not match its recorded SHA-256")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{path} is not a readable backup archive ({exc.__class__.__name__})") from None
    return manifest


def _manifest(stream: Any, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(stream.read())
    except (ValueError, AttributeError):
        raise BackupError(f"{path}: its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Jixiao backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is a backup of format {manifest.get('format_version')}; this version reads "
                          f"format {FORMAT_VERSION}")
    files = manifest.get("files")
    if manifest.get("database") not in _DUMPS or not isinstance(files, dict) or _DUMPS[manifest["database"]] \
            not in files or not all(isinstance(f, dict) and {"sha256", "size"} <= f.keys() for f in files.values()):
        raise BackupError(f"{path}: its manifest is incomplete")
    return manifest


def _safe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    if name in _DUMPS.values():
        return True
    return len(parts) > 1 and parts[0] == "attachments" and ".." not in parts and not name.startswith("/") \
        and all(re.fullmatch(r"[0-9A-Za-z._-]+", p) for p in parts)


def _check_revision(url: str, revision: str | None) -> None:
    """The code must know the archive's schema revision (a newer one would be downgraded by nobody)."""
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {r.revision for r in script.walk_revisions()}
    if revision not in known:
        raise BackupError(f"the backup's schema is at revision {revision}, which this code does not know (its "
                          f"newest is {script.get_current_head()}): restore it with the version that made it")


def _database_empty(url: str) -> bool:
    if database_kind(url) == "sqlite" and not _sqlite_file(url).exists():
        return True
    with _engine(url) as engine:
        return not inspect(engine).get_table_names()


def _sqlite_restore(dump: Path, target: Path) -> None:
    """Copy the snapshot into the target with the backup API (the target file keeps its WAL settings)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(dump)) as src, closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)


def _place(source: Path, target: Path) -> None:
    """Copy one attachment into the storage (temp file + rename, as the storage writes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".upload-restore-{target.name}")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


# --- PostgreSQL tools ------------------------------------------------------------------------------------

@contextmanager
def _engine(url: str) -> Iterator[Any]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _revision(conn: Any) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _pg_server_major(url: str) -> int:
    with _engine(url) as engine, engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _pg_tool(name: str, server_major: int, needed: int = 0) -> str:
    """The path of `name`, if it is as new as the server (and as the dump it reads)."""
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools, version {server_major} or later)")
    major = _tool_major(tool)
    if major < max(server_major, needed):
        raise BackupError(f"{name} is version {major}; the server is PostgreSQL {server_major}"
                          + (f" and the dump was made by pg_dump {needed}" if needed > server_major else "")
                          + f": install the client tools of version {max(server_major, needed)} or later")
    return tool


def _tool_major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"\(PostgreSQL\) (\d+)", out)
    if not found:
        raise BackupError(f"cannot tell the version of {tool}")
    return int(found.group(1))


def _pg_target(url: str) -> list[str]:
    u = make_url(url)
    args = [f"--dbname={u.database}"]
    if u.host:
        args.append(f"--host={u.host}")
    if u.port:
        args.append(f"--port={u.port}")
    if u.username:
        args.append(f"--username={u.username}")
    return args


def _pg_dsn(url: str) -> str:
    """A libpq URL without the password (that goes through PGPASSWORD, never the command line)."""
    u = make_url(url).set(drivername="postgresql", password=None)
    return u.render_as_string(hide_password=False)


def _run(args: list[str], url: str) -> None:
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
