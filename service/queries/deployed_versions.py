"""Deployed versions and their files, as the designer and instance pages show them.

None of these decides who may see what: a page first asks the instance or process-model query whether the user
may see the instance or the version's process, and reads here after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service.models import ProcessDefinition, ProcessVersion, VersionFile

DEFINITIONS = ProcessDefinition.__table__
VERSIONS = ProcessVersion.__table__
VERSION_FILES = VersionFile.__table__


def versions(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Deployed versions, newest first, with their processes and file count."""
    rows = conn.execute(select(VERSIONS.c.hash, VERSIONS.c.deployed_at, VERSIONS.c.deployed_by,
                               VERSIONS.c.file_count)
                        .order_by(VERSIONS.c.deployed_at.desc(), VERSIONS.c.hash).limit(limit)).mappings().all()
    procs = conn.execute(select(DEFINITIONS.c.version_hash, DEFINITIONS.c.process_id)
                         .where(DEFINITIONS.c.version_hash.in_([r["hash"] for r in rows]))).all()
    by_version: dict[str, list[str]] = {}
    for version_hash, process_id in procs:
        by_version.setdefault(version_hash, []).append(process_id)
    return [{**dict(r), "processes": sorted(by_version.get(r["hash"], []))} for r in rows]


def files(conn: Connection, version_hash: str) -> dict[str, bytes]:
    """Every file of a version by name ({} when there is no such version)."""
    rows = conn.execute(select(VERSION_FILES.c.name, VERSION_FILES.c.content)
                        .where(VERSION_FILES.c.version_hash == version_hash)).all()
    return {name: bytes(content) for name, content in rows}


def process_file(conn: Connection, version_hash: str, process_id: str) -> tuple[str, bytes] | None:
    """The name and content of the BPMN file that defines `process_id` in a version."""
    row = conn.execute(select(VERSION_FILES.c.name, VERSION_FILES.c.content)
                       .join(DEFINITIONS, (DEFINITIONS.c.version_hash == VERSION_FILES.c.version_hash)
                             & (DEFINITIONS.c.file_name == VERSION_FILES.c.name))
                       .where(DEFINITIONS.c.version_hash == version_hash,
                              DEFINITIONS.c.process_id == process_id)).first()
    return (row[0], bytes(row[1])) if row else None


def version_processes(conn: Connection, version_hash: str) -> list[str]:
    """The process ids a version defines."""
    return list(conn.execute(select(DEFINITIONS.c.process_id).where(DEFINITIONS.c.version_hash == version_hash)
                             .order_by(DEFINITIONS.c.process_id)).scalars())


def latest_version(conn: Connection) -> str | None:
    """The most recently deployed version."""
    return conn.execute(select(DEFINITIONS.c.version_hash).order_by(DEFINITIONS.c.id.desc()).limit(1)).scalar()
