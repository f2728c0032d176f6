"""Hardened parsing and complete validation of uploaded process models.

Nothing reaches SpiffWorkflow before the XML has been parsed with entities, DTDs and network access
off (SPIFFWORKFLOW.md §1.3), and nothing is stored unless every check below passes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser as _CamundaUserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from service.domain.roles import ROLES, unknown_roles
from service.engine.scripting import check_script, is_iso_timer, strip_wrapper

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
USER_TASK_ATTRS = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority", "formKey")

_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=True, remove_pis=True,
)
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)

# Flow elements SpiffWorkflow cannot run; it would reject some and silently mis-run others.
UNSUPPORTED = {
    "complexGateway": "complex gateways are not supported by the engine",
    "implicitThrowEvent": "implicit throw events are not supported",
    "choreographyTask": "choreographies are not supported",
    "callChoreography": "choreographies are not supported",
    "subChoreography": "choreographies are not supported",
    "linkEventDefinition": "link events are not supported by the engine",
    "compensateEventDefinition": "compensation events are not supported by the engine",
}
FLOW_NODES = {
    "startEvent", "endEvent", "userTask", "task", "subProcess", "manualTask", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "callActivity", "transaction", "adHocSubProcess", "scriptTask",
    "serviceTask", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "receiveTask",
    "sendTask", "eventBasedGateway", "businessRuleTask",
}
_NESTING = {"subProcess", "transaction", "adHocSubProcess"}


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
    """camunda:initiator names the variable that receives the user who started the instance."""

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        ext = dict(super().parse_extensions(node))
        initiator = self.attribute("initiator", "camunda")
        if initiator:
            ext["initiator"] = initiator
        return ext


class JixiaoParser(CamundaParser):
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
class ModelError:
    file: str
    line: int | None
    element_id: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "element_id": self.element_id, "message": self.message}


@dataclass
class Bundle:
    """Validated files of one deployment, ready to be stored and parsed into specs."""

    bpmn: dict[str, bytes] = field(default_factory=dict)
    dmn: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)  # file name → content
    processes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id → (file, name)


def form_key_name(form_key: str) -> str:
    """`embedded:app:forms/goal.schema.json`, `goal.json`, `goal` → `goal`."""
    key = form_key.strip()
    for prefix in ("embedded:app:", "embedded:deployment:", "app:", "camunda-forms:deployment:"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    key = key.rsplit("/", 1)[-1]
    for suffix in (".schema.json", ".json"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key


def safe_xml(name: str, content: bytes) -> etree._ElementTree:
    """Parse XML with DTDs, entities and network access refused; raise ModelError otherwise."""
    if _DOCTYPE.search(content):
        raise _Err(ModelError(name, None, None, "DOCTYPE and ENTITY declarations are not allowed"))
    try:
        tree = etree.ElementTree(etree.fromstring(content, _SAFE_PARSER))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise _Err(ModelError(name, line, None, f"malformed XML: {exc.msg}")) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _Err(ModelError(name, None, None, "DOCTYPE and ENTITY declarations are not allowed"))
    return tree


class _Err(Exception):
    def __init__(self, error: ModelError) -> None:
        super().__init__(error.message)
        self.error = error


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _line(el: etree._Element) -> int | None:
    return el.sourceline if isinstance(el.sourceline, int) else None


def _nearest_id(el: etree._Element) -> str | None:
    while el is not None:
        if el.get("id"):
            return el.get("id")
        el = el.getparent()
    return None


def _scan_bpmn(name: str, tree: etree._ElementTree, limits: tuple[int, int], forms: set[str],
               errors: list[ModelError]) -> None:
    """Checks that need the XML: unsupported elements, size, nesting, expressions, form keys."""
    max_elements, max_depth = limits
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        errors.append(ModelError(name, _line(root), None, "not a BPMN 2.0 definitions document"))
        return
    count = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = _local(el)
        if local in UNSUPPORTED:
            errors.append(ModelError(name, _line(el), _nearest_id(el), f"unsupported element bpmn:{local}: "
                                     f"{UNSUPPORTED[local]}"))
        if local in FLOW_NODES:
            count += 1
        if local in _NESTING:
            depth = sum(1 for a in el.iterancestors() if _local(a) in _NESTING) + 1
            if depth > max_depth:
                errors.append(ModelError(name, _line(el), el.get("id"),
                                         f"subprocesses nested {depth} deep; at most {max_depth} allowed"))
        _check_expressions(name, el, local, errors)
        if local == "userTask":
            _check_user_task(name, el, forms, errors)
    sources = {f.get("sourceRef") for f in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    for el in root.iter(*(f"{{{BPMN_NS}}}{n}" for n in FLOW_NODES - {"endEvent"})):
        if el.get("triggeredByEvent") == "true":
            continue
        if el.get("id") not in sources and not any(_local(a) == "adHocSubProcess" for a in el.iterancestors()):
            errors.append(ModelError(name, _line(el), el.get("id"), f"bpmn:{_local(el)} has no outgoing sequence "
                                     "flow: end every path with an end event"))
    if count > max_elements:
        errors.append(ModelError(name, None, None, f"{count} flow elements; at most {max_elements} allowed"))


def _check_expressions(name: str, el: etree._Element, local: str, errors: list[ModelError]) -> None:
    text = (el.text or "").strip()
    problem: str | None = None
    if local == "script" and _local(el.getparent()) == "scriptTask":
        fmt = (el.getparent().get("scriptFormat") or "python").lower()
        if fmt not in ("python", "python3", ""):
            problem = f'script format "{fmt}" is not supported; use python'
        else:
            problem = check_script(text, "exec")
    elif local in ("conditionExpression", "completionCondition", "loopCardinality", "condition") and text:
        problem = check_script(text, "eval")
    elif local in ("timeDuration", "timeDate", "timeCycle"):
        problem = _check_timer(local, text)
    if problem:
        errors.append(ModelError(name, _line(el), _nearest_id(el), f"bpmn:{local}: {problem}"))


def _check_timer(kind: str, text: str) -> str | None:
    if not text:
        return "empty timer expression"
    if is_iso_timer(text):
        try:
            if kind == "timeDate":
                TimerEventDefinition.get_datetime(text)
            elif kind == "timeDuration":
                if not text.upper().startswith("P"):
                    return f'"{text}" is not an ISO-8601 duration'
                TimerEventDefinition.parse_iso_duration(text)
            else:
                if not text.upper().startswith("R"):
                    return f'"{text}" is not an ISO-8601 repeating interval (R<n>/P…)'
                TimerEventDefinition.parse_iso_recurring_interval(text)
        except Exception as exc:  # the library raises bare Exception('Invalid duration')
            return f'invalid ISO-8601 value "{text}": {exc}'
        return None
    if text.upper().startswith(("P", "R")) and re.fullmatch(r"[A-Za-z0-9/.,:+-]+", text):
        return f'"{text}" is not a valid ISO-8601 timer value'
    return check_script(text, "eval")


def _check_user_task(name: str, el: etree._Element, forms: set[str], errors: list[ModelError]) -> None:
    tid = el.get("id")
    form_key = el.get(f"{{{CAMUNDA_NS}}}formKey")
    if form_key and "${" not in form_key and form_key_name(form_key) not in forms:
        errors.append(ModelError(name, _line(el), tid, f'form "{form_key_name(form_key)}" (camunda:formKey) '
                                 f"not found: add forms/{form_key_name(form_key)}.schema.json"))
    for attr in ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority"):
        value = el.get(f"{{{CAMUNDA_NS}}}{attr}")
        if not value:
            continue
        if "${" in value or "#{" in value:
            problem = check_script(strip_wrapper(value), "eval")
            if problem:
                errors.append(ModelError(name, _line(el), tid, f"camunda:{attr}: {problem}"))
        elif attr in ("dueDate", "followUpDate") and not is_iso_timer(value):
            errors.append(ModelError(name, _line(el), tid, f'camunda:{attr}: "{value}" is neither an ISO-8601 '
                                     "date or duration nor an ${…} expression"))
        elif attr == "candidateGroups":
            unknown = unknown_roles(g.strip() for g in value.split(",") if g.strip())
            if unknown:
                errors.append(ModelError(name, _line(el), tid, f"camunda:candidateGroups: unknown role(s) "
                                         f"{', '.join(unknown)}; known roles: {', '.join(sorted(ROLES))}"))
        elif attr == "priority" and not value.strip().isdigit():
            errors.append(ModelError(name, _line(el), tid, f'camunda:priority: "{value}" is not a number 0–100'))


def _check_form(name: str, content: bytes, errors: list[ModelError]) -> None:
    try:
        schema = json.loads(content)
    except ValueError as exc:
        errors.append(ModelError(name, getattr(exc, "lineno", None), None, f"invalid JSON: {exc}"))
        return
    if not name.endswith(".schema.json"):
        return
    if not isinstance(schema, dict):
        errors.append(ModelError(name, None, None, "a form schema must be a JSON object"))
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        errors.append(ModelError(name, None, None, f"invalid JSON Schema: {exc.message}"))


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
        return bundle, [ModelError("", None, None, "no files uploaded")]
    trees: dict[str, etree._ElementTree] = {}
    for name, content in files.items():
        kind = classify(name)
        if not _SAFE_NAME.match(name) or kind is None:
            errors.append(ModelError(name, None, None, "file name must be plain and end in .bpmn, .dmn, "
                                     ".schema.json or .ui.json"))
            continue
        if len(content) > max_file_bytes:
            errors.append(ModelError(name, None, None, f"file is larger than {max_file_bytes} bytes"))
            continue
        if kind == "form":
            _check_form(name, content, errors)
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
        _scan_bpmn(name, trees[name], (max_elements, max_depth), form_keys, errors)
    if errors:
        return bundle, errors
    if not bundle.bpmn:
        return bundle, [ModelError("", None, None, "a deployment needs at least one .bpmn file")]

    parser = JixiaoParser(validator=_validator())
    try:
        for name in bundle.dmn:
            parser.add_dmn_xml(trees[name].getroot(), filename=name)
        for name in bundle.bpmn:
            parser.add_bpmn_xml(trees[name], filename=name)
        pids = parser.get_process_ids()
        if not pids:
            errors.append(ModelError(next(iter(bundle.bpmn)), None, None, "no executable process "
                                     '(set isExecutable="true")'))
        for pid in pids:
            spec = parser.get_spec(pid)
            parser.get_subprocess_specs(pid)
            bundle.processes[pid] = (spec.file or "", spec.description)
        for dmn_parser in parser.dmn_parsers.values():
            _check_dmn(dmn_parser, trees, errors)
    except ValidationException as exc:
        errors.append(_from_validation(exc, trees))
    except (RecursionError, MemoryError):
        errors.append(ModelError("", None, None, "the model is too large or too deeply nested for the engine"))
    except Exception as exc:  # the library raises TypeError/KeyError for some malformed models
        errors.append(ModelError("", None, getattr(exc, "id", None) or None, f"cannot build the process: {exc}"))
    if not errors:
        # Forms a deployment pins: the ones uploaded plus the library's forms its user tasks use.
        used = _used_form_keys(trees, bundle.bpmn)
        for key in sorted(used):
            for suffix in (".schema.json", ".ui.json"):
                fname = key + suffix
                if fname in library_forms and fname not in bundle.forms:
                    bundle.forms[fname] = library_forms[fname]
    return bundle, errors


_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _check_dmn(dmn_parser: Any, trees: dict[str, etree._ElementTree], errors: list[ModelError]) -> None:
    """Compile every input, input entry and output entry the way SpiffWorkflow's DMN engine will run it."""
    dmn_parser.parse()
    name = dmn_parser.filename or ""
    tree = trees.get(name)

    def report(element_id: str | None, what: str, problem: str) -> None:
        found = tree.getroot().xpath("//*[@id=$i]", i=element_id) if tree is not None and element_id else []
        errors.append(ModelError(name, _line(found[0]) if found else None, element_id, f"{what}: {problem}"))

    for table in dmn_parser.decision.decisionTables:
        for item in table.inputs:
            problem = check_script(item.expression or "", "eval") if item.expression else "input has no expression"
            if problem:
                report(item.id, "input expression", problem)
        for rule in table.rules:
            for entry in rule.inputEntries:
                for lhs in entry.lhs:
                    if not lhs:
                        continue
                    match = _QUESTION.sub("dmninputexpr", lhs)
                    if "dmninputexpr" in match:
                        problem = check_script(match, "eval")
                    elif check_script(lhs, "eval") is None:
                        problem = check_script(f"({entry.input.expression}) == ({lhs})", "eval")
                    else:
                        problem = check_script(f"{entry.input.expression} {lhs}", "eval")
                    if problem:
                        report(entry.id, f"rule {rule.row_number} input entry {lhs!r}", problem)
            for out in rule.outputEntries:
                if out.text:
                    problem = check_script(out.text, "eval")
                    if problem:
                        report(out.id, f"rule {rule.row_number} output entry {out.text!r}", problem)


def _used_form_keys(trees: dict[str, etree._ElementTree], names: dict[str, bytes]) -> set[str]:
    keys = set()
    for name in names:
        for el in trees[name].getroot().iter(f"{{{BPMN_NS}}}userTask"):
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
                line, file = _line(found[0]), name
                break
    message = str(exc).split("\n", 1)[0]
    if "RecursionError" in message:
        message = ("the model is too long or too deeply nested for the engine (about 450 consecutive elements "
                   "on one path is the limit): split it into subprocesses or call activities")
    return ModelError(file, line, eid, message)


def build_specs(bpmn: dict[str, bytes], dmn: dict[str, bytes]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Parse stored, already validated files into {process_id: (spec, subprocess_specs)}."""
    parser = JixiaoParser()
    for name, content in dmn.items():
        parser.add_dmn_xml(safe_xml(name, content).getroot(), filename=name)
    for name, content in bpmn.items():
        parser.add_bpmn_xml(safe_xml(name, content), filename=name)
    return {pid: (parser.get_spec(pid), parser.get_subprocess_specs(pid)) for pid in parser.get_process_ids()}
