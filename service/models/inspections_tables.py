"""Financial supervision inspections (财政绩效监督检查, the plan 二(三)4二是; workflows/supervision_inspection.bpmn):
the bureau's supervision office inspects a department's or a special transfer fund's goal setting, execution,
evaluation quality and use of results, and records its findings.

Written by the `inspection.*` task handlers (workers/tasks/inspections_handlers.py); read by
service/queries/inspections_queries.py.
Money is in yuan (CNY) with two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class Inspection(Base):
    """One inspection: its target (a department, or a special transfer fund managed by one), the year, the members
    drawn from the supervision library, and where it stands."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    target_kind: Mapped[str] = mapped_column(String(20))  # department | fund
    fund_name: Mapped[str | None] = mapped_column(String(200))
    fund_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    aspects: Mapped[str] = mapped_column(Text)  # JSON list of the aspects inspected
    members: Mapped[str] = mapped_column(Text)  # JSON list of {id, name, organisation} drawn from the library
    status: Mapped[str] = mapped_column(String(20))  # inspecting | fed_back | acknowledged | rectifying | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    inspected_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    # the rectification ordered on the findings (the rectification model called from the inspection)
    rectification_status: Mapped[str | None] = mapped_column(String(20))
    rectification_due_on: Mapped[date | None] = mapped_column(Date)
    rectification_plan: Mapped[str | None] = mapped_column(Text)
    rectification_submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    rectification_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    rectification_verdict: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class InspectionFinding(Base):
    """A finding of an inspection on one aspect, with its severity; findings that call for rectification are
    linked to the instance in which the rectification runs."""

    __tablename__ = "inspection_findings"
    __table_args__ = (UniqueConstraint("inspection_id", "position", name="uq_inspection_findings_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    position: Mapped[int] = mapped_column(Integer)
    aspect: Mapped[str] = mapped_column(String(30))  # goal_setting | execution | evaluation_quality | use_of_results
    severity: Mapped[str] = mapped_column(String(20))  # minor | major | serious
    text: Mapped[str] = mapped_column(Text)
    requires_rectification: Mapped[bool] = mapped_column(Boolean)
    rectification_instance_id: Mapped[str | None] = mapped_column(String(36))
