"""The indicator library: searching common indicators, departments' individual ones confirmed by the bureau."""

from __future__ import annotations

import pytest

from service import db
from service.errors import InvalidInput, NotFound
from service.libraries import indicators
from service.runtime import Runtime
from tests.conftest import START


def test_search_by_sector_includes_the_general_indicators(libraries: Runtime) -> None:
    with db.read(libraries.engine) as conn:
        health = indicators.list_indicators(conn, sector="health", level=3, per_page=200)
        satisfaction = indicators.list_indicators(conn, sector="health", category="satisfaction", per_page=200)
        found = indicators.list_indicators(conn, q="预算执行")
        english = indicators.list_indicators(conn, q="budget EXECUTION")
    sectors = {tuple(i["sectors"]) for i in health["items"]}
    assert sectors == {(), ("health",)} and health["total"] >= 12
    assert {i["name"] for i in satisfaction["items"]} >= {"患者满意度", "服务对象满意度"}
    assert [i["code"] for i in found["items"]] == [i["code"] for i in english["items"]] == ["GEN-04"]
    assert found["items"][0]["standards"]["plan"] == 100


def test_a_department_proposes_an_individual_indicator_once_and_the_bureau_confirms_it(libraries: Runtime) -> None:
    with db.write(libraries.engine) as conn:
        code = indicators.propose_individual(conn, department_id="dept-a", name="校园安全隐患整改率",
                                             category="quality", unit="%", now=START)
        again = indicators.propose_individual(conn, department_id="dept-a", name=" 校园安全隐患整改率 ",
                                              category="quality", unit="%", now=START)
        other = indicators.propose_individual(conn, department_id="dept-b", name="校园安全隐患整改率",
                                              category="quality", unit="%", now=START)
        proposed = indicators.get_indicator(conn, code)
        confirmed = indicators.confirm(conn, code)
    assert again == code != other
    assert proposed["scope"] == "individual" and proposed["status"] == "proposed"
    assert proposed["proposed_by"] == "dept-a" and proposed["sectors"] == ["education"]
    assert proposed["level"] == 3 and proposed["parent_code"] == "L2-quality"
    assert confirmed["status"] == "confirmed"


def test_a_proposal_with_an_unknown_category_or_department_is_refused(libraries: Runtime) -> None:
    with pytest.raises(InvalidInput) as err, db.write(libraries.engine) as conn:
        indicators.propose_individual(conn, department_id="nowhere", name="x", category="output", unit=None,
                                      now=START)
    assert {e["field"] for e in err.value.errors} == {"category", "department_id"}
    with pytest.raises(NotFound), db.write(libraries.engine) as conn:
        indicators.confirm(conn, "P-nowhere-001")
