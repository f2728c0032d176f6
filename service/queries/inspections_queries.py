"""Reads of the financial supervision inspections (service/cycle/inspections_records.py writes them): the list and one
inspection with its findings and the rectification ordered on them. Never writes.

The bureau's roles read every inspection; a department's staff and head read the inspections of their own
department (the findings were fed back to them)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from service import clock
from service.domain import inspection
from service.domain.roles import Principal
from service.errors import NotFound
from service.models import Department, Inspection, InspectionFinding

INSPECTIONS = Inspection.__table__  # noqa: E741 - the table's short name, as the other queries
INSPECTION_FINDINGS = InspectionFinding.__table__
DEPARTMENTS = Department.__table__


def _when(value: Any) -> str | None:
    moment = clock.from_db(value)
    return moment.isoformat() if moment is not None else None


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _summary(row: Any) -> dict[str, Any]:
    target = inspection.TARGET_KINDS.get(row.target_kind, (row.target_kind, row.target_kind))
    return {"id": row.id, "instance_id": row.instance_id, "fiscal_year": row.fiscal_year,
            "department_id": row.department_id, "department_name": row.department_name,
            "target_kind": row.target_kind, "target_kind_label": target[0], "target_kind_label_en": target[1],
            "fund_name": row.fund_name, "fund_amount": float(row.fund_amount) if row.fund_amount is not None else None,
            "aspects": list(json.loads(row.aspects or "[]")),
            "members": [{"id": m["id"], "name": m["name"], "organisation": m["organisation"]}
                        for m in json.loads(row.members or "[]")],
            "status": row.status, "opened_at": _when(row.opened_at), "due_on": _day(row.due_on),
            "inspected_at": _when(row.inspected_at), "acknowledged_at": _when(row.acknowledged_at),
            "acknowledgement": row.acknowledgement, "rectification_status": row.rectification_status,
            "rectification_due_on": _day(row.rectification_due_on),
            "rectification_submitted_at": _when(row.rectification_submitted_at),
            "rectification_verified_at": _when(row.rectification_verified_at),
            "rectification_verdict": row.rectification_verdict, "closed_at": _when(row.closed_at)}


def _visible(q: Any, viewer: Principal) -> Any:
    return q if viewer.sees_all_departments else q.where(INSPECTIONS.c.department_id == viewer.department_id)


def list_inspections(conn: Connection, viewer: Principal, *, year: int | None = None,
                     status: str | None = None) -> list[dict[str, Any]]:
    """The inspections the viewer may read, newest first."""
    q = _visible(select(INSPECTIONS, DEPARTMENTS.c.name.label("department_name")).join(DEPARTMENTS, DEPARTMENTS.c.id
                                                                                       == INSPECTIONS.c.department_id),
                                                                                       viewer)
    if year is not None:
        q = q.where(INSPECTIONS.c.fiscal_year == year)
    if status is not None:
        q = q.where(INSPECTIONS.c.status == status)
    rows = conn.execute(q.order_by(INSPECTIONS.c.opened_at.desc(), INSPECTIONS.c.id.desc())).all()
    counts: dict[int, int] = {}
    for finding in conn.execute(select(INSPECTION_FINDINGS.c.inspection_id)
                                .where(INSPECTION_FINDINGS.c.inspection_id.in_([r.id for r in rows]))):
        counts[finding.inspection_id] = counts.get(finding.inspection_id, 0) + 1
    return [_summary(r) | {"findings_count": counts.get(r.id, 0)} for r in rows]


def get_inspection(conn: Connection, inspection_id: int, viewer: Principal) -> dict[str, Any]:
    """One inspection with its findings (404 when there is none the viewer may read)."""
    q = _visible(select(INSPECTIONS, DEPARTMENTS.c.name.label("department_name")).join(DEPARTMENTS, DEPARTMENTS.c.id
                                                                                       == INSPECTIONS.c.department_id)
                 .where(INSPECTIONS.c.id == inspection_id), viewer)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"no inspection {inspection_id}")
    findings = conn.execute(select(INSPECTION_FINDINGS).where(INSPECTION_FINDINGS.c.inspection_id == row.id)
                            .order_by(INSPECTION_FINDINGS.c.position)).all()
    items = []
    for f in findings:
        aspect = inspection.ASPECTS.get(f.aspect, (f.aspect, f.aspect))
        severity = inspection.SEVERITIES.get(f.severity, (f.severity, f.severity))
        items.append({"position": f.position, "aspect": f.aspect, "aspect_label": aspect[0],
                      "aspect_label_en": aspect[1], "severity": f.severity, "severity_label": severity[0],
                      "severity_label_en": severity[1], "text": f.text,
                      "requires_rectification": bool(f.requires_rectification),
                      "rectification_instance_id": f.rectification_instance_id})
    return _summary(row) | {"findings_count": len(items), "findings": items}
