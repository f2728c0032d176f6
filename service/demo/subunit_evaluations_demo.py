"""The demo's sub-unit evaluations (the plan 二(三)3二是), through the same commands as the departments' staff and
heads use: the Education Bureau evaluated last year's whole spending of its schools (jyj-zx), graded; the Health
Commission opened the evaluation of its hospital (wjw-yy) in the summer and its head has not graded it by its due
date (rule evaluation.subunit_working_days), so /subunit-evaluations marks it overdue and the dashboard counts it.
The dashboard's coverage table counts the graded one in the measure subunit_evaluations."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from service import clock, db
from service.cycle import subunit_evaluations_records
from service.domain.roles import DEPARTMENT_HEAD, DEPARTMENT_STAFF, Principal
from service.models import Department, SubunitEvaluation

UNIT, DEPARTMENT = "jyj-zx", "jyj"
STAFF, HEAD = "jy.staff", "jy.head"
SCOPE = "直属中学上年度整体支出：基本支出、项目支出及资产管理、绩效目标完成情况"
FINDINGS = "整体支出绩效目标基本实现；个别学校实验设备闲置，资产管理台账不全，已要求限期整改"
# the evaluation left open past its due date: opened this many days before the demo's now
LATE_UNIT, LATE_DEPARTMENT, LATE_STAFF = "wjw-yy", "wjw", "ws.staff"
LATE_SCOPE = "市第一医院上年度整体支出：财政补助收支、重点专科建设资金、医疗设备购置及绩效目标完成情况"
LATE_OPENED_DAYS_AGO = 120


def seed_subunit_evaluation(engine: Engine, year: int, now: datetime) -> int:
    """Open and grade the evaluation of year − 1 of the Education Bureau's schools, and open (four months ago,
    not graded since) the Health Commission's of its hospital; how many were added (0 when they exist already or
    the organisation has no such units)."""
    added = 0
    if _absent(engine, UNIT, DEPARTMENT, year - 1):
        staff = Principal(STAFF, DEPARTMENT, frozenset({DEPARTMENT_STAFF}))
        head = Principal(HEAD, DEPARTMENT, frozenset({DEPARTMENT_HEAD}))
        with db.write(engine) as conn:
            opened = subunit_evaluations_records.open_evaluation(conn, staff, now, unit_id=UNIT, fiscal_year=year - 1,
                                                         scope=SCOPE)
            subunit_evaluations_records.record_grade(conn, head, now, opened["id"], score=84.5, findings=FINDINGS)
        added += 1
    opened_at = now - timedelta(days=LATE_OPENED_DAYS_AGO)
    late_year = clock.to_local(opened_at).year - 1  # the spending year over when it was opened
    if _absent(engine, LATE_UNIT, LATE_DEPARTMENT, late_year):
        staff = Principal(LATE_STAFF, LATE_DEPARTMENT, frozenset({DEPARTMENT_STAFF}))
        with db.write(engine) as conn:
            subunit_evaluations_records.open_evaluation(
                conn, staff, opened_at, unit_id=LATE_UNIT, fiscal_year=late_year, scope=LATE_SCOPE
            )
        added += 1
    return added


def _absent(engine: Engine, unit_id: str, department_id: str, fiscal_year: int) -> bool:
    """The unit exists under the department and has no evaluation of the year yet."""
    with db.read(engine) as conn:
        unit = conn.execute(select(Department.parent_id).where(Department.id == unit_id)).first()
        done = conn.execute(
            select(SubunitEvaluation.id).where(
                SubunitEvaluation.unit_id == unit_id, SubunitEvaluation.fiscal_year == fiscal_year
            )
        ).first()
    return unit is not None and unit.parent_id == department_id and done is None
