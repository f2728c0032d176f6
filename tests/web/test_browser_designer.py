"""In Chromium: a process designer uploads a broken BPMN file, sees the error with its line and element (marked in
the modeler), uploads the fixed file and deploys it; the version list, diff and modeler follow."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import screenshot

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_notice" targetNamespace="http://jixiao.example/bpmn">
  <bpmn:process id="notice" name="通知签收" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="签收通知" camunda:candidateGroups="{group}" camunda:dueDate="P3D">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="notice">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="sign_di" bpmnElement="sign"><dc:Bounds x="200" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="360" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="300" y="118" /><di:waypoint x="360" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _upload(page, text: str, button: str) -> None:
    page.set_input_files("#files", files=[{"name": "notice.bpmn", "mimeType": "application/xml",
                                           "buffer": text.encode("utf-8")}])
    page.click(button)


def test_designer_fixes_a_broken_model_and_deploys(runtime, pages, assets):
    designer = pages.open("designer")
    designer.get_by_role("link", name="流程设计").first.click()

    _upload(designer, MODEL.format(group="department_clerk"), "#upload-deploy")
    errors = designer.locator("#designer-errors")
    expect(errors).to_contain_text("notice.bpmn · 第 10 行 · 元素 sign")
    expect(errors).to_contain_text("department_clerk")
    if assets:  # the rejected file opens in the modeler with the faulty element marked
        expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
        expect(designer.locator("g.djs-element.mark-invalid[data-element-id='sign']")).to_have_count(1)
    screenshot(designer, "designer-1-broken-model")
    expect(designer.locator("#processes")).not_to_contain_text("notice")  # nothing half-deployed

    _upload(designer, MODEL.format(group="department_staff"), "#upload-validate")
    expect(designer.locator("#designer-result")).to_contain_text("模型校验通过")
    _upload(designer, MODEL.format(group="department_staff"), "#upload-deploy")
    expect(designer.locator("#designer-result")).to_contain_text("已发布版本")
    expect(designer.locator("#processes")).to_contain_text("notice")
    screenshot(designer, "designer-2-deployed")

    if assets:
        # Open it in the modeler; the properties panel shows the Camunda attributes; deploy an edit from there.
        designer.goto(pages.url("/designer?edit=notice"))
        expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
        designer.locator("g.djs-element[data-element-id='sign']").click()
        expect(designer.locator("#properties")).to_contain_text("签收通知")
        designer.evaluate("""() => {
            const modeler = window.jixiaoModeler;
            const sign = modeler.get('elementRegistry').get('sign');
            modeler.get('modeling').updateProperties(sign, {name: '签收并回执'});
        }""")
        designer.click("#model-deploy")
        expect(designer.locator("#model-result")).to_contain_text("已发布版本")
        designer.reload()
        expect(designer.locator("#versions tbody tr")).to_have_count(2)
        designer.click("#show-diff")
        expect(designer.locator("pre.diff")).to_contain_text("签收并回执")
        screenshot(designer, "designer-3-diff")

    # Other roles do not design.
    staff = pages.open("staff_a")
    staff.goto(pages.url("/designer"))
    expect(staff.locator(".error")).to_contain_text("您的角色不允许此操作")
