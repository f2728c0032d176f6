"""The comprehensive evaluation of departments' performance management (the plan 二(三)3): one scorecard per
department (or district finance bureau) and fiscal year, and its indicator entries with the evidence behind them.

Written by the comprehensive_evaluation process's handlers (workers/tasks/scorecard_handlers.py); read by the scorecard
report (service/queries/scorecard_queries.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Scorecard(Base):
    """A department's comprehensive evaluation of a fiscal year; total, grade and rank once the bureau scored it."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("department_id", "fiscal_year", name="uq_scorecards_department_year"),
        Index("ix_scorecards_year_level", "fiscal_year", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # municipal | district
    status: Mapped[str] = mapped_column(String(20))  # notified | self_reported | scored | acknowledged
    total: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(4))  # 优 良 中 差
    rank: Mapped[int | None] = mapped_column(Integer)  # among the scored scorecards of the year and level
    instance_id: Mapped[str | None] = mapped_column(String(36))  # the comprehensive_evaluation instance
    detail: Mapped[str] = mapped_column(Text)  # JSON: notice, self-report, feedback, acknowledgement
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScorecardEntry(Base):
    """One indicator of a scorecard: its points out of the weight and the evidence (record ids or the task)."""

    __tablename__ = "scorecard_entries"
    __table_args__ = (UniqueConstraint("scorecard_id", "code", name="uq_scorecard_entries_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    dimension: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # measured | entered
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    task_id: Mapped[str | None] = mapped_column(String(36))  # entered: the bureau's scoring task
    evidence: Mapped[str] = mapped_column(Text)  # JSON: the entry with its records (table, id, ok, note)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
