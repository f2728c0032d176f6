"""Deploying process models: validate everything, then store one immutable version or nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from service import clock
from service.bpm import event_log
from service.bpm.parsing import Bundle, ModelError, classify, validate_bundle
from service.bpm.versions import SpecCache, load_version
from service.config import Settings
from service.errors import InvalidModel
from service.models import ProcessDefinition, ProcessVersion, VersionFile


@dataclass
class Deployment:
    version: str
    processes: list[dict[str, str | None]]
    created: bool
    deployed_at: datetime


def library_forms(forms_dir: Path) -> dict[str, bytes]:
    """The shared forms folder (`forms/`): every form a model may reference without uploading it."""
    if not forms_dir.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(forms_dir.iterdir())
            if p.is_file() and classify(p.name) == "form"}


def read_dir(path: Path) -> dict[str, bytes]:
    """Model and form files of a folder (what `jixiao deploy DIR` uploads)."""
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file() and classify(p.name)}


def check(files: dict[str, bytes], settings: Settings) -> tuple[Bundle, list[ModelError]]:
    """Validate without storing."""
    total = sum(len(c) for c in files.values())
    if total > settings.max_upload_bytes:
        return Bundle(), [ModelError("", None, None, f"upload is larger than {settings.max_upload_bytes} bytes",
                                         "upload_too_large", {"max": str(settings.max_upload_bytes)})]
    return validate_bundle(files, library_forms(settings.forms_dir), max_file_bytes=settings.max_file_bytes,
                           max_elements=settings.max_flow_elements, max_depth=settings.max_nesting_depth)


def content_hash(bundle: Bundle) -> str:
    h = hashlib.sha256()
    for kind, group in (("bpmn", bundle.bpmn), ("dmn", bundle.dmn), ("form", bundle.forms)):
        for name in sorted(group):
            h.update(f"{kind}\0{name}\0{hashlib.sha256(group[name]).hexdigest()}\n".encode())
    return h.hexdigest()


def invalid_detail(errors: list[ModelError]) -> str:
    """The problem's detail: how many problems, and the first ones named (which flow, which missing id...)."""
    named = "; ".join(e.message for e in errors[:3]) + ("; ..." if len(errors) > 3 else "")
    return f"{len(errors)} problem(s) in the uploaded model: {named}"


def deploy(conn: Connection, cache: SpecCache, files: dict[str, bytes], settings: Settings,
           actor: str | None) -> Deployment:
    """Store the files as a new version (or return the identical existing one), in the caller's transaction.
    Raises InvalidModel. The parsed version is cached by its content hash: one rolled back with its caller is a
    version no stored row names, never found by a lookup."""
    bundle, errors = check(files, settings)
    if errors:
        raise InvalidModel(invalid_detail(errors), [e.as_dict() for e in errors])
    version = content_hash(bundle)
    processes = [{"process_id": pid, "name": name, "file": file}
                 for pid, (file, name) in sorted(bundle.processes.items())]
    existing = conn.execute(select(ProcessVersion.deployed_at).where(ProcessVersion.hash == version)).first()
    if existing is not None:
        return Deployment(version, processes, False, clock.from_db(existing[0]) or clock.now())

    rows = [(n, "bpmn", c) for n, c in bundle.bpmn.items()] + [(n, "dmn", c) for n, c in bundle.dmn.items()] \
        + [(n, "form", c) for n, c in bundle.forms.items()]
    loaded = load_version(version, rows)  # parse before storing: a version that cannot load is never stored
    now = clock.now()
    if conn.execute(select(func.count()).select_from(ProcessVersion)
                    .where(ProcessVersion.hash == version)).scalar_one():
        return Deployment(version, processes, False, now)
    conn.execute(insert(ProcessVersion).values(hash=version, deployed_at=clock.to_db(now), deployed_by=actor,
                                               file_count=len(rows)))
    conn.execute(insert(VersionFile), [
        {"version_hash": version, "name": n, "kind": k, "sha256": hashlib.sha256(c).hexdigest(), "content": c}
        for n, k, c in rows])
    conn.execute(insert(ProcessDefinition), [
        {"process_id": p["process_id"], "version_hash": version, "name": p["name"], "file_name": p["file"] or "",
         "deployed_at": clock.to_db(now)} for p in processes])
    event_log.append_global(conn, now, actor, "deploy",
                        {"version": version, "files": sorted(n for n, _, _ in rows),
                         "processes": [p["process_id"] for p in processes]})
    cache.put(loaded)
    return Deployment(version, processes, True, now)
