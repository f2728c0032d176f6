"""Deployment: hardened parsing, complete validation, all-or-nothing, content-hash versions."""

from __future__ import annotations

import io

import pytest

from tests.conftest import FIXTURES, count_rows

SIMPLE = (FIXTURES / "simple.bpmn").read_bytes()


def _bpmn(body: str, pid: str = "p") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _upload(client, files: dict[str, bytes], path: str = "/api/process-models"):
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()]}
    return client.post(path, data=data, content_type="multipart/form-data")


def _assert_nothing_stored(runtime) -> None:
    for table in ("process_versions", "version_files", "process_definitions", "events"):
        assert count_rows(runtime, table) == 0, table


def _problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.content_type == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["type"] and body["title"]
    return body


def test_deploy_returns_version_and_processes(client, runtime):
    resp = _upload(client, {"simple.bpmn": SIMPLE})
    assert resp.status_code == 201
    body = resp.get_json()
    assert len(body["version"]) == 64 and body["created"] is True
    assert body["processes"] == [{"process_id": "simple", "name": "简单流程", "file": "simple.bpmn"}]
    listed = client.get("/api/process-models").get_json()
    assert listed["total"] == 1 and listed["items"][0]["version"] == body["version"]
    # The form the model references is pinned into the version.
    assert count_rows(runtime, "version_files") == 3  # the model, its task form and its start form


def test_redeploying_identical_files_is_a_no_op(client, runtime):
    first = _upload(client, {"simple.bpmn": SIMPLE}).get_json()
    again = _upload(client, {"simple.bpmn": SIMPLE})
    assert again.status_code == 200
    assert again.get_json()["version"] == first["version"] and again.get_json()["created"] is False
    assert count_rows(runtime, "process_versions") == 1
    detail = client.get("/api/process-models/simple").get_json()
    assert len(detail["versions"]) == 1


def test_malformed_xml_rejected_with_line_and_nothing_stored(client, runtime):
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n' \
             b"  <bpmn:process id='p'>\n  </bpmn:proces>\n</bpmn:definitions>\n"
    body = _problem(_upload(client, {"broken.bpmn": broken}), 422)
    [err] = body["errors"]
    assert err["file"] == "broken.bpmn" and err["line"] == 4 and "malformed XML" in err["message"]
    _assert_nothing_stored(runtime)


def test_xxe_upload_rejected(client, runtime, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation>
  <bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>""".encode()
    resp = _upload(client, {"xxe.bpmn": xxe})
    body = _problem(resp, 422)
    assert "DOCTYPE" in body["errors"][0]["message"]
    assert "TOP-SECRET" not in resp.get_data(as_text=True)
    _assert_nothing_stored(runtime)


def test_billion_laughs_rejected_quickly(client, runtime):
    lol = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        lol += f' <!ENTITY lol{i} "{("&" + prev + ";") * 10}">\n'
    lol += ']>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>'
    body = _problem(_upload(client, {"lol.bpmn": lol.encode()}), 422)
    assert "DOCTYPE" in body["errors"][0]["message"]
    _assert_nothing_stored(runtime)


def test_unsupported_element_named_with_its_line(client, runtime):
    model = _bpmn("""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:complexGateway id="cg"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:complexGateway>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="cg"/>
    <bpmn:sequenceFlow id="f2" sourceRef="cg" targetRef="e"/>""")
    body = _problem(_upload(client, {"complex.bpmn": model}), 422)
    [err] = [e for e in body["errors"] if e["element_id"] == "cg"]
    assert err["line"] == 6 and "complexGateway" in err["message"]
    _assert_nothing_stored(runtime)


def _user_task_model(form_key: str) -> bytes:
    return _bpmn(f"""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u" camunda:formKey="{form_key}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>""")


def test_missing_form_file_reported(client, runtime):
    model = _user_task_model("no_such_form")
    body = _problem(_upload(client, {"m.bpmn": model}), 422)
    [err] = body["errors"]
    assert err["element_id"] == "u" and err["line"] == 6 and "no_such_form" in err["message"]
    _assert_nothing_stored(runtime)


def test_uploaded_form_satisfies_form_key(client, runtime):
    model = _user_task_model("uploaded_form")
    form = b'{"type": "object", "properties": {"x": {"type": "integer"}}}'
    resp = _upload(client, {"m.bpmn": model, "uploaded_form.schema.json": form})
    assert resp.status_code == 201, resp.get_json()


@pytest.mark.parametrize("script", ["import os\nx = os.getcwd()", "from subprocess import run",
                                    "x = open('/etc/hostname').read()", "x = ().__class__.__bases__"])
def test_dangerous_script_refused_at_deploy(client, runtime, script):
    model = _bpmn(f"""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="evil" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="evil"/>
    <bpmn:sequenceFlow id="f2" sourceRef="evil" targetRef="e"/>""")
    body = _problem(_upload(client, {"evil.bpmn": model}), 422)
    assert body["errors"][0]["element_id"] == "evil"
    _assert_nothing_stored(runtime)


def test_bad_timer_and_condition_found_at_deploy(client, runtime):
    model = _bpmn("""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="f3"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>P1X</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="wait"><bpmn:conditionExpression>amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="e"/>
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="e"/>""")
    body = _problem(_upload(client, {"m.bpmn": model}), 422)
    ids = {e["element_id"] for e in body["errors"]}
    assert {"td", "f2"} <= ids
    _assert_nothing_stored(runtime)


def test_validate_endpoint_stores_nothing(client, runtime):
    resp = _upload(client, {"simple.bpmn": SIMPLE}, "/api/process-models/validate")
    assert resp.status_code == 200 and resp.get_json()["valid"] is True
    _assert_nothing_stored(runtime)


def test_wrong_file_type_and_empty_upload(client, runtime):
    body = _problem(_upload(client, {"notes.txt": b"hello"}), 422)
    assert body["errors"][0]["file"] == "notes.txt"
    resp = client.post("/api/process-models", data={}, content_type="multipart/form-data")
    _problem(resp, 422)
    _assert_nothing_stored(runtime)


def test_oversized_upload_is_413(client, runtime):
    big = b"<a>" + b" " * (runtime.settings.max_upload_bytes + 10) + b"</a>"
    _problem(_upload(client, {"big.bpmn": big}), 413)
    _assert_nothing_stored(runtime)


def test_structural_error_points_at_element(client, runtime):
    model = _bpmn("""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="t"><bpmn:incoming>f1</bpmn:incoming></bpmn:task>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>""")
    body = _problem(_upload(client, {"m.bpmn": model}), 422)
    [err] = body["errors"]
    assert err["element_id"] == "t" and err["line"] == 6 and "outgoing" in err["message"]


def test_flow_to_a_missing_element_names_the_flow_and_the_missing_id(client, runtime):
    model = _bpmn("""    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>""")
    body = _problem(_upload(client, {"missing.bpmn": model}), 422)
    assert body["detail"] == ('1 problem(s) in the uploaded model: sequence flow f1 has targetRef="approve": '
                              "no element with that id in missing.bpmn")
    assert body["errors"] == [{"file": "missing.bpmn", "line": 7, "element_id": "f1",
                               "message": 'sequence flow f1 has targetRef="approve": no element with that id '
                                          "in missing.bpmn", "code": "flow_missing_target",
                               "params": {"flow": "f1", "ref": "approve", "file": "missing.bpmn"}}]
    _assert_nothing_stored(runtime)
