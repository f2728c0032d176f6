"""What the demo's departments declare is believable: each indicator's target is one of the indicator library's
standard values, with the comparator the library gives it (a mortality rate is met at or below its value, a
satisfaction rate at or above it), and the demo's actual values achieve what its scenario says in that direction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service import db
from service.demo import projects_demo
from service.demo.answers import Scenario, answer, indicators_for
from service.domain.warnings import indicator_progress
from service.libraries.seed import seed_libraries
from service.models import LibraryIndicator
from service.runtime import Runtime
from tests.conftest import START

SECTORS = sorted(projects_demo.NAMES)
# Read from the indicators' meaning, not from the seeds: these are met at or below their standard value.
LESS_IS_BETTER = {"孕产妇死亡率", "次均门诊费用增长率", "城镇登记失业率", "单位面积建安成本", "资金违规使用比例",
                  "接处警平均到达时间", "三公经费控制率", "单位面积保洁成本"}


@pytest.fixture
def library(runtime: Runtime) -> dict[str, dict]:
    """The seeded indicator library by code."""
    with db.write(runtime.engine) as conn:
        seed_libraries(conn, START)
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(LibraryIndicator.__table__)).all()
    return {r.code: {"name": r.name, "comparator": r.comparator, "quantitative": r.quantitative, "unit": r.unit,
                     "level": r.level, "standards": json.loads(r.standards or "{}")} for r in rows}


@pytest.fixture
def declared(runtime: Runtime, library: dict[str, dict]) -> dict[str, list[dict]]:
    """The indicators each sector's demo projects declare, as the goal declaration form receives them."""
    out = {}
    with runtime.engine.connect() as conn:
        for sector in SECTORS:
            declaration = answer("goal_declaration", {"project_name": "项目"}, Scenario(), 0,
                                 indicators_for(conn, sector))
            out[sector] = declaration["indicators"]
    return out


def test_every_library_indicator_says_how_its_standard_is_met(library):
    for code, ind in library.items():
        if ind["level"] != 3:
            continue
        expected = "qualitative" if not ind["quantitative"] else "<=" if ind["name"] in LESS_IS_BETTER else ">="
        assert ind["comparator"] == expected, code


def test_targets_are_the_librarys_standard_values_with_its_comparator(declared, library):
    for sector, indicators in declared.items():
        for ind in indicators:
            entry = library[ind["library_code"]]
            assert ind["target"] == entry["standards"][ind["standard_source"]], (sector, ind["name"])
            assert ind["comparator"] == entry["comparator"], (sector, ind["name"])
            assert ind["unit"] == (entry["unit"] or "项")


def test_nothing_absurd_in_a_declaration(declared):
    health = {i["name"]: (i["comparator"], i["target"]) for i in declared["health"]}
    assert health["孕产妇死亡率"] == ("<=", 15)  # per 100,000 live births: the industry's standard, at most
    assert health["患者满意度"] == (">=", 85)
    every = [i for indicators in declared.values() for i in indicators]
    assert not [i["name"] for i in every if i["unit"] == "%" and i["comparator"] == ">=" and i["target"] > 100]
    assert len({(i["comparator"], i["target"]) for i in every}) > 10  # not every target 100 with ≥
    assert {i["standard_source"] for i in every} >= {"plan", "industry"}


@pytest.mark.parametrize("achievement", [1.0, 0.88, 0.72, 0.45])
def test_the_demos_results_achieve_its_scenario_in_the_indicators_direction(declared, achievement):
    for indicators in declared.values():
        report = answer("self_evaluation", {"budget_amount": 1_000_000}, Scenario(achievement=achievement), 0,
                        indicators)
        for ind, result in zip(indicators, report["indicator_results"], strict=True):
            if ind["comparator"] == "qualitative":
                progress = result["percent"]  # in the band the scoring reads (achieved ≥ 80, partly ≥ 60)
                assert result["band"] == ("achieved" if progress >= 80 else "partly" if progress >= 60
                                          else "not_achieved")
            else:
                progress = indicator_progress(ind["comparator"], ind["target"], result["actual"])
            assert progress == pytest.approx(100 * achievement, abs=0.6), ind["name"]
