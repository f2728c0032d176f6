"""Small reads the pages need that the API has no query for yet: deployed files, versions, an instance's
escalations, the indicator library as form options, department names.

None of them decides who may see what: each page first asks the same query function as the API
(service/queries/*) whether the user may see the instance or the version's process, and reads here after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from service import db
from service.cycle.projects import SECTORS
from service.libraries import indicators
from service.models import Department, Escalation, ProcessDefinition, ProcessVersion, VersionFile

PD = ProcessDefinition.__table__
PV = ProcessVersion.__table__
VF = VersionFile.__table__
X = Escalation.__table__
D = Department.__table__


def versions(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    """Deployed versions, newest first, with their processes and file count."""
    with db.read(engine) as conn:
        rows = conn.execute(select(PV.c.hash, PV.c.deployed_at, PV.c.deployed_by, PV.c.file_count)
                            .order_by(PV.c.deployed_at.desc(), PV.c.hash).limit(limit)).mappings().all()
        procs = conn.execute(select(PD.c.version_hash, PD.c.process_id)
                             .where(PD.c.version_hash.in_([r["hash"] for r in rows]))).all()
    by_version: dict[str, list[str]] = {}
    for version_hash, process_id in procs:
        by_version.setdefault(version_hash, []).append(process_id)
    return [{**dict(r), "processes": sorted(by_version.get(r["hash"], []))} for r in rows]


def files(engine: Engine, version_hash: str) -> dict[str, bytes]:
    """Every file of a version by name ({} when there is no such version)."""
    with db.read(engine) as conn:
        rows = conn.execute(select(VF.c.name, VF.c.content).where(VF.c.version_hash == version_hash)).all()
    return {name: bytes(content) for name, content in rows}


def process_file(engine: Engine, version_hash: str, process_id: str) -> tuple[str, bytes] | None:
    """The name and content of the BPMN file that defines `process_id` in a version."""
    with db.read(engine) as conn:
        row = conn.execute(select(VF.c.name, VF.c.content)
                           .join(PD, (PD.c.version_hash == VF.c.version_hash) & (PD.c.file_name == VF.c.name))
                           .where(PD.c.version_hash == version_hash, PD.c.process_id == process_id)).first()
    return (row[0], bytes(row[1])) if row else None


def version_processes(engine: Engine, version_hash: str) -> list[str]:
    """The process ids a version defines."""
    with db.read(engine) as conn:
        return list(conn.execute(select(PD.c.process_id).where(PD.c.version_hash == version_hash)
                                 .order_by(PD.c.process_id)).scalars())


def latest_version(engine: Engine) -> str | None:
    """The most recently deployed version."""
    with db.read(engine) as conn:
        return conn.execute(select(PD.c.version_hash).order_by(PD.c.id.desc()).limit(1)).scalar()


def instance_escalations(engine: Engine, instance_id: str) -> list[dict[str, Any]]:
    """The escalations of one instance (call after the instance query allowed the user to see it)."""
    with db.read(engine) as conn:
        rows = conn.execute(select(X).where(X.c.instance_id == instance_id).order_by(X.c.opened_at, X.c.id))
        return [dict(r._mapping) for r in rows]


def department_names(engine: Engine, lang: str) -> dict[str, str]:
    """Department id → name in the page's language."""
    with db.read(engine) as conn:
        rows = conn.execute(select(D.c.id, D.c.name, D.c.name_en)).all()
    return {r.id: (r.name_en or r.name) if lang == "en" else r.name for r in rows}


def library_options(engine: Engine, library: str, lang: str, sector: str | None = None) -> list[dict[str, Any]]:
    """Entries of a library named by a form's "x-library" (only "indicators" so far), for a datalist: the
    confirmed indicators of every sector and of the project's own."""
    if library != "indicators":
        return []
    with db.read(engine) as conn:
        count = conn.execute(select(func.count()).select_from(indicators.INDICATORS)).scalar_one()
        found = indicators.list_indicators(conn, status="confirmed", per_page=max(count, 1),
                                           sector=sector if sector in SECTORS else None)["items"]
    # Leaves of the hierarchy are what a goal names; the upper levels only group them.
    deepest = max((i["level"] for i in found), default=0)
    return [{"code": i["code"], "name": (i["name_en"] or i["name"]) if lang == "en" else i["name"],
             "category": i["category"], "unit": i["unit"] or "", "weight": i["default_weight"]}
            for i in found if i["level"] == deepest]
