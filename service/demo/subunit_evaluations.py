"""The demo's sub-unit evaluation (the plan 二(三)3二是): the Education Bureau evaluates the whole spending of last
year of its schools (jyj-zx), through the same commands as its staff and head use; the dashboard's coverage table
then counts it in the measure subunit_evaluations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from service import db
from service.cycle import subunit_evaluations
from service.domain.roles import DEPARTMENT_HEAD, DEPARTMENT_STAFF, Principal
from service.models import Department, SubunitEvaluation

UNIT, DEPARTMENT = "jyj-zx", "jyj"
STAFF, HEAD = "jy.staff", "jy.head"
SCOPE = "直属中学上年度整体支出：基本支出、项目支出及资产管理、绩效目标完成情况"
FINDINGS = "整体支出绩效目标基本实现；个别学校实验设备闲置，资产管理台账不全，已要求限期整改"


def seed_subunit_evaluation(engine: Engine, year: int, now: datetime) -> int:
    """Open and grade the evaluation of year − 1 of the Education Bureau's schools; 0 when it exists already or
    the organisation has no such unit."""
    with db.read(engine) as conn:
        unit = conn.execute(select(Department.parent_id).where(Department.id == UNIT)).first()
        done = conn.execute(select(SubunitEvaluation.id).where(SubunitEvaluation.unit_id == UNIT,
                                                               SubunitEvaluation.fiscal_year == year - 1)).first()
    if unit is None or unit.parent_id != DEPARTMENT or done is not None:
        return 0
    staff = Principal(STAFF, DEPARTMENT, frozenset({DEPARTMENT_STAFF}))
    head = Principal(HEAD, DEPARTMENT, frozenset({DEPARTMENT_HEAD}))
    with db.write(engine) as conn:
        opened = subunit_evaluations.open_evaluation(conn, staff, now, unit_id=UNIT, fiscal_year=year - 1, scope=SCOPE)
    with db.write(engine) as conn:
        subunit_evaluations.record_grade(conn, head, now, opened["id"], score=84.5, findings=FINDINGS)
    return 1
