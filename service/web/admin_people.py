"""Administration of people (/admin/users, /admin/departments): the same directory functions and input schemas
as /api/users and /api/departments, admitted by the same rules (service/web/permissions.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import policy
from service.api import people_api
from service.cycle.projects_records import SECTORS
from service.db import Connection
from service.domain.roles import ROLES
from service.people import directory
from service.web import bp, i18n
from service.web.admin_forms import load, saved, text
from service.web.pages import choice, page_number, pager, reading, unit_of_work, viewer
from service.web.permissions import permitted

PER_PAGE = 30


def _role_options() -> list[tuple[str, str]]:
    return [(name, i18n.label("role_", name)) for name in ROLES]


def _department_options(conn: Connection) -> list[tuple[str, str]]:
    return [(d["id"], i18n.pick(d["name"], d["name_en"])) for d in directory.list_departments(conn)]


def _users_page(conn: Connection, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                status: int = 200) -> ResponseReturnValue:
    department = request.args.get("department") or None
    role = choice(request.args, "role", ROLES)
    page = page_number()
    found = directory.list_users(conn, page, PER_PAGE, department_id=department, role=role)
    return render_template("web/admin_users.html", users=found["items"], pager=pager(found["total"], page, PER_PAGE),
                           roles=_role_options(), departments=_department_options(conn), department=department,
                           role=role, form=form or {"roles": []}, errors=errors or {}), status


@bp.get("/admin/users")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_users() -> ResponseReturnValue:
    """Users with their roles and department, a filter, and the form to add one."""
    with reading() as conn:
        return _users_page(conn)


@bp.post("/admin/users")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_user_create() -> ResponseReturnValue:
    """Add a user with roles and a department (as POST /api/users); refused input comes back at its field."""
    form = {"username": text("username", 100), "display_name": text("display_name", 200),
            "password": request.form.get("password", ""), "roles": request.form.getlist("roles"),
            "department_id": text("department_id", 50), "email": text("email", 200)}
    body, errors = load(people_api.NewUserSchema(), form)
    with unit_of_work() as conn:
        if not errors:
            errors = saved(conn, lambda: directory.create_user(conn, viewer().username, **body), "username")
        if errors:
            return _users_page(conn, {**form, "password": ""}, errors, 422)
    flash(i18n.text("admin_user_created", user=body["username"]), "ok")
    return redirect(url_for("web.admin_user", username=body["username"]))


def _user_page(conn: Connection, username: str, errors: dict[str, str] | None = None,
               status: int = 200) -> ResponseReturnValue:
    user = directory.get_user(conn, username)
    return render_template("web/admin_user.html", user=user, roles=_role_options(),
                           departments=_department_options(conn), errors=errors or {}), status


@bp.get("/admin/users/<username>")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_user(username: str) -> ResponseReturnValue:
    """One user: roles and department, enable or disable, a new password."""
    with reading() as conn:
        return _user_page(conn, username)


def _change(username: str, form: dict[str, Any], done: str) -> ResponseReturnValue:
    body, errors = load(people_api.UserChangeSchema(), form)
    with unit_of_work() as conn:
        directory.get_user(conn, username)  # a missing user is the 404 page, not field errors
        if not errors:
            errors = saved(conn, lambda: directory.update_user(conn, viewer().username, username, body),
                            next(iter(form)))
        if errors:
            return _user_page(conn, username, errors, 422)
    flash(i18n.text(done, user=username), "ok")
    return redirect(url_for("web.admin_user", username=username))


@bp.post("/admin/users/<username>")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_user_change(username: str) -> ResponseReturnValue:
    """New roles, department, name and e-mail (as PATCH /api/users/{username}); audited."""
    return _change(username, {"roles": request.form.getlist("roles"), "department_id": text("department_id", 50),
                              "display_name": text("display_name", 200), "email": text("email", 200)},
                   "admin_user_changed")


@bp.post("/admin/users/<username>/active")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_user_active(username: str) -> ResponseReturnValue:
    """Disable (every session ends) or enable a user."""
    active = request.form.get("active") == "1"
    return _change(username, {"active": active}, "admin_user_enabled" if active else "admin_user_disabled")


@bp.post("/admin/users/<username>/password")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_user_password(username: str) -> ResponseReturnValue:
    """Set a new password (every session of the user ends)."""
    return _change(username, {"password": request.form.get("password", "")}, "admin_password_reset")


# --- departments --------------------------------------------------------------------------------------------
def _departments_page(conn: Connection, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                      status: int = 200, editing: str | None = None) -> ResponseReturnValue:
    found = directory.list_departments(conn)
    sectors = [(s, i18n.label("sector_", s)) for s in SECTORS]
    return render_template("web/admin_departments.html", departments=found, options=_department_options(conn),
                           sectors=sectors,
                           form=form or {"level": "municipal", "kind": "department", "active": True},
                           errors=errors or {}, editing=editing), status


@bp.get("/admin/departments")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_departments() -> ResponseReturnValue:
    """Departments, the bureau and district bureaus; the form to add one."""
    with reading() as conn:
        return _departments_page(conn)


@bp.get("/admin/departments/<department_id>")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_department(department_id: str) -> ResponseReturnValue:
    """One department in the form, to change its name, parent, district bureau or level."""
    with reading() as conn:
        found = next((d for d in directory.list_departments(conn) if d["id"] == department_id), None)
        if found is None:
            abort(404)
        return _departments_page(conn, found, editing=department_id)


@bp.post("/admin/departments")
@permitted(policy.ADMINISTER_PEOPLE)
def admin_department_save() -> ResponseReturnValue:
    """Add a department, or save the one being edited (as POST /api/departments); audited."""
    editing = text("editing", 50)
    form = {"id": editing or text("id", 50), "name": text("name", 200), "name_en": text("name_en", 200),
            "level": request.form.get("level", "municipal"), "kind": request.form.get("kind", "department"),
            "parent_id": text("parent_id", 50), "district_id": text("district_id", 50),
            "sector": text("sector", 50), "active": request.form.get("active") == "1"}
    body, errors = load(people_api.DepartmentSchema(), form)
    with unit_of_work() as conn:  # the check and the save in one unit of work: no other save slips in
        if not errors:
            existing = {d["id"] for d in directory.list_departments(conn)}
            if editing is None and body["id"] in existing:
                errors = {"id": i18n.text("admin_err_id_exists")}
            elif editing is not None and editing not in existing:
                errors = {"id": i18n.text("admin_err_id_unknown")}
            else:
                errors = saved(conn, lambda: directory.save_department(conn, viewer().username, body), "id")
        if errors:
            return _departments_page(conn, form, errors, 422, editing)
    flash(i18n.text("admin_department_saved", name=body["name"]), "ok")
    return redirect(url_for("web.admin_departments"))
