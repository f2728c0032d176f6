"""In Chromium: a process designer uploads a broken BPMN file, sees the error with its line and element (marked in
the modeler), uploads the fixed file and deploys it; the version list, diff and modeler follow."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.service.web.browser_fixtures import screenshot

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
        # the tables show the new version without a reload
        expect(designer.locator("#versions tbody tr")).to_have_count(2)
        expect(designer.locator("#processes")).to_contain_text(designer.locator("#versions tbody tr code").first
                                                               .inner_text())
        designer.click("#show-diff")
        # the renamed task: marked on both diagrams, one table row with its name before and after
        expect(designer.locator(".diff-new[data-ready='1'] g.djs-element.mark-changed[data-element-id='sign']")
               ).to_have_count(1)
        expect(designer.locator(".diff-old[data-ready='1'] g.djs-element.mark-changed[data-element-id='sign']")
               ).to_have_count(1)
        row = designer.locator("table.element-changes tr[data-element='sign']")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("签收通知")
        expect(row).to_contain_text("签收并回执")
        expect(row).to_contain_text("名称")
        expect(designer.locator("pre.diff")).not_to_be_visible()  # the XML only behind "show XML"
        screenshot(designer, "designer-3-diff")

    # Other roles do not design.
    staff = pages.open("staff_a")
    staff.goto(pages.url("/designer"))
    expect(staff.locator(".error")).to_contain_text("您的角色不允许此操作")


# a second start event whose flow enters the task beside the first one's: a fake join
FAKE_JOIN = MODEL.format(group="department_staff").replace(
    '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end" />',
    '<bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end" />\n'
    '    <bpmn:startEvent id="again" name="再次" />\n'
    '    <bpmn:sequenceFlow id="f3" sourceRef="again" targetRef="sign" />').replace(
    '</bpmndi:BPMNPlane>',
    '<bpmndi:BPMNShape id="again_di" bpmnElement="again"><dc:Bounds x="100" y="200" width="36" height="36" />'
    '</bpmndi:BPMNShape><bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="136" y="218" />'
    '<di:waypoint x="250" y="218" /><di:waypoint x="250" y="158" /></bpmndi:BPMNEdge></bpmndi:BPMNPlane>').replace(
    '<bpmn:incoming>f1</bpmn:incoming>', '<bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>')


def test_modeler_gives_modelling_advice_and_its_panel_speaks_chinese(runtime, pages, assets):
    if not assets:
        pytest.skip("without the npm assets there is no modeler (test_pages checks the notice)")
    designer = pages.open("designer")
    designer.goto(pages.url("/designer"))
    expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
    designer.evaluate("xml => window.jixiaoModeler.importXML(xml)", FAKE_JOIN)
    # bpmnlint's fake-join rule (an error in .bpmnlintrc) marks the task the two flows enter, in Chinese (the
    # two start events and the unnamed ones have advice of their own)
    overlay = designer.locator(".djs-overlays[data-container-id='sign'] .bjsl-overlay")
    expect(overlay).to_have_count(1)
    expect(designer.locator(".bjsl-button")).to_contain_text("个错误")
    designer.locator("g.djs-element[data-element-id='sign']").click()
    expect(designer.locator("#properties")).to_contain_text("常规")
    expect(designer.locator("#properties")).to_contain_text("办理人分配")
    overlay.hover()
    expect(overlay.locator(".bjsl-dropdown")).to_contain_text("多条流入的顺序流没有汇合")
    screenshot(designer, "designer-4-advice")

    designer.goto(pages.url("/designer?lang=en"))
    expect(designer.locator("#modeler[data-ready='1']")).to_be_visible()
    designer.evaluate("xml => window.jixiaoModeler.importXML(xml)", FAKE_JOIN)
    expect(designer.locator(".bjsl-button")).to_contain_text("Errors")
    designer.locator("g.djs-element[data-element-id='sign']").click()
    expect(designer.locator("#properties")).to_contain_text("User assignment")
