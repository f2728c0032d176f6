"""The plan's libraries (/admin/libraries/<library>): indicators, experts, agencies and supervision members.

Lists with their filters, and the changes the API allows: confirming a proposed individual indicator, adding
and editing experts and agencies (an agency's status included). The supervision library is read here as through
GET /api/libraries/supervision. Same library functions, same schemas, same rules as /api/libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from service import clock, policy
from service.api import libraries_api
from service.cycle.projects_records import SECTORS
from service.db import Connection
from service.libraries import agencies, experts, indicators, supervision
from service.libraries.common import CITY
from service.people import directory
from service.web import bp, i18n
from service.web.admin_forms import load, saved, text
from service.web.pages import page_number, pager, reading, unit_of_work, viewer
from service.web.permissions import permitted

LIBRARIES = ("indicators", "experts", "agencies", "supervision")
PER_PAGE = 30
# library → (its items' functions: list, get, create, update; the API's input schemas: new, change)
MEMBERS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any], Callable[..., Any],
                         type[Schema], type[Schema]]] = {
    "experts": (experts.list_experts, experts.get_expert, experts.create_expert, experts.update_expert,
                libraries_api.NewExpertSchema, libraries_api.ExpertChangeSchema),
    "agencies": (agencies.list_agencies, agencies.get_agency, agencies.create_agency, agencies.update_agency,
                 libraries_api.NewAgencySchema, libraries_api.AgencyChangeSchema),
}


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    return value if value in allowed else None


def _districts(conn: Connection) -> list[tuple[str, str]]:
    """The districts that keep libraries of their own: the district finance bureaus."""
    return [(d["id"], i18n.pick(d["name"], d["name_en"])) for d in directory.list_departments(conn)
            if d["level"] == "district" and d["kind"] == "bureau"]


def _listing(conn: Connection, library: str) -> dict[str, Any]:
    page = page_number()
    field = _choice("field", SECTORS)
    owner = _choice("owner", (CITY, *(d for d, _name in _districts(conn))))
    who: dict[str, Any] = {"owner": owner, "viewer": viewer().department_id}
    if library == "indicators":
        q = (request.args.get("q") or "").strip()[:100] or None
        found = indicators.list_indicators(conn, q=q, sector=field,
                      status=_choice("status", ("confirmed", "proposed")), page=page, per_page=PER_PAGE, **who)
    elif library == "experts":
        found = experts.list_experts(conn, fiscal_year=clock.local_today(clock.now()).year, field=field,
                      page=page, per_page=PER_PAGE, **who)
    elif library == "agencies":
        found = agencies.list_agencies(conn, fiscal_year=clock.local_today(clock.now()).year, field=field,
                      status=_choice("status", agencies.STATUSES), page=page, per_page=PER_PAGE, **who)
    else:
        found = supervision.list_members(conn, field=field, role=_choice("role", supervision.ROLES), page=page,
                      per_page=PER_PAGE, **who)
    return {"items": found["items"], "pager": pager(found["total"], page, PER_PAGE)}


def _options(conn: Connection) -> dict[str, Any]:
    return {"sectors": [(s, i18n.label("sector_", s)) for s in SECTORS],
            "departments": [(d["id"], i18n.pick(d["name"], d["name_en"])) for d in directory.list_departments(conn)],
            "kinds": [(k, i18n.label("agency_kind_", k)) for k in agencies.KINDS],
            "statuses": [(s, i18n.label("agency_status_", s)) for s in agencies.STATUSES],
            "roles": [(r, i18n.label("supervision_role_", r)) for r in supervision.ROLES],
            "owners": [(CITY, i18n.text("library_owner_city")), *_districts(conn)]}


def _page(conn: Connection, library: str, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          status: int = 200, editing: int | None = None) -> ResponseReturnValue:
    if library not in LIBRARIES:
        abort(404)
    return render_template("web/admin_libraries.html", library=library, libraries=LIBRARIES, **_listing(conn, library),
                           **_options(conn), form=form or {}, errors=errors or {}, editing=editing,
                           args=request.args), status


@bp.get("/admin/libraries")
@permitted(policy.KEEP_LIBRARIES)
def admin_libraries() -> ResponseReturnValue:
    """The indicator library first; the others one tab away."""
    with reading() as conn:
        return _page(conn, _choice("library", LIBRARIES) or "indicators")


@bp.get("/admin/libraries/<library>")
@permitted(policy.KEEP_LIBRARIES)
def admin_library(library: str) -> ResponseReturnValue:
    """One library's entries with its filters, and the form to add one where the API allows."""
    with reading() as conn:
        return _page(conn, library)


@bp.post("/admin/libraries/indicators/<code>/confirm")
@permitted(policy.CONFIRM_INDICATORS)
def admin_indicator_confirm(code: str) -> ResponseReturnValue:
    """Confirm a department's proposed individual indicator (as POST /api/libraries/indicators/{code}/confirm)."""
    with unit_of_work() as conn:
        found = indicators.confirm(conn, code, keeper=viewer().department_id)
    flash(i18n.text("admin_indicator_confirmed", name=found["name"]), "ok")
    return redirect(url_for("web.admin_library", library="indicators", status="proposed"))


def _member_form(library: str) -> dict[str, Any]:
    form: dict[str, Any] = {"name": text("name", 200), "fields": request.form.getlist("fields"),
                            "conflicts": request.form.getlist("conflicts"), "username": text("username", 100)}
    if library == "experts":
        form.update(employer=text("employer", 200), title=text("title", 100),
                    available=request.form.get("available") == "1")
    else:
        form.update(kind=request.form.get("kind") or None, status=request.form.get("status") or "active",
                    qualifications=[q.strip() for q in (request.form.get("qualifications") or "")
                                    .replace("，", ",").split(",") if q.strip()])
    return form


def _member_page(library: str, member_id: int) -> ResponseReturnValue:
    with reading() as conn:
        found = MEMBERS[library][1](conn, member_id)
        return _page(conn, library, found, editing=member_id)


def _member_save(library: str, editing: int | None) -> ResponseReturnValue:
    _list, get, create, update, new_schema, change_schema = MEMBERS[library]
    form = _member_form(library)
    body, errors = load((change_schema if editing else new_schema)(), form)
    member: dict[str, Any] = {}
    with unit_of_work() as conn:
        if editing is not None:
            get(conn, editing)  # a missing member is the 404 page
        if not errors:
            keeper = viewer().department_id
            errors = saved(conn, lambda: member.update(update(conn, editing, body, keeper) if editing
                                                       else create(conn, body, keeper)), "name")
        if errors:
            return _page(conn, library, form, errors, 422, editing)
    flash(i18n.text("admin_member_saved", name=member["name"]), "ok")
    return redirect(url_for("web.admin_library", library=library))


@bp.get("/admin/libraries/experts/<int:member_id>")
@permitted(policy.KEEP_LIBRARIES)
def admin_expert(member_id: int) -> ResponseReturnValue:
    """An expert in the form: particulars, fields, conflicts (回避) and availability."""
    return _member_page("experts", member_id)


@bp.get("/admin/libraries/agencies/<int:member_id>")
@permitted(policy.KEEP_LIBRARIES)
def admin_agency(member_id: int) -> ResponseReturnValue:
    """An agency in the form: particulars, qualifications, fields, conflicts and status."""
    return _member_page("agencies", member_id)


@bp.post("/admin/libraries/experts")
@permitted(policy.KEEP_LIBRARIES)
def admin_expert_create() -> ResponseReturnValue:
    """Add an expert (as POST /api/libraries/experts)."""
    return _member_save("experts", None)


@bp.post("/admin/libraries/experts/<int:member_id>")
@permitted(policy.KEEP_LIBRARIES)
def admin_expert_change(member_id: int) -> ResponseReturnValue:
    """Save an expert (as PATCH /api/libraries/experts/{id})."""
    return _member_save("experts", member_id)


@bp.post("/admin/libraries/agencies")
@permitted(policy.KEEP_LIBRARIES)
def admin_agency_create() -> ResponseReturnValue:
    """Add an agency (as POST /api/libraries/agencies)."""
    return _member_save("agencies", None)


@bp.post("/admin/libraries/agencies/<int:member_id>")
@permitted(policy.KEEP_LIBRARIES)
def admin_agency_change(member_id: int) -> ResponseReturnValue:
    """Save an agency, its status included (as PATCH /api/libraries/agencies/{id})."""
    return _member_save("agencies", member_id)
