"""The demo's libraries by level (市区分建共享): the Jiang'an district's own experts and an individual indicator of
one of its departments, confirmed by the district's bureau, and another still awaiting the district's confirmation;
the finance reviewer's ratings of the demo's expert engagements; the agency bulletin (通报) of the last period that is
over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from service import clock, db
from service.domain import bulletin
from service.errors import Conflict
from service.libraries import bulletin_publishing, experts, indicators
from service.models import Department, Expert, ExpertEngagement
from service.rules import store as rules
from service.runtime import Runtime

DISTRICT = "jaq-czj"  # 江岸区财政局 (seeds/organisation.json)
REVIEWER = "cz.reviewer"  # seeds/demo_people.json
PROPOSED = ("jaq-wjw", "辖区居民电子健康档案规范化建档率")  # a district department's indicator awaiting confirmation
DISTRICT_EXPERTS = (
    {"name": "邓志华", "employer": "江岸区教育研究院", "title": "高级教师", "fields": ["education"]},
    {"name": "孙丽君", "employer": "江岸区审计局（退休）", "title": "高级审计师",
     "fields": ["social_security", "administration"]},
    {"name": "胡建平", "employer": "江汉大学城市建设学院", "title": "副教授", "fields": ["urban", "environment"]},
)


def show_levels(rt: Runtime, now: datetime) -> None:
    """Add what the demo shows of the libraries' levels; a second run adds nothing."""
    with db.write(rt.engine) as conn:
        if conn.execute(select(Department.id).where(Department.id == DISTRICT)).first() is None:
            return
        known = set(conn.execute(select(Expert.name)).scalars())
        for expert in DISTRICT_EXPERTS:
            if expert["name"] not in known:
                experts.create_expert(conn, dict(expert), keeper=DISTRICT)
        code = indicators.propose_individual(conn, department_id="jaq-jyj", name="区属学校课后服务覆盖率",
                                             category="social", unit="%", now=now)
        indicators.confirm(conn, code, keeper=DISTRICT)
        # one left for the district's own bureau to confirm (jaq.reviewer, jaq.admin: the city's accounts cannot)
        indicators.propose_individual(conn, department_id=PROPOSED[0], name=PROPOSED[1], category="social",
                                      unit="%", now=now)
        _rate_engagements(conn, now)
    _publish_last_bulletin(rt, now)


def _rate_engagements(conn: Connection, now: datetime) -> None:
    """The finance reviewer rates the drawn experts' engagements: a spread of 3 to 5, one weak one."""
    rows = conn.execute(select(ExpertEngagement.expert_id, ExpertEngagement.project_id)
                        .where(ExpertEngagement.rating.is_(None)).order_by(ExpertEngagement.id)).all()
    for n, row in enumerate(rows):
        rating = (5, 4, 4, 3, 5, 2)[n % 6]
        experts.rate_engagement(conn, expert_id=row.expert_id, project_id=row.project_id, rating=rating,
                                by=REVIEWER, now=now)


def _publish_last_bulletin(rt: Runtime, now: datetime) -> None:
    """Publish the bulletin of the last period that is over (period length by rule agency.bulletin_months)."""
    today = clock.local_today(now)
    with db.write(rt.engine) as conn:
        months = int(rules.get(conn, today.year, "municipal", "agency.bulletin_months"))
        year, period = today.year, (today.month - 1) // months  # the period before the running one
        if period == 0:
            year, period = year - 1, 12 // months
        bulletin.period_dates(year, period, months)  # refuses a rule that does not divide the year
        try:
            bulletin_publishing.publish(conn, year=year, period=period, now=now, by=REVIEWER)
        except Conflict:
            return
