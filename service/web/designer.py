"""The process designers' page (/designer): upload or model in bpmn-js, validate, deploy, versions, diff, download.

Validation and deployment are the functions behind POST /api/process-models(/validate): errors come back
with file, line and element id; nothing half-deployed remains.
"""

from __future__ import annotations

import difflib
from contextlib import AbstractContextManager
from typing import Any

from flask import Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from lxml import etree

from service import policy
from service.bpm import deploy as deployment
from service.bpm import model_diff
from service.bpm.parsing import classify, safe_xml
from service.db import Connection
from service.errors import InvalidModel
from service.queries import deployed_versions, process_models_queries
from service.web import bp, i18n
from service.web.pages import reading, runtime, unit_of_work, viewer
from service.web.session_auth import login_required

MAX_DIFF_LINES = 4000  # per file: a diff longer than this is cut (the files can be downloaded whole)


def _designer() -> str:
    me = viewer()
    policy.require(me, policy.DEPLOY_MODELS)
    return me.username


def _opened(action: str) -> AbstractContextManager[Connection]:
    """The request's one transaction: a write to deploy, a read to validate (and show the page again)."""
    return unit_of_work() if action == "deploy" else reading()


def _check_or_deploy(conn: Connection, files: dict[str, bytes], action: str) -> tuple[dict[str, Any], int]:
    """{"ok", "version"?, "created"?, "processes", "errors"} and the status the API would answer."""
    rt, actor = runtime(), _designer()
    if action == "deploy":
        try:
            with conn.begin_nested():  # refused, nothing of it stays; the page is shown again in this transaction
                result = deployment.deploy(conn, rt.specs, files, rt.settings, actor=actor)
        except InvalidModel as refused:
            return {"ok": False, "errors": localized(refused.errors)}, 422
        return {"ok": True, "version": result.version, "created": result.created,
                "processes": result.processes, "errors": []}, 201 if result.created else 200
    bundle, errors = deployment.check(files, rt.settings)
    if errors:
        return {"ok": False, "errors": localized([e.as_dict() for e in errors])}, 422
    return {"ok": True, "processes": [{"process_id": p, "name": n, "file": f}
                                      for p, (f, n) in sorted(bundle.processes.items())], "errors": []}, 200


def localized(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Model errors with their message in the page's language where the check names its kind."""
    return [e | {"message": i18n.text(f"model_error_{e['code']}", **e.get("params", {}))} if e.get("code") else e
            for e in errors]


def _page(conn: Connection, result: dict[str, Any] | None = None, draft: str | None = None,
          draft_name: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("web/designer.html", latest=process_models_queries.list_latest(conn, 1, 500)["items"],
                           versions=deployed_versions.versions(conn), result=result, draft=draft,
                           draft_name=draft_name, edit=request.args.get("edit")), status


@bp.get("/designer")
@login_required
def designer() -> ResponseReturnValue:
    """Deployed processes and versions, the upload form and the modeler."""
    _designer()
    with reading() as conn:
        return _page(conn)


@bp.post("/designer/upload")
@login_required
def designer_upload() -> ResponseReturnValue:
    """Validate or deploy uploaded files; on errors the first BPMN file opens in the modeler, errors marked."""
    _designer()
    files: dict[str, bytes] = {}
    for upload in request.files.getlist("files"):
        name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name:
            files[name] = upload.read()
    if not files:
        with reading() as conn:
            return _page(conn, {"ok": False, "errors": [{"file": "", "line": None, "element_id": None,
                                                         "message": i18n.text("designer_no_files")}]}, status=422)
    action = "deploy" if request.form.get("action") == "deploy" else "validate"
    with _opened(action) as conn:
        result, status = _check_or_deploy(conn, files, action)
        result["action"] = action
        draft_name = next((n for n in files if classify(n) == "bpmn"), None)
        draft = None
        if not result["ok"] and draft_name:
            draft = files[draft_name].decode("utf-8", errors="replace")
        return _page(conn, result, draft, draft_name, status)


@bp.post("/designer/model")
@login_required
def designer_model() -> ResponseReturnValue:
    """The modeler's file (JSON {name, xml, base, action}): validated or deployed together with the other files of
    the version it was opened from, so that called processes and decisions stay in the bundle."""
    _designer()
    body = request.get_json(silent=True) or {}
    name, xml = str(body.get("name") or "diagram.bpmn"), str(body.get("xml") or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if classify(name) != "bpmn":
        name += ".bpmn"
    action = "deploy" if body.get("action") == "deploy" else "validate"
    with _opened(action) as conn:
        files = _base_files(conn, str(body.get("base") or ""))
        files[name] = xml.encode("utf-8")
        result, status = _check_or_deploy(conn, files, action)
    return jsonify(result), status


def _tree(name: str, content: bytes | None) -> etree._ElementTree | None:
    return safe_xml(name, content) if content is not None else None


def _base_files(conn: Connection, version: str) -> dict[str, bytes]:
    """A version's models (BPMN, DMN), and its forms unless the shared forms folder has a newer copy."""
    if not version:
        return {}
    shared = deployment.library_forms(runtime().settings.forms_dir)
    return {n: c for n, c in deployed_versions.files(conn, version).items()
            if classify(n) != "form" or n not in shared}


@bp.get("/designer/versions/<version>/files/<path:name>")
@login_required
def designer_download(version: str, name: str) -> ResponseReturnValue:
    """One file of a deployed version."""
    _designer()
    with reading() as conn:
        content = deployed_versions.files(conn, version).get(name)
    if content is None:
        abort(404)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/designer/diff")
@login_required
def designer_diff() -> ResponseReturnValue:
    """Two versions compared: per BPMN file both diagrams with the added, removed and changed elements marked and
    a table of the changed properties; the text diff of every changed file behind a "show XML" switch."""
    _designer()
    a, b = request.args.get("a", ""), request.args.get("b", "")
    with reading() as conn:
        old, new = deployed_versions.files(conn, a), deployed_versions.files(conn, b)
    if not old or not new:
        abort(404)
    changes = []
    for name in sorted(set(old) | set(new)):
        before = old.get(name, b"").decode("utf-8", errors="replace").splitlines()
        after = new.get(name, b"").decode("utf-8", errors="replace").splitlines()
        if before == after:
            continue
        lines = list(difflib.unified_diff(before, after, f"{a[:12]}/{name}", f"{b[:12]}/{name}", lineterm=""))
        state = "added" if name not in old else "removed" if name not in new else "changed"
        elements = None
        if classify(name) == "bpmn":
            elements = model_diff.compare(_tree(name, old.get(name)), _tree(name, new.get(name)))
        changes.append({"name": name, "state": state, "lines": lines[:MAX_DIFF_LINES],
                        "cut": len(lines) > MAX_DIFF_LINES, "elements": elements,
                        "marks": model_diff.marks(elements or [])})
    unchanged = sorted(n for n in set(old) & set(new) if old[n] == new[n])
    return render_template("web/diff.html", a=a, b=b, changes=changes, unchanged=unchanged)
