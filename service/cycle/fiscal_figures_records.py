"""The bureau enters a level's spending of a fiscal year (公共财政支出 and, within it, 民生支出) from its final
accounts: the denominators of the plan's evaluated-money shares (二(三)3). Each change is recorded on the global
audit chain with the figures before and after."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from service import clock
from service.bpm.event_log import append_global
from service.errors import InvalidInput
from service.models import FiscalFigure
from service.rules.store import LEVELS

FIGURES = FiscalFigure.__table__
_CENT = Decimal("0.01")


def _row(conn: Connection, year: int, level: str) -> dict[str, Any] | None:
    row = conn.execute(select(FIGURES).where(FIGURES.c.fiscal_year == year, FIGURES.c.level == level)).first()
    return None if row is None else row._asdict()


def _checked(public_spending: Decimal, livelihood_spending: Decimal, level: str, source: str) -> None:
    problems = []
    if not source.strip():
        problems.append({"field": "source", "message": "say where the figures come from"})
    if level not in LEVELS:
        problems.append({"field": "level", "message": "municipal or district"})
    if public_spending <= 0:
        problems.append({"field": "public_spending", "message": "must be more than 0"})
    if livelihood_spending < 0:
        problems.append({"field": "livelihood_spending", "message": "must not be negative"})
    elif livelihood_spending > public_spending:
        problems.append({"field": "livelihood_spending", "message": "民生 spending is part of the public spending"})
    for name, amount in (("public_spending", public_spending), ("livelihood_spending", livelihood_spending)):
        if abs(amount) >= Decimal("1e14") or amount != amount.quantize(_CENT):  # too large to quantize: refused first
            problems.append({"field": name, "message": "yuan with at most 2 decimals, below 10^14"})
    if problems:
        raise InvalidInput("the fiscal figures are not valid", problems)


def enter(conn: Connection, actor: str, now: datetime, *, fiscal_year: int, level: str, public_spending: Decimal,
          livelihood_spending: Decimal, source: str) -> dict[str, Any]:
    """Set the level's figures of a fiscal year (finance reviewers and administrators); audited."""
    public_spending, livelihood_spending = Decimal(public_spending), Decimal(livelihood_spending)
    source = source.strip()
    _checked(public_spending, livelihood_spending, level, source)
    values = {"public_spending": public_spending, "livelihood_spending": livelihood_spending, "source": source,
              "entered_by": actor, "entered_at": clock.to_db(now)}
    before = _row(conn, fiscal_year, level)
    if before is None:
        conn.execute(insert(FIGURES).values(fiscal_year=fiscal_year, level=level, **values))
    else:
        conn.execute(update(FIGURES).where(FIGURES.c.fiscal_year == fiscal_year, FIGURES.c.level == level)
                     .values(**values))
    append_global(conn, now, actor, "fiscal_figures_entered", {
        "fiscal_year": fiscal_year, "level": level, "public_spending": str(public_spending),
        "livelihood_spending": str(livelihood_spending), "source": source,
        "before": None if before is None else {k: str(before[k]) for k in
                                               ("public_spending", "livelihood_spending", "source")}})
    after = _row(conn, fiscal_year, level)
    assert after is not None
    return after
