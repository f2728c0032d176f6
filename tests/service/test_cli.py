"""The `jixiao` command: deploy a folder, report model errors with a non-zero exit."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from service.cli import main
from service.config import ROOT
from tests.conftest import FIXTURES, count_rows


def test_deploy_directory_and_redeploy_is_unchanged(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    runner = CliRunner()
    first = runner.invoke(main, ["deploy", str(ROOT / "workflows")])
    assert first.exit_code == 0, first.output
    assert "deployed" in first.output and "goal_review" in first.output
    again = runner.invoke(main, ["deploy", str(ROOT / "workflows")])
    assert again.exit_code == 0 and "unchanged" in again.output
    assert count_rows(runtime, "process_versions") == 1


def test_deploy_reports_errors_with_file_line_and_element(runtime, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("JIXIAO_FORMS_DIR", str(tmp_path / "no-forms"))
    shutil.copy(FIXTURES / "simple.bpmn", tmp_path / "simple.bpmn")  # its form is missing here
    result = CliRunner().invoke(main, ["deploy", str(tmp_path)])
    assert result.exit_code == 1
    assert "simple.bpmn:" in result.output and "[fill]" in result.output and "simple_form" in result.output
    assert count_rows(runtime, "process_versions") == 0
