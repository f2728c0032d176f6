"""What changed between two versions of the BPMN models, element by element (not line by line).

Every BPMN element with an id is compared by id: its type, its attributes (camunda:* ones included) and the text
and attributes of the child elements that have no id of their own (documentation, condition expressions, timer
expressions, scripts, camunda extension properties, inputs/outputs, form fields). A renamed task is one changed
element, name before → after. The diagram layout (BPMN DI) is not compared: moving a shape is not a change of the
model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PREFIXES = {
    "": "", BPMN_NS: "", "http://camunda.org/schema/1.0/bpmn": "camunda:",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi:",
}
SKIPPED = {"incoming", "outgoing"}  # repeat the flows' sourceRef / targetRef, which are compared


@dataclass(frozen=True)
class PropertyChange:
    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    state: str  # added | removed | changed
    type: str
    name: str
    properties: tuple[PropertyChange, ...] = field(default_factory=tuple)


def _qname(tag: str) -> str:
    q = etree.QName(tag)
    return PREFIXES.get(q.namespace or "", f"{{{q.namespace}}}") + q.localname


def _own_properties(el: etree._Element) -> dict[str, str]:
    """An element's attributes, and those and the text of its descendants up to the next element with an id."""
    props = {_qname(k): v for k, v in el.attrib.items() if k != "id"}

    def walk(node: etree._Element, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.get("id") or etree.QName(child).localname in SKIPPED:
                continue
            key = path + _qname(child.tag)
            if child.get("name") is not None:
                key += f"[{child.get('name')}]"
            while key in props:  # repeated children without names: number them
                key += "'"
            text = (child.text or "").strip()
            attributes = {k: v for k, v in child.attrib.items() if k != "name"}
            if text or not attributes:
                props[key] = text
            for k, v in attributes.items():
                props[f"{key} {_qname(k)}"] = v
            walk(child, key + "/")

    walk(el, "")
    return props


def elements(tree: etree._ElementTree | etree._Element) -> dict[str, tuple[str, dict[str, str]]]:
    """{id: (type, properties)} of the BPMN elements of a document (the diagram interchange left out)."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        if el is root or not el.get("id"):
            continue
        found[el.get("id")] = (etree.QName(el).localname, _own_properties(el))
    return found


def compare(old: etree._ElementTree | None, new: etree._ElementTree | None) -> list[ElementChange]:
    """The added, removed and changed elements from `old` to `new` (either may be None: a file added or removed),
    in document order of the new file, then the removed ones in the order of the old."""
    before = elements(old) if old is not None else {}
    after = elements(new) if new is not None else {}
    changes: list[ElementChange] = []
    for eid, (kind, props) in after.items():
        label = props.get("name", "")
        if eid not in before:
            changes.append(ElementChange(eid, "added", kind, label, tuple(
                PropertyChange(k, None, v) for k, v in props.items())))
            continue
        old_kind, old_props = before[eid]
        diffs = [PropertyChange("type", old_kind, kind)] if old_kind != kind else []
        for key in list(old_props) + [k for k in props if k not in old_props]:
            if old_props.get(key) != props.get(key):
                diffs.append(PropertyChange(key, old_props.get(key), props.get(key)))
        if diffs:
            changes.append(ElementChange(eid, "changed", kind, label or old_props.get("name", ""), tuple(diffs)))
    for eid, (kind, props) in before.items():
        if eid not in after:
            changes.append(ElementChange(eid, "removed", kind, props.get("name", ""), tuple(
                PropertyChange(k, v, None) for k, v in props.items())))
    return changes


def marks(changes: list[ElementChange]) -> dict[str, list[str]]:
    """Element ids by state, for the diagrams: added and changed on the new one, removed on the old one."""
    out: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for c in changes:
        out[c.state].append(c.element_id)
    return out
