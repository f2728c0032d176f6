"""Performance management training (the plan 三(四)): the sessions the finance bureaus hold each year and who
attended them, by group (bureau staff, departments, agencies, experts) and, for departments, by department."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base


class TrainingSession(Base):
    """One training session (专题培训班) held by the municipal or a district finance bureau."""

    __tablename__ = "training_sessions"
    __table_args__ = (Index("ix_training_sessions_year_level", "year", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)  # the year it counts for (the year of held_on)
    level: Mapped[str] = mapped_column(String(20))  # municipal | district
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    organiser: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(50))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class TrainingAttendance(Base):
    """Who attended a session: a group's head count; a department's attendance names the department."""

    __tablename__ = "training_attendance"
    __table_args__ = (Index("ix_training_attendance_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    attendee_group: Mapped[str] = mapped_column(String(20))  # bureau_staff | departments | agencies | experts
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))  # set for "departments" only
    head_count: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(50))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
