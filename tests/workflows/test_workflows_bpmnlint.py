"""The models in workflows/ pass bpmnlint's recommended rules as .bpmnlintrc sets them (fake joins and gateways
that fork and join are errors): the same run as `make lint`, from the node_modules `make assets` installs."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"


def test_workflows_pass_bpmnlint():
    assert BPMNLINT.exists(), "run `make assets` (npm ci installs bpmnlint)"
    models = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflows").glob("*.bpmn"))
    run = subprocess.run([str(BPMNLINT), *models], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " error " not in run.stdout and "fake-join" not in run.stdout and "no-gateway-join-fork" not in run.stdout


def test_bpmnlint_reports_a_fake_join(tmp_path):
    # the rule is live: a task two flows enter without a joining gateway fails the run
    from tests.service.web.test_designer_browser import FAKE_JOIN

    (tmp_path / "notice.bpmn").write_text(FAKE_JOIN, encoding="utf-8")
    run = subprocess.run([str(BPMNLINT), str(tmp_path / "notice.bpmn")], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 1
    assert [line.split() for line in run.stdout.splitlines() if "fake-join" in line] == [
        ["sign", "error", "Incoming", "flows", "do", "not", "join", "fake-join"]]
