"""The plan's libraries: indicators, experts, third-party agencies, supervision (DOMAIN.md, Libraries)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class LibraryIndicator(Base):
    """A common (共性) or individual (个性) indicator of the indicator library (绩效指标库)."""

    __tablename__ = "library_indicators"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 in the hierarchy
    parent_code: Mapped[str | None] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20))  # common | individual
    status: Mapped[str] = mapped_column(String(20))  # confirmed | proposed
    definition: Mapped[str | None] = mapped_column(Text)
    formula: Mapped[str | None] = mapped_column(Text)
    quantitative: Mapped[bool] = mapped_column(Boolean, default=True)
    unit: Mapped[str | None] = mapped_column(String(30))
    default_weight: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    sectors: Mapped[str] = mapped_column(Text)  # JSON list; empty = every sector
    standards: Mapped[str] = mapped_column(Text)  # JSON: {plan|industry|history|other: value}
    comparator: Mapped[str | None] = mapped_column(String(20))  # how a standard value is met: >= <= = range qualitative
    proposed_by: Mapped[str | None] = mapped_column(String(50))  # department of an individual indicator
    # The owning district (its finance bureau's department id); None is the city (市级).
    district_id: Mapped[str | None] = mapped_column(String(50))


class Expert(Base):
    """An expert of the expert library (专家学者库)."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str | None] = mapped_column(String(100))  # the user account, when the expert signs in
    name: Mapped[str] = mapped_column(String(100))
    employer: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100))
    fields: Mapped[str] = mapped_column(Text)  # JSON list of sectors
    # 回避: the departments the expert must never review (their own employer's, relatives'…)
    conflicts: Mapped[str] = mapped_column(Text)  # JSON list of department ids
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    # The owning district (its finance bureau's department id); None is the city (市级).
    district_id: Mapped[str | None] = mapped_column(String(50))


class ExpertEngagement(Base):
    __tablename__ = "expert_engagements"
    __table_args__ = (
        UniqueConstraint("expert_id", "project_id", name="uq_expert_engagements_expert_project"),
        Index("ix_expert_engagements_year", "fiscal_year", "expert_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    rating: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # the finance reviewer's 1–5 after the review
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    rated_by: Mapped[str | None] = mapped_column(String(100))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Agency(Base):
    """A third-party agency (第三方机构) of the agency library (中介机构库)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # consultancy | accounting | research | university
    qualifications: Mapped[str] = mapped_column(Text)  # JSON list
    fields: Mapped[str] = mapped_column(Text)  # JSON list of sectors
    conflicts: Mapped[str] = mapped_column(Text)  # JSON list of department ids
    status: Mapped[str] = mapped_column(String(20))  # active | suspended | removed
    # The owning district (its finance bureau's department id); None is the city (市级).
    district_id: Mapped[str | None] = mapped_column(String(50))


class AgencyEngagement(Base):
    """A commission of an agency for a key evaluation and the bureau's rating of its report."""

    __tablename__ = "agency_engagements"
    __table_args__ = (UniqueConstraint("project_id", name="uq_agency_engagements_project"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    quality: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    timeliness: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    compliance: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    rating: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)


class SupervisionMember(Base):
    """A member of the supervision library (监督指导库): verifies rectifications, reviews key evaluations."""

    __tablename__ = "supervision_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(50))  # deputy | auditor | supervisor
    fields: Mapped[str] = mapped_column(Text)  # JSON list of sectors
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The owning district (its finance bureau's department id); None is the city (市级).
    district_id: Mapped[str | None] = mapped_column(String(50))


class AgencyBulletin(Base):
    """A published bulletin (通报) of agencies' report-quality ratings for one period: its entries are kept as
    published and never recomputed."""

    __tablename__ = "agency_bulletins"
    __table_args__ = (UniqueConstraint("year", "period", name="uq_agency_bulletins_year_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)  # 1.. within the year, months per period by rule
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    entries: Mapped[str] = mapped_column(Text)  # JSON list: agency, rated reports, mean score, rank
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by: Mapped[str | None] = mapped_column(String(100))
