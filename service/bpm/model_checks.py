"""The checks a model must pass before it is stored: elements the engine can run, sizes, expressions and
timers that compile, form keys with a form, candidate groups that are roles, DMN entries that compile."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from service.attachments.attachment_fields import schema_problems as attachment_problems
from service.bpm.scripting import check_script, is_iso_timer, strip_wrapper
from service.domain.roles import ROLES, STARTERS, unknown_roles

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

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



@dataclass
class ModelError:
    file: str
    line: int | None
    element_id: str | None
    message: str
    code: str = ""  # for the pages: the message in the page's language, from texts "model_error_<code>"
    params: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line, "element_id": self.element_id,
                               "message": self.message}
        if self.code:
            out |= {"code": self.code, "params": self.params}
        return out



def local_name(el: etree._Element) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def line_of(el: etree._Element) -> int | None:
    return el.sourceline if isinstance(el.sourceline, int) else None


def nearest_id(el: etree._Element) -> str | None:
    while el is not None:
        if el.get("id"):
            return el.get("id")
        el = el.getparent()
    return None


def scan_bpmn(name: str, tree: etree._ElementTree, limits: tuple[int, int], forms: set[str],
               errors: list[ModelError]) -> None:
    """Checks that need the XML: unsupported elements, size, nesting, expressions, form keys."""
    max_elements, max_depth = limits
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        errors.append(ModelError(name, line_of(root), None, "not a BPMN 2.0 definitions document", "not_bpmn"))
        return
    count = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = local_name(el)
        if local in UNSUPPORTED:
            errors.append(ModelError(name, line_of(el), nearest_id(el), f"unsupported element bpmn:{local}: "
                                     f"{UNSUPPORTED[local]}", "unsupported", {"element": local}))
        if local in FLOW_NODES:
            count += 1
        if local in _NESTING:
            depth = sum(1 for a in el.iterancestors() if local_name(a) in _NESTING) + 1
            if depth > max_depth:
                errors.append(ModelError(name, line_of(el), el.get("id"),
                                         f"subprocesses nested {depth} deep; at most {max_depth} allowed",
                                         "nested", {"depth": str(depth), "max": str(max_depth)}))
        _check_expressions(name, el, local, errors)
        if local == "userTask":
            _check_user_task(name, el, forms, errors)
        elif local == "process":
            _check_starters(name, el, errors)
        elif local == "startEvent" and local_name(el.getparent()) == "process":
            _check_start_form(name, el, forms, errors)
    _check_flow_ends(name, root, errors)
    sources = {f.get("sourceRef") for f in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    for el in root.iter(*(f"{{{BPMN_NS}}}{n}" for n in FLOW_NODES - {"endEvent"})):
        if el.get("triggeredByEvent") == "true":
            continue
        if el.get("id") not in sources and not any(local_name(a) == "adHocSubProcess" for a in el.iterancestors()):
            errors.append(ModelError(name, line_of(el), el.get("id"), f"bpmn:{local_name(el)} has no outgoing sequence "
                                     "flow: end every path with an end event", "no_outgoing",
                                     {"element": local_name(el)}))
    if count > max_elements:
        errors.append(ModelError(name, None, None, f"{count} flow elements; at most {max_elements} allowed",
                                 "too_many", {"count": str(count), "max": str(max_elements)}))


def _check_flow_ends(name: str, root: etree._Element, errors: list[ModelError]) -> None:
    """Every sequence flow starts and ends at an element of the document (the engine would otherwise fail with a
    KeyError naming neither the flow nor the missing element)."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for attribute, end in (("targetRef", "target"), ("sourceRef", "source")):
            ref = flow.get(attribute) or ""
            if ref not in ids:
                fid = flow.get("id") or ""
                errors.append(ModelError(
                    name, line_of(flow), fid or None,
                    f"sequence flow {fid} has {attribute}=\"{ref}\": no element with that id in {name}",
                    f"flow_missing_{end}", {"flow": fid, "ref": ref, "file": name}))


def _check_expressions(name: str, el: etree._Element, local: str, errors: list[ModelError]) -> None:
    text = (el.text or "").strip()
    problem: str | None = None
    if local == "script" and local_name(el.getparent()) == "scriptTask":
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
        errors.append(ModelError(name, line_of(el), nearest_id(el), f"bpmn:{local}: {problem}", "expression",
                                 {"element": local, "detail": problem}))


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
        errors.append(ModelError(name, line_of(el), tid, f'form "{form_key_name(form_key)}" (camunda:formKey) '
                                 f"not found: add forms/{form_key_name(form_key)}.schema.json", "form_missing",
                                 {"form": form_key_name(form_key)}))
    for attr in ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority"):
        value = el.get(f"{{{CAMUNDA_NS}}}{attr}")
        if not value:
            continue
        if "${" in value or "#{" in value:
            problem = check_script(strip_wrapper(value), "eval")
            if problem:
                errors.append(ModelError(name, line_of(el), tid, f"camunda:{attr}: {problem}", "attribute_expression",
                                         {"attribute": attr, "detail": problem}))
        elif attr in ("dueDate", "followUpDate") and not is_iso_timer(value):
            errors.append(ModelError(name, line_of(el), tid, f'camunda:{attr}: "{value}" is neither an ISO-8601 '
                                     "date or duration nor an ${…} expression", "not_a_date",
                                     {"attribute": attr, "value": value}))
        elif attr == "candidateGroups":
            unknown = unknown_roles(g.strip() for g in value.split(",") if g.strip())
            if unknown:
                errors.append(ModelError(name, line_of(el), tid, f"camunda:candidateGroups: unknown role(s) "
                                         f"{', '.join(unknown)}; known roles: {', '.join(sorted(ROLES))}",
                                         "unknown_roles", {"attribute": attr, "roles": ", ".join(unknown),
                                                           "known": ", ".join(sorted(ROLES))}))
        elif attr == "priority" and not value.strip().isdigit():
            errors.append(ModelError(name, line_of(el), tid, f'camunda:priority: "{value}" is not a number 0–100',
                                     "priority", {"value": value}))


def _check_starters(name: str, el: etree._Element, errors: list[ModelError]) -> None:
    """candidateStarterGroups name roles that may start processes; neither attribute takes an expression."""
    pid = el.get("id")
    for attr in ("candidateStarterGroups", "candidateStarterUsers"):
        value = el.get(f"{{{CAMUNDA_NS}}}{attr}")
        if value is None:
            continue
        items = [v.strip() for v in value.split(",") if v.strip()]
        if not items or "${" in value or "#{" in value:
            what = "roles" if attr == "candidateStarterGroups" else "users"
            errors.append(ModelError(name, line_of(el), pid, f"camunda:{attr}: list {what} by name, "
                                     "comma-separated (no expressions, not empty)", "starters_list",
                                     {"attribute": attr}))
            continue
        if attr == "candidateStarterUsers":
            continue
        unknown = unknown_roles(items)
        if unknown:
            errors.append(ModelError(name, line_of(el), pid, f"camunda:candidateStarterGroups: unknown role(s) "
                                     f"{', '.join(unknown)}; known roles: {', '.join(sorted(ROLES))}",
                                     "unknown_roles", {"attribute": "candidateStarterGroups",
                                                       "roles": ", ".join(unknown), "known": ", ".join(sorted(ROLES))}))
        never = sorted(set(items) - STARTERS - set(unknown))
        if never:
            errors.append(ModelError(name, line_of(el), pid, f"camunda:candidateStarterGroups: role(s) "
                                     f"{', '.join(never)} never start processes; roles that may: "
                                     f"{', '.join(sorted(STARTERS))}", "starters_never",
                                     {"roles": ", ".join(never), "allowed": ", ".join(sorted(STARTERS))}))


def _check_start_form(name: str, el: etree._Element, forms: set[str], errors: list[ModelError]) -> None:
    form_key = el.get(f"{{{CAMUNDA_NS}}}formKey")
    if not form_key:
        return
    if "${" in form_key or "#{" in form_key:
        errors.append(ModelError(name, line_of(el), el.get("id"), "camunda:formKey of a start event names its form; "
                                 "no expressions (nothing is known before the start)", "start_form_expression"))
    elif form_key_name(form_key) not in forms:
        errors.append(ModelError(name, line_of(el), el.get("id"), f'start form "{form_key_name(form_key)}" '
                                 f"(camunda:formKey) not found: add forms/{form_key_name(form_key)}.schema.json",
                                 "start_form_missing", {"form": form_key_name(form_key)}))


def check_form(name: str, content: bytes, errors: list[ModelError]) -> None:
    try:
        schema = json.loads(content)
    except ValueError as exc:
        errors.append(ModelError(name, getattr(exc, "lineno", None), None, f"invalid JSON: {exc}", "invalid_json",
                                 {"detail": str(exc)}))
        return
    if not name.endswith(".schema.json"):
        return
    if not isinstance(schema, dict):
        errors.append(ModelError(name, None, None, "a form schema must be a JSON object", "schema_not_object"))
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        errors.append(ModelError(name, None, None, f"invalid JSON Schema: {exc.message}", "invalid_schema",
                                 {"detail": exc.message}))
        return
    errors.extend(ModelError(name, None, None, problem, "attachment_field", {"detail": problem})
                  for problem in attachment_problems(schema))



_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def check_dmn(dmn_parser: Any, trees: dict[str, etree._ElementTree], errors: list[ModelError]) -> None:
    """Compile every input, input entry and output entry the way SpiffWorkflow's DMN engine will run it."""
    dmn_parser.parse()
    name = dmn_parser.filename or ""
    tree = trees.get(name)

    def report(element_id: str | None, what: str, problem: str) -> None:
        found = tree.getroot().xpath("//*[@id=$i]", i=element_id) if tree is not None and element_id else []
        errors.append(ModelError(name, line_of(found[0]) if found else None, element_id, f"{what}: {problem}",
                                 "dmn_expression", {"element": element_id or "", "detail": f"{what}: {problem}"}))

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
