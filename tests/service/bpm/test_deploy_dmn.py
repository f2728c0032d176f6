"""DMN tables deploy with their process, run in the restricted engine, and bad entries are found at deploy."""

from __future__ import annotations

import pytest

from service.errors import InvalidModel
from tests.conftest import count_rows, fixture_files


@pytest.mark.parametrize("score, grade", [(95, "优"), (90, "优"), (85, "良"), (60, "中"), (59.5, "差")])
def test_grade_table_decides(runtime, deploy_fixture, score, grade):
    deploy_fixture("grading.bpmn", "grade.dmn")
    row = runtime.workflows.start("grading", {"score": score})
    assert row["status"] == "completed" and f'"grade":"{grade}"' in row["data"]


def test_feel_range_and_import_in_dmn_refused_at_deploy(runtime, deploy_fixture):
    files = fixture_files("grading.bpmn", "grade.dmn")
    files["grade.dmn"] = (files["grade.dmn"].replace(b"&gt;= 90", b"[90..100]")
                          .replace(b'"\xe8\x89\xaf"', b"__import__('os')"))
    with pytest.raises(InvalidModel) as info:
        deploy_fixture(files=files)
    found = {(e["element_id"], e["file"]) for e in info.value.errors}
    assert ("r1_in", "grade.dmn") in found and ("r2_out", "grade.dmn") in found
    assert all(e["line"] for e in info.value.errors)
    assert count_rows(runtime, "process_versions") == 0
