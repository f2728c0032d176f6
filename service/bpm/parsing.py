"""Hardened parsing and complete validation of uploaded process models.

Nothing reaches SpiffWorkflow before the XML has been parsed with entities, DTDs and network access
off (SPIFFWORKFLOW.md §1.3), and nothing is stored unless every check below passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, StartEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser as _CamundaUserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from service.bpm.model_checks import (
    BPMN_NS,
    CAMUNDA_NS,
    ModelError,
    check_dmn,
    check_form,
    form_key_name,
    line_of,
    scan_bpmn,
)
from service.bpm.start_rights import names

USER_TASK_ATTRS = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority", "formKey")

_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=True, remove_pis=True,
)
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)

class _UserTaskParser(_CamundaUserTaskParser):
    """Keeps the Camunda assignment attributes that CamundaParser drops (SPIFFWORKFLOW.md §1.1)."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        ext = super().parse_extensions(node)
        for attr in USER_TASK_ATTRS:
            value = self.attribute(attr, "camunda")
            if value is not None:
                ext[attr] = value
        return ext


class _ServiceTaskParser(CamundaTaskParser):
    """External service tasks: camunda:type="external" + camunda:topic."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        ext = super().parse_extensions(node)
        for attr in ("type", "topic"):
            value = self.attribute(attr, "camunda")
            if value is not None:
                ext[attr] = value
        return ext


class _StartEventParser(CamundaStartEventParser):
    """camunda:initiator names the variable that receives the user who started the instance; camunda:formKey
    the start form that start data must satisfy."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        ext = dict(super().parse_extensions(node))
        for attr in ("initiator", "formKey"):
            value = self.attribute(attr, "camunda")
            if value:
                ext[attr] = value
        return ext


class _ProcessParser(ProcessParser):
    """Keeps the start rights of `<bpmn:process>`, which SpiffWorkflow ignores (SPIFFWORKFLOW.md §15)."""

    def create_spec(self) -> Any:
        spec = super().create_spec()
        groups = names(self.node.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups"))
        users = names(self.node.get(f"{{{CAMUNDA_NS}}}candidateStarterUsers")) or frozenset()
        spec.jixiao_starters = (groups, users)
        return spec


class JixiaoParser(CamundaParser):
    PROCESS_PARSER_CLASS = _ProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, UserTask),
        full_tag("serviceTask"): (_ServiceTaskParser, ServiceTask),
        full_tag("startEvent"): (_StartEventParser, StartEvent),
    }


_VALIDATOR: BpmnValidator | None = None


def _validator() -> BpmnValidator:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = BpmnValidator()
    return _VALIDATOR


assert issubclass(_ServiceTaskParser, TaskParser)


@dataclass
class Bundle:
    """Validated files of one deployment, ready to be stored and parsed into specs."""

    bpmn: dict[str, bytes] = field(default_factory=dict)
    dmn: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)  # file name → content
    processes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id → (file, name)


def safe_xml(name: str, content: bytes) -> etree._ElementTree:
    """Parse XML with DTDs, entities and network access refused; raise ModelError otherwise."""
    if _DOCTYPE.search(content):
        raise _Err(ModelError(name, None, None, "DOCTYPE and ENTITY declarations are not allowed", "doctype"))
    try:
        tree = etree.ElementTree(etree.fromstring(content, _SAFE_PARSER))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise _Err(ModelError(name, line, None, f"malformed XML: {exc.msg}", "malformed_xml",
                              {"detail": exc.msg})) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _Err(ModelError(name, None, None, "DOCTYPE and ENTITY declarations are not allowed", "doctype"))
    return tree


class _Err(Exception):
    def __init__(self, error: ModelError) -> None:
        super().__init__(error.message)
        self.error = error


def classify(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml"):
        return "bpmn"
    if lower.endswith(".dmn"):
        return "dmn"
    if lower.endswith(".schema.json") or lower.endswith(".ui.json"):
        return "form"
    return None


_SAFE_NAME = re.compile(r"^[\w\-. ]{1,200}$", re.UNICODE)


def validate_bundle(files: dict[str, bytes], library_forms: dict[str, bytes], *, max_file_bytes: int,
                    max_elements: int, max_depth: int) -> tuple[Bundle, list[ModelError]]:
    """Check every uploaded file and build every process spec; return the bundle and all errors found."""
    errors: list[ModelError] = []
    bundle = Bundle()
    if not files:
        return bundle, [ModelError("", None, None, "no files uploaded", "no_files")]
    trees: dict[str, etree._ElementTree] = {}
    for name, content in files.items():
        kind = classify(name)
        if not _SAFE_NAME.match(name) or kind is None:
            errors.append(ModelError(name, None, None, "file name must be plain and end in .bpmn, .dmn, "
                                     ".schema.json or .ui.json", "file_name"))
            continue
        if len(content) > max_file_bytes:
            errors.append(ModelError(name, None, None, f"file is larger than {max_file_bytes} bytes", "file_too_large",
                                     {"max": str(max_file_bytes)}))
            continue
        if kind == "form":
            check_form(name, content, errors)
            bundle.forms[name] = content
            continue
        try:
            trees[name] = safe_xml(name, content)
        except _Err as exc:
            errors.append(exc.error)
            continue
        (bundle.bpmn if kind == "bpmn" else bundle.dmn)[name] = content

    forms = {**library_forms, **bundle.forms}
    form_keys = {n[: -len(".schema.json")] for n in forms if n.endswith(".schema.json")}
    for name in bundle.bpmn:
        scan_bpmn(name, trees[name], (max_elements, max_depth), form_keys, errors)
    if errors:
        return bundle, errors
    if not bundle.bpmn:
        return bundle, [ModelError("", None, None, "a deployment needs at least one .bpmn file", "no_bpmn")]

    parser = JixiaoParser(validator=_validator())
    try:
        for name in bundle.dmn:
            parser.add_dmn_xml(trees[name].getroot(), filename=name)
        for name in bundle.bpmn:
            parser.add_bpmn_xml(trees[name], filename=name)
        pids = parser.get_process_ids()
        if not pids:
            errors.append(ModelError(next(iter(bundle.bpmn)), None, None, "no executable process "
                                     '(set isExecutable="true")', "no_executable"))
        for pid in pids:
            spec = parser.get_spec(pid)
            parser.get_subprocess_specs(pid)
            bundle.processes[pid] = (spec.file or "", spec.description)
        for dmn_parser in parser.dmn_parsers.values():
            check_dmn(dmn_parser, trees, errors)
    except ValidationException as exc:
        errors.append(_from_validation(exc, trees))
    except (RecursionError, MemoryError):
        errors.append(ModelError("", None, None, "the model is too large or too deeply nested for the engine",
                                 "too_deep"))
    except Exception as exc:  # the library raises TypeError/KeyError for some malformed models
        errors.append(ModelError("", None, getattr(exc, "id", None) or None, f"cannot build the process: {exc}",
                                 "engine", {"detail": str(exc)}))
    if not errors:
        # Forms a deployment pins: the ones uploaded plus the library's forms its user tasks use.
        used = _used_form_keys(trees, bundle.bpmn)
        for key in sorted(used):
            for suffix in (".schema.json", ".ui.json"):
                fname = key + suffix
                if fname in library_forms and fname not in bundle.forms:
                    bundle.forms[fname] = library_forms[fname]
    return bundle, errors


def _used_form_keys(trees: dict[str, etree._ElementTree], names: dict[str, bytes]) -> set[str]:
    keys = set()
    for name in names:
        for el in trees[name].getroot().iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}startEvent"):
            fk = el.get(f"{{{CAMUNDA_NS}}}formKey")
            if fk and "${" not in fk:
                keys.add(form_key_name(fk))
    return keys


def _from_validation(exc: ValidationException, trees: dict[str, etree._ElementTree]) -> ModelError:
    file = getattr(exc, "file_name", "") or ""
    eid = getattr(exc, "id", "") or None
    line = getattr(exc, "line_number", "") or None
    if not isinstance(line, int):
        line = None
    if line is None and eid:
        for name, tree in trees.items():
            if file and name != file:
                continue
            found = tree.getroot().xpath("//*[@id=$i]", i=eid)
            if found:
                line, file = line_of(found[0]), name
                break
    message = str(exc).split("\n", 1)[0]
    if "RecursionError" in message:
        message = ("the model is too long or too deeply nested for the engine (about 450 consecutive elements "
                   "on one path is the limit): split it into subprocesses or call activities")
    return ModelError(file, line, eid, message, "engine", {"detail": message})


def build_specs(bpmn: dict[str, bytes], dmn: dict[str, bytes]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Parse stored, already validated files into {process_id: (spec, subprocess_specs)}."""
    parser = JixiaoParser()
    for name, content in dmn.items():
        parser.add_dmn_xml(safe_xml(name, content).getroot(), filename=name)
    for name, content in bpmn.items():
        parser.add_bpmn_xml(safe_xml(name, content), filename=name)
    return {pid: (parser.get_spec(pid), parser.get_subprocess_specs(pid)) for pid in parser.get_process_ids()}
