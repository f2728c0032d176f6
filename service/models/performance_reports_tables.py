"""Departments' periodic performance management reports (the plan 二(一)4, workflows/performance_report.bpmn)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class PerformanceReport(Base):
    """One department's report for one period: claimed by the calendar job before its instance starts (so that two
    workers start one), then kept by the process's handlers as it is filed, approved and reviewed."""

    __tablename__ = "performance_reports"
    __table_args__ = (UniqueConstraint("department_id", "period_start",
                                       name="uq_performance_reports_department_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    level: Mapped[str] = mapped_column(String(20))
    fiscal_year: Mapped[int] = mapped_column(Integer)  # the year whose rules apply (the period's)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(40))
    # claimed | due | filed | submitted | returned | accepted
    status: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)  # the filing deadline now in force (Asia/Shanghai)
    content: Mapped[str | None] = mapped_column(Text)  # JSON: the report's sections as filed
    filed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(20))  # accept | return
    review_comment: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime] = mapped_column(DateTime)
