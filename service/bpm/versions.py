"""Deployed versions in memory: parsed specs and compiled form validators, cached per content hash."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import Engine, select

from service import db
from service.attachments import attachment_fields
from service.bpm.parsing import build_specs
from service.bpm.start_rights import StartRights, rights_of
from service.errors import NotFound
from service.models import VersionFile

# The formats forms may assert, JSON Schema's own plus `attachment` (an evidence attachment id).
FORMATS = FormatChecker()
FORMATS.checks(attachment_fields.FORMAT)(attachment_fields.is_attachment_id)


@dataclass
class LoadedVersion:
    hash: str
    processes: dict[str, tuple[Any, dict[str, Any]]]
    forms: dict[str, dict[str, Any]]  # form key → JSON Schema
    ui: dict[str, dict[str, Any]] = field(default_factory=dict)  # form key → UI hints
    starts: dict[str, StartRights] = field(default_factory=dict)  # process id → who starts it, with what
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def spec(self, process_id: str) -> tuple[Any, dict[str, Any]]:
        try:
            return self.processes[process_id]
        except KeyError:
            raise NotFound(f"process {process_id!r} is not in version {self.hash[:12]}") from None

    def start_rights(self, process_id: str) -> StartRights:
        """Who may start `process_id` of this version, its start form and its assignment variables."""
        self.spec(process_id)  # NotFound for a process the version lacks
        return self.starts[process_id]

    def validator(self, form_key: str) -> Draft202012Validator | None:
        if form_key not in self.forms:
            return None
        v = self._validators.get(form_key)
        if v is None:
            v = Draft202012Validator(self.forms[form_key], format_checker=FORMATS)
            self._validators[form_key] = v
        return v


def load_version(version_hash: str, files: list[tuple[str, str, bytes]]) -> LoadedVersion:
    """Build a LoadedVersion from stored (name, kind, content) rows."""
    bpmn = {n: c for n, k, c in files if k == "bpmn"}
    dmn = {n: c for n, k, c in files if k == "dmn"}
    processes = build_specs(bpmn, dmn)
    for spec, subs in processes.values():
        spec.jixiao_version = version_hash
        for sub in subs.values():
            if sub is not None:
                sub.jixiao_version = version_hash
    forms: dict[str, dict[str, Any]] = {}
    ui: dict[str, dict[str, Any]] = {}
    for name, kind, content in files:
        if kind != "form":
            continue
        if name.endswith(".schema.json"):
            forms[name[: -len(".schema.json")]] = json.loads(content)
        elif name.endswith(".ui.json"):
            ui[name[: -len(".ui.json")]] = json.loads(content)
    starts = {pid: rights_of(spec, subs) for pid, (spec, subs) in processes.items()}
    return LoadedVersion(version_hash, processes, forms, ui, starts)


class SpecCache:
    """Per-process cache of parsed versions (LRU); loads from the database on a miss."""

    def __init__(self, engine: Engine, capacity: int = 64) -> None:
        self._engine = engine
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[str, LoadedVersion] = OrderedDict()

    def get(self, version_hash: str) -> LoadedVersion:
        with self._lock:
            item = self._items.get(version_hash)
            if item is not None:
                self._items.move_to_end(version_hash)
                return item
        with db.read(self._engine) as conn:
            rows = conn.execute(select(VersionFile.name, VersionFile.kind, VersionFile.content)
                                .where(VersionFile.version_hash == version_hash)).all()
        if not rows:
            raise NotFound(f"version {version_hash[:12]} is not deployed")
        item = load_version(version_hash, [(r[0], r[1], bytes(r[2])) for r in rows])
        self.put(item)
        return item

    def put(self, item: LoadedVersion) -> None:
        with self._lock:
            self._items[item.hash] = item
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def resolve(self, version_hash: str, process_id: str) -> tuple[Any, dict[str, Any]]:
        return self.get(version_hash).spec(process_id)

