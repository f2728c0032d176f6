"""The demo's fiscal figures (公共财政支出 and 民生支出 of the two years before the current one, per level), so that
the dashboard's evaluated-money shares divide by real figures and the 民生 share has a year before to rise from.

The demo's projects are a sample of a municipality's spending, so its figures are scaled to them (the public
spending a little over three times the project money of the year, 民生 a little under three fifths of it) and say
so in their source; the current year's figures are left for the bureau to enter (the dashboard shows “未录入”).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Engine, func, select

from service import db
from service.cycle import fiscal_figures_records
from service.models import Project
from service.rules.store import LEVELS

PROJECTS = Project.__table__
ENTERED_BY = "demo"
# (year offset, public spending per yuan of the last year's project money, 民生 share of it)
SCALES = ((-1, Decimal("3.2"), Decimal("0.58")), (-2, Decimal("2.98"), Decimal("0.56")))


def _round(amount: Decimal) -> Decimal:
    return (amount / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10_000  # whole 万元


def enter(engine: Engine, year: int, now: datetime) -> int:
    """Enter the levels' figures of year − 1 and year − 2; the number of figures entered."""
    with db.read(engine) as conn:
        money = dict(conn.execute(select(PROJECTS.c.level, func.sum(PROJECTS.c.amount)).where(
            PROJECTS.c.fiscal_year == year - 1, PROJECTS.c.kind == "project").group_by(PROJECTS.c.level)).all())
    entered = 0
    for level in LEVELS:
        base = Decimal(str(money.get(level) or 0))
        if base <= 0:
            continue
        for offset, scale, livelihood in SCALES:
            public = _round(base * scale)
            with db.write(engine) as conn:
                fiscal_figures_records.enter(conn, ENTERED_BY, now, fiscal_year=year + offset, level=level,
                                     public_spending=public, livelihood_spending=_round(public * livelihood),
                                     source=f"演示数据：按演示项目资金推算的{year + offset}年度决算数")
            entered += 1
    return entered
