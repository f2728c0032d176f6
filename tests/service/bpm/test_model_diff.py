"""The element-by-element comparison of two versions of a BPMN model (service/bpm/model_diff.py)."""

from lxml import etree

from service.bpm.model_diff import PropertyChange, compare, marks

HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs">'
        '<bpmn:process id="p" isExecutable="true">')
TAIL = ('</bpmn:process><bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
        '<bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="{x}" y="0" width="100" height="80" />'
        '</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')


def model(body: str, x: int = 100) -> etree._Element:
    return etree.fromstring((HEAD + body + TAIL.replace("{x}", str(x))).encode())


BASE = ('<bpmn:startEvent id="start" />'
        '<bpmn:userTask id="review" name="审核" camunda:candidateGroups="finance_bureau" camunda:dueDate="P5D">'
        '<bpmn:extensionElements><camunda:properties><camunda:property name="ladder" value="standard" />'
        '</camunda:properties></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:endEvent id="end" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />'
        '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end">'
        '<bpmn:conditionExpression>approved</bpmn:conditionExpression></bpmn:sequenceFlow>')


def test_the_same_model_has_no_changes_even_when_the_shapes_moved():
    assert compare(model(BASE), model(BASE, x=400)) == []


def test_a_renamed_task_is_one_changed_element_with_its_name_before_and_after():
    changes = compare(model(BASE), model(BASE.replace('name="审核"', 'name="复核"')))
    assert [(c.element_id, c.state, c.type, c.name) for c in changes] == [("review", "changed", "userTask", "复核")]
    assert changes[0].properties == (PropertyChange("name", "审核", "复核"),)


def test_an_added_task_between_two_elements_is_added_and_the_rerouted_flow_changed():
    new = BASE.replace('targetRef="end">', 'targetRef="archive">') + (
        '<bpmn:scriptTask id="archive" name="归档" />'
        '<bpmn:sequenceFlow id="f3" sourceRef="archive" targetRef="end" />')
    changes = compare(model(BASE), model(new))
    assert [(c.element_id, c.state) for c in changes] == [("f2", "changed"), ("archive", "added"), ("f3", "added")]
    assert changes[0].properties == (PropertyChange("targetRef", "end", "archive"),)
    assert changes[1].properties == (PropertyChange("name", None, "归档"),)
    assert marks(changes) == {"added": ["archive", "f3"], "changed": ["f2"], "removed": []}


def test_a_removed_element_lists_what_it_had():
    old = BASE + '<bpmn:textAnnotation id="note"><bpmn:text>说明</bpmn:text></bpmn:textAnnotation>'
    changes = compare(model(old), model(BASE))
    assert [(c.element_id, c.state, c.type) for c in changes] == [("note", "removed", "textAnnotation")]
    assert changes[0].properties == (PropertyChange("text", "说明", None),)


def test_conditions_camunda_attributes_and_extension_properties_are_compared():
    new = (BASE.replace("approved</", "approved and score &gt;= 60</")
           .replace('camunda:dueDate="P5D"', 'camunda:dueDate="P10D"')
           .replace('value="standard"', 'value="short"'))
    changes = compare(model(BASE), model(new))
    assert [(c.element_id, c.properties) for c in changes] == [
        ("review", (PropertyChange("camunda:dueDate", "P5D", "P10D"),
                    PropertyChange("extensionElements/camunda:properties/camunda:property[ladder] value",
                                   "standard", "short"))),
        ("f2", (PropertyChange("conditionExpression", "approved", "approved and score >= 60"),)),
    ]


def test_a_task_whose_type_changed_is_one_changed_element():
    changes = compare(model(BASE), model(BASE.replace("userTask", "manualTask")))
    assert [(c.element_id, c.state, c.type) for c in changes] == [("review", "changed", "manualTask")]
    assert changes[0].properties[0] == PropertyChange("type", "userTask", "manualTask")


def test_a_file_added_or_removed_marks_all_its_elements():
    added = compare(None, model(BASE))
    assert {c.state for c in added} == {"added"}
    assert [c.element_id for c in added] == ["p", "start", "review", "end", "f1", "f2"]
    assert [c.element_id for c in compare(model(BASE), None)] == ["p", "start", "review", "end", "f1", "f2"]
