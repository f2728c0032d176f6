"""The fiscal figures the bureau entered (公共财政支出, 民生支出 per year and level)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from service import clock
from service.errors import NotFound
from service.models import FiscalFigure

FIGURES = FiscalFigure.__table__


def _plain(row: Any) -> dict[str, Any]:
    return {**row._asdict(), "entered_at": clock.from_db(row.entered_at)}


def list_figures(conn: Connection) -> list[dict[str, Any]]:
    """Every entered figure, latest year first, municipal before district."""
    rows = conn.execute(select(FIGURES).order_by(FIGURES.c.fiscal_year.desc(), FIGURES.c.level.desc())).all()
    return [_plain(r) for r in rows]


def figure(conn: Connection, year: int, level: str) -> dict[str, Any]:
    """One year's figures of a level (NotFound while not entered)."""
    row = conn.execute(select(FIGURES).where(FIGURES.c.fiscal_year == year, FIGURES.c.level == level)).first()
    if row is None:
        raise NotFound(f"the {level} fiscal figures of {year} are not entered")
    return _plain(row)
