"""Self-evaluation and key evaluation scores, and the selection for key evaluation and spot-checks.

Hand-computed examples carry their arithmetic in comments; property tests check that a score stays within 0–100
and never falls when a result improves.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.evaluation_selection import (
    evaluation_kind,
    key_selected,
    spot_check_bucket,
    spot_check_selected,
)
from service.domain.grades import grade
from service.domain.scoring import key_score, parse_indicators, parse_results, self_score
from service.errors import InvalidInput

# seeds/rules.json
WEIGHTS = {"execution": 10, "outputs": 50, "effects": 30, "satisfaction": 10}
BANDS = {"achieved": [80, 100], "partly": [60, 80], "not_achieved": [0, 60]}
FLOORS = {"优": 90, "良": 80, "中": 60}
KEY_WEIGHTS = {"decision": 20, "process": 20, "output": 30, "effect": 30}
FOCUS = ["agriculture", "education", "health", "social_security", "environment", "housing", "transfer", "enterprise"]


def ind(name: str, category: str, comparator: str, target: Any, weight: float) -> dict[str, Any]:
    return {"name": name, "category": category, "comparator": comparator, "target": target, "weight": weight}


def score(indicators: list[dict[str, Any]], results: list[dict[str, Any]], executed: float, budget: float,
          empty_group: str = "redistribute") -> dict[str, Any]:
    parsed = parse_indicators(indicators)
    return self_score(parsed, parse_results(results, parsed, BANDS), executed_amount=executed,
                      budget_amount=budget, weights=WEIGHTS, empty_group=empty_group)


SCHOOL = [
    ind("新建校舍", "quantity", ">=", 10, 30),
    ind("验收合格率", "quality", ">=", 95, 20),
    ind("受益学生", "social", ">=", 5000, 30),
    ind("家长满意度", "satisfaction", ">=", 90, 10),
]


def test_example_a_every_group_present_is_excellent():
    # execution 900,000 / 1,000,000 = 90 % → 10 × 0.9 = 9
    # outputs 50 split 30:20 → 30 and 20 points; 新建校舍 8/10 → 30 × 0.8 = 24; 合格率 98 ≥ 95 → 20 → 44
    # effects 30: 受益学生 5000 ≥ 5000 → 30
    # satisfaction 10: 85 < 90 → 10 × 85/90 = 9.4444…
    # total 9 + 44 + 30 + 9.4444 = 92.4444 → 92.44 → 优
    results = [{"name": "新建校舍", "actual": 8}, {"name": "验收合格率", "actual": 98},
               {"name": "受益学生", "actual": 5000}, {"name": "家长满意度", "actual": 85}]
    out = score(SCHOOL, results, 900_000, 1_000_000)
    assert out["score"] == 92.44 and grade(out["score"], FLOORS) == "优"
    assert out["parts"]["execution"] == {"rate": 90.0, "points": 10.0, "score": 9.0}
    assert out["parts"]["outputs"]["score"] == 44.0 and out["parts"]["satisfaction"]["score"] == 9.4444


ROADS = [
    ind("工程完工率", "quantity", ">=", 100, 20),
    ind("单位造价", "cost", "<=", 200, 20),
    ind("工期", "timeliness", "range", "10..12", 10),
    ind("群众出行改善", "social", "qualitative", "明显改善", 30),
    ind("绿化面积", "ecological", ">=", 50, 10),
]
ROADS_RESULTS = [{"name": "工程完工率", "actual": 90}, {"name": "单位造价", "actual": 250},
                 {"name": "工期", "actual": 15}, {"name": "群众出行改善", "band": "partly", "percent": 70},
                 {"name": "绿化面积", "actual": 40}]


def test_example_b_no_satisfaction_indicator_redistributes_its_points_is_good():
    # no satisfaction indicator: its 10 points go to outputs and effects 50:30 → 56.25 and 33.75
    # execution 1,300,000 / 1,200,000 = 108.3 % → capped at 100 % → 10
    # outputs 56.25 split 20:20:10 → 22.5, 22.5, 11.25
    #   完工率 90/100 → 22.5 × 0.9 = 20.25; 造价 ≤ 200 but 250 → 22.5 × 200/250 = 18;
    #   工期 range 10..12, 15 is above → 11.25 × 12/15 = 9  → 47.25
    # effects 33.75 split 30:10 → 25.3125 and 8.4375
    #   出行改善 partly at 70 % → 17.71875; 绿化 40/50 → 6.75 → 24.46875
    # total 10 + 47.25 + 24.46875 = 81.71875 → 81.72 → 良
    out = score(ROADS, ROADS_RESULTS, 1_300_000, 1_200_000)
    assert out["score"] == 81.72 and grade(out["score"], FLOORS) == "良"
    assert out["parts"]["satisfaction"] == {"points": 0.0, "score": 0.0, "indicators": []}


def test_example_c_the_zero_policy_scores_an_empty_group_zero_is_medium():
    # same as B with rule evaluation.empty_group_points = "zero": outputs 50 → 20×0.9 + 20×0.8 + 10×0.8 = 42;
    # effects 30 → 22.5 × 0.7 + 7.5 × 0.8 = 21.75; total 10 + 42 + 21.75 = 73.75 → 中
    out = score(ROADS, ROADS_RESULTS, 1_300_000, 1_200_000, empty_group="zero")
    assert out["score"] == 73.75 and grade(out["score"], FLOORS) == "中"


def test_example_d_a_poor_project_is_poor():
    # execution 50 % → 5; outputs 40/100 → 50 × 0.4 = 20; effects not achieved, percent defaults to the band's
    # top 60 % → 30 × 0.6 = 18; satisfaction 45/90 → 10 × 0.5 = 5; total 48 → 差
    indicators = [ind("培训人次", "quantity", ">=", 100, 1), ind("就业率提升", "economic", "qualitative", "提升", 1),
                  ind("满意度", "satisfaction", ">=", 90, 1)]
    results = [{"name": "培训人次", "actual": 40}, {"name": "就业率提升", "band": "not_achieved"},
               {"name": "满意度", "actual": 45}]
    out = score(indicators, results, 500_000, 1_000_000)
    assert out["score"] == 48.0 and grade(out["score"], FLOORS) == "差"


@pytest.mark.parametrize("satisfaction, expected_score, expected_grade", [
    # 10 + 50 + effects 900/1000 × 30 = 27 + satisfaction 10 × actual/100
    (29.95, 90.0, "优"),   # 87 + 2.995 = 89.995 → rounds half up to 90.00 → 优
    (29.94, 89.99, "良"),  # 87 + 2.994 = 89.994 → 89.99 → 良
])
def test_rounding_at_the_boundary_decides_the_grade(satisfaction, expected_score, expected_grade):
    indicators = [ind("完成量", "quantity", ">=", 1, 1), ind("效益", "economic", ">=", 1000, 1),
                  ind("满意度", "satisfaction", ">=", 100, 1)]
    results = [{"name": "完成量", "actual": 1}, {"name": "效益", "actual": 900},
               {"name": "满意度", "actual": satisfaction}]
    out = score(indicators, results, 100, 100)
    assert out["score"] == expected_score and grade(out["score"], FLOORS) == expected_grade


def test_equal_comparator_scores_the_side_missed():
    # target = 20: 16 is short → 16/20 = 0.8; 25 is over → 20/25 = 0.8; outputs worth 50 + 10 redistributed
    # from satisfaction (50:30) = 56.25 → 45; effects 33.75 full; execution 10 → 88.75
    base = [ind("班额", "quality", "=", 20, 1), ind("效益", "social", ">=", 1, 1)]
    for actual in (16, 25):
        results = [{"name": "班额", "actual": actual}, {"name": "效益", "actual": 1}]
        assert score(base, results, 1, 1)["score"] == 88.75


@pytest.mark.parametrize("results, field", [
    ([{"name": "新建校舍", "actual": 8}], "indicator_results"),  # three indicators without a result
    ([{"name": "未批复指标", "actual": 1}], "indicator_results/0/name"),
    ([{"name": "新建校舍"}], "indicator_results/0/actual"),
])
def test_incomplete_or_unknown_results_name_the_field(results, field):
    with pytest.raises(InvalidInput) as err:
        score(SCHOOL, results, 1, 1)
    assert err.value.errors[0]["field"] == field


def test_a_qualitative_percentage_outside_its_band_is_refused():
    results = [dict(r) for r in ROADS_RESULTS]
    results[3]["percent"] = 85  # "partly" is 60–80 %
    with pytest.raises(InvalidInput) as err:
        score(ROADS, results, 1, 1)
    assert err.value.errors[0]["field"] == "indicator_results/3/percent"


def test_key_evaluation_example():
    # 决策 20: sub-indicators 10@90 % and 10@70 % → 80 % → 16
    # 过程 20: 1@100 % → 20
    # 产出 30: 60@90 % and 40@80 % → 54 + 32 = 86 % → 25.8
    # 效益 30: 1@75 % → 22.5
    # total 16 + 20 + 25.8 + 22.5 = 84.3 → 良
    framework = {
        "decision": [{"name": "立项依据", "weight": 10, "score": 90}, {"name": "目标设定", "weight": 10, "score": 70}],
        "process": [{"name": "资金管理", "weight": 1, "score": 100}],
        "output": [{"name": "数量", "weight": 60, "score": 90}, {"name": "质量", "weight": 40, "score": 80}],
        "effect": [{"name": "社会效益", "weight": 1, "score": 75}],
    }
    out = key_score(framework, KEY_WEIGHTS)
    assert out["score"] == 84.3 and grade(out["score"], FLOORS) == "良"
    assert out["parts"]["output"] == {"points": 30.0, "achieved": 86.0, "score": 25.8}


def test_key_evaluation_needs_every_dimension():
    with pytest.raises(InvalidInput) as err:
        key_score({"decision": [{"name": "x", "weight": 1, "score": 50}]}, KEY_WEIGHTS)
    assert err.value.errors[0]["field"] == "framework/process"


# --- properties --------------------------------------------------------------------------------------------------

CATEGORIES = ["quantity", "quality", "timeliness", "cost", "economic", "social", "ecological", "sustainability",
              "satisfaction"]
numbers = st.decimals(min_value=0, max_value=10_000, places=2)


@st.composite
def evaluations(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    n = draw(st.integers(1, 6))
    indicators, results = [], []
    for i in range(n):
        comparator = draw(st.sampled_from([">=", "<=", "=", "range", "qualitative"]))
        target: Any = str(draw(numbers))
        if comparator == "range":
            target = f"{draw(numbers)}..{draw(numbers)}"
        indicators.append(ind(f"i{i}", draw(st.sampled_from(CATEGORIES)), comparator, target,
                              draw(st.integers(0, 100))))
        if comparator == "qualitative":
            band = draw(st.sampled_from(sorted(BANDS)))
            low, high = BANDS[band]
            results.append({"name": f"i{i}", "band": band, "percent": draw(st.integers(low, high))})
        else:
            results.append({"name": f"i{i}", "actual": str(draw(numbers))})
    return indicators, results


@settings(max_examples=300)
@given(evaluations(), numbers, st.decimals(min_value=1, max_value=10_000, places=2),
       st.sampled_from(["redistribute", "zero"]))
def test_a_score_is_always_between_0_and_100(case, executed, budget, policy):
    indicators, results = case
    assert 0 <= score(indicators, results, executed, budget, policy)["score"] <= 100


@settings(max_examples=300)
@given(evaluations(), st.integers(0, 5), numbers, numbers)
def test_a_better_actual_never_lowers_the_score(case, which, a, b):
    indicators, results = case
    i = which % len(indicators)
    comparator = indicators[i]["comparator"]
    if comparator not in (">=", "<="):
        return
    low, high = sorted((a, b))
    worse, better = (low, high) if comparator == ">=" else (high, low)  # ≥: more is better; ≤: less is better
    scores = []
    for actual in (worse, better):
        results[i] = {"name": indicators[i]["name"], "actual": str(actual)}
        scores.append(score(indicators, results, 1, 1)["score"])
    assert scores[0] <= scores[1]


@settings(max_examples=100)
@given(evaluations(), numbers, numbers)
def test_spending_more_of_the_budget_never_lowers_the_score(case, a, b):
    indicators, results = case
    low, high = sorted((a, b))
    assert score(indicators, results, low, 10_000)["score"] <= score(indicators, results, high, 10_000)["score"]


# --- selection -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("is_key, is_major, sector, expected", [
    (True, False, "transport", True),      # marked key: always
    (False, True, "education", True),      # major in a focus area
    (False, True, "transport", False),     # major outside the focus areas
    (False, False, "education", False),    # focus area but not major
])
def test_key_selection(is_key, is_major, sector, expected):
    assert key_selected(is_key=is_key, is_major=is_major, sector=sector, focus_sectors=FOCUS) is expected


@pytest.mark.parametrize("kind, expected", [("project", False), ("transfer", True), ("enterprise", True)])
def test_transfers_and_enterprises_always_get_a_key_evaluation(kind, expected):
    # neither key nor major, outside the focus areas: only the kind decides
    assert key_selected(is_key=False, is_major=False, sector="transport", focus_sectors=FOCUS, kind=kind) is expected


def test_the_evaluation_kind_names_its_subject():
    assert evaluation_kind({}) == ("project", None)
    assert evaluation_kind({"evaluation_kind": "transfer", "transfer_recipient": " 江岸区 "}) == ("transfer", "江岸区")
    assert evaluation_kind({"evaluation_kind": "enterprise", "enterprise_name": "武汉某新能源公司"}) == \
        ("enterprise", "武汉某新能源公司")
    with pytest.raises(InvalidInput) as missing:
        evaluation_kind({"evaluation_kind": "enterprise", "transfer_recipient": "江岸区"})
    assert missing.value.errors == [{"field": "enterprise_name", "message": "required for this evaluation kind"}]
    with pytest.raises(InvalidInput):
        evaluation_kind({"evaluation_kind": "loan"})


def test_spot_check_selection_is_a_fixed_share_chosen_by_the_project_id():
    ids = [f"2015-dept-{i:05d}" for i in range(10_000)]
    chosen = [p for p in ids if spot_check_selected(p, 20)]
    assert 1_800 <= len(chosen) <= 2_200  # 20 % of 10,000, give or take the hash's spread
    assert chosen == [p for p in ids if spot_check_selected(p, 20)]  # the same every time (replays match)
    assert not any(spot_check_selected(p, 0) for p in ids[:500]) and all(spot_check_selected(p, 100) for p in ids[:500])
    # the bucket is the first 8 bytes of the id's SHA-256, big-endian, modulo 10,000: no state, no randomness
    digest = hashlib.sha256(b"2015-dept-a-001").digest()
    assert spot_check_bucket("2015-dept-a-001") == int.from_bytes(digest[:8], "big") % 10_000


@given(st.text(min_size=1, max_size=40), st.decimals(min_value=0, max_value=100, places=2),
       st.decimals(min_value=0, max_value=100, places=2))
def test_a_larger_share_keeps_every_project_a_smaller_share_selected(project_id, a, b):
    low, high = sorted((a, b))
    assert not spot_check_selected(project_id, low) or spot_check_selected(project_id, high)
