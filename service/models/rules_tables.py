"""Fiscal years, rule rows (every threshold, weight and deadline, citing its source) and the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class FiscalYear(Base):
    """A budget year (预算年度) and the dates its calendar jobs work from."""

    __tablename__ = "fiscal_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # planning | running | closed
    # Goal declaration for this year opens during the previous year's budget preparation.
    declaration_opens_on: Mapped[date | None] = mapped_column(Date)
    cycle_launched_at: Mapped[datetime | None] = mapped_column(DateTime)


class Rule(Base):
    """One rule value for a fiscal year and level ("*" = every level); an administrator may change it."""

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("fiscal_year", "level", "key", name="uq_rules_year_level_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # municipal | district | *
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(Text)  # JSON
    source: Mapped[str] = mapped_column(Text)  # its source: the plan's section, a national document or a local practice
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class CalendarDay(Base):
    """An exception to the Monday–Friday week: an official holiday, or a weekend day adjusted to a working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # holiday | workday | plain (an administrator undid a seeded day)
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
