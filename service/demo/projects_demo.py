"""About 400 projects across the plan's sectors for the demo municipality, generated reproducibly."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal

# Project names by sector: what a municipal budget actually funds.
NAMES: dict[str, list[str]] = {
    "education": ["义务教育学校标准化建设", "学前教育普惠补助", "中小学教师培训", "职业教育实训基地",
                  "学生营养改善计划", "校舍安全改造", "教育信息化建设", "家庭经济困难学生资助"],
    "health": ["基本公共卫生服务", "重大传染病防控", "基层医疗机构能力提升", "妇幼健康服务", "家庭医生签约服务",
               "医疗急救体系建设", "公立医院改革补助", "健康城市建设"],
    "social_security": ["城乡居民养老保险补助", "就业创业扶持", "困难群众救助", "养老服务体系建设", "公益性岗位补贴",
                        "残疾人康复服务", "职工技能提升培训", "优抚对象补助"],
    "agriculture": ["高标准农田建设", "农村饮水安全工程", "农业产业化龙头企业扶持", "动物疫病防控", "农机购置补贴",
                    "农村人居环境整治", "种业振兴行动", "农产品质量安全监管"],
    "environment": ["大气污染防治", "水污染治理", "湖泊保护与修复", "生态园林建设", "污水处理设施运营补助",
                    "土壤污染防治", "节能减排专项", "城市绿道建设"],
    "housing": ["公共租赁住房建设", "棚户区改造", "老旧小区改造", "住房租赁补贴", "保障性住房运营维护"],
    "transfer": ["对区转移支付（教育）", "对区转移支付（社会保障）", "对区均衡性转移支付", "对区生态补偿转移支付"],
    "enterprise": ["中小企业发展专项", "工业转型升级补助", "科技型企业贷款贴息", "商贸流通体系建设", "国企改革专项",
                   "外贸发展促进"],
    "transport": ["公交运营补贴", "农村公路养护", "轨道交通建设资本金", "交通安全设施改造"],
    "culture": ["公共文化服务体系建设", "文物保护修缮", "全民健身设施建设", "文艺精品创作扶持", "档案数字化"],
    "science": ["科技创新平台建设", "科技成果转化补助", "科普能力建设", "重点研发计划"],
    "public_safety": ["社会治安防控体系建设", "应急物资储备", "消防救援能力提升", "法律援助", "人防工程维护"],
    "administration": ["政务服务平台运维", "统计调查专项", "机关办公用房维修", "大数据中心建设", "信访事项办理"],
    "urban": ["市政道路维修", "城市照明设施改造", "环卫作业市场化补助", "国土空间规划编制", "排水管网建设"],
}


@dataclass(frozen=True)
class DemoProject:
    id: str
    fiscal_year: int
    department_id: str
    name: str
    sector: str
    amount: Decimal
    kind: str = "project"
    is_key: bool = False
    predecessor_id: str | None = None  # the same project of an earlier year, continued
    # what its evaluation evaluates when not the project itself: the start form's evaluation_kind with
    # transfer_recipient / enterprise_name (service/domain/evaluation_selection.py); empty for a project
    evaluation: tuple[tuple[str, str], ...] = ()


# Last year's key projects the demo shows in full (their evaluations finished, graded, reported): the plan's other
# evaluation kinds (二(三)3一是), a transfer to the lower level and an enterprise's use of fiscal funds, and a district
# project whose key results go to the district's government (一(四)); (id suffix, department, name, sector, amount,
# start data of the evaluation, share of the targets reached: the grade).
Subject = tuple[str, str, str, str, Decimal, tuple[tuple[str, str], ...], float]
KEY_SUBJECTS: tuple[Subject, ...] = (
    ("jyj-zyzf", "jyj", "对江岸区义务教育均衡发展专项转移支付", "transfer", Decimal(18_000_000),
     (("evaluation_kind", "transfer"), ("transfer_recipient", "江岸区")), 0.95),
    ("jxj-qyzj", "jxj", "工业转型升级补助（武汉江城汽车零部件有限公司智能化改造）", "enterprise", Decimal(6_800_000),
     (("evaluation_kind", "enterprise"), ("enterprise_name", "武汉江城汽车零部件有限公司")), 1.0),
    ("jaq-jyj-kfw", "jaq-jyj", "江岸区中小学课后服务经费补助", "education", Decimal(5_600_000), (), 1.0),
)


def _amount(rng: random.Random, major: bool) -> Decimal:
    if major:
        value = rng.choice([5_200_000, 6_800_000, 8_500_000, 12_000_000, 18_000_000, 26_000_000, 45_000_000])
    else:
        value = rng.choice([180_000, 350_000, 600_000, 850_000, 1_200_000, 1_800_000, 2_600_000, 3_500_000,
                            4_200_000])
    return Decimal(value)


def generate(departments: list[dict], years: list[int], per_department: dict[str, int] | None = None,
             seed: int = 2014) -> list[DemoProject]:
    """Projects for each first-level department and year: names from its sector (and a transfer or enterprise
    project now and then), about a fifth of them major, the focus sectors' major ones key."""
    rng = random.Random(seed)
    out: list[DemoProject] = []
    for year in years:
        for dept in departments:
            n = (per_department or {}).get(dept["id"], 3)
            sector = dept.get("sector") or "administration"
            names = list(NAMES.get(sector, NAMES["administration"]))
            rng.shuffle(names)
            for i in range(n):
                s = sector
                if i == n - 1 and dept["id"] == "fgw":
                    s, name = "transfer", rng.choice(NAMES["transfer"])
                else:
                    name = names[i % len(names)] + ("" if i < len(names) else f"（{i // len(names) + 1}期）")
                major = rng.random() < 0.2
                out.append(DemoProject(id=f"{year}-{dept['id']}-{i + 1:02d}", fiscal_year=year,
                                       department_id=dept["id"], name=name, sector=s, amount=_amount(rng, major),
                                       is_key=major and rng.random() < 0.6))
    return out


def continued(earlier: list[DemoProject], later: list[DemoProject]) -> list[DemoProject]:
    """The later year's projects with each department's first one continuing the department's first project of
    the earlier year (same name and sector, the predecessor named): the year N results known while the budget of
    N + 2 is prepared, so the N + 2 goal review shows the N grade."""
    first: dict[str, DemoProject] = {}
    for p in earlier:
        if p.kind == "project" and not p.evaluation:
            first.setdefault(p.department_id, p)
    out, linked = [], set()
    for p in later:
        if p.evaluation:
            out.append(p)
            continue
        before = first.get(p.department_id)
        if before is not None and p.department_id not in linked and p.kind == "project":
            linked.add(p.department_id)
            p = replace(p, name=before.name, sector=before.sector, predecessor_id=before.id)
        out.append(p)
    return out


def whole_department(departments: list[dict], year: int, share: float, seed: int = 2015) -> list[DemoProject]:
    """Whole-department spending items (部门整体支出) for a share of the first-level departments (the pilots)."""
    rng = random.Random(seed + year)
    chosen = sorted(rng.sample(departments, max(1, round(len(departments) * share))), key=lambda d: d["id"])
    return [DemoProject(id=f"{year}-{d['id']}-dept", fiscal_year=year, department_id=d["id"],
                        name=f"{d['name']}部门整体支出", sector=d.get("sector") or "administration",
                        amount=Decimal(rng.choice([30_000_000, 48_000_000, 65_000_000, 90_000_000])), kind="department")
                   for d in chosen]


def key_subjects(departments: list[dict], year: int) -> list[DemoProject]:
    """The year's KEY_SUBJECTS of the departments there are, all key."""
    have = {d["id"] for d in departments}
    return [DemoProject(id=f"{year}-{suffix}", fiscal_year=year, department_id=dept, name=name, sector=sector,
                        amount=amount, is_key=True, evaluation=evaluation)
            for suffix, dept, name, sector, amount, evaluation, _reached in KEY_SUBJECTS if dept in have]


def _subject(project_id: str) -> Subject | None:
    return next((k for k in KEY_SUBJECTS if project_id.endswith(f"-{k[0]}")), None)


def evaluation_of(project_id: str) -> dict[str, str]:
    """The start data naming what a demo project's evaluation evaluates (empty: the project itself)."""
    found = _subject(project_id)
    return dict(found[5]) if found else {}


def shown_in_full(project_id: str) -> float | None:
    """For one of KEY_SUBJECTS, the share of its targets reached (its story is told to the end); else None."""
    found = _subject(project_id)
    return found[6] if found else None
