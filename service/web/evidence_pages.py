"""Evidence on the task page: the form's upload control posts here, with the signed-in session, and gets the
attachment id for the form field; downloads keep the instance's visibility. The same calls as
POST /api/tasks/{id}/attachments and GET /api/attachments/{id} (service/api/attachments_api.py).
"""

from __future__ import annotations

from flask import jsonify, request, send_file
from flask.typing import ResponseReturnValue

from service.attachments import queries as q
from service.attachments.detect import UnsupportedFileType
from service.attachments.storage import storage_for
from service.bpm.commands import AttachFile
from service.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from service.web import bp, i18n, refusals
from service.web.pages import reading, runtime, unit_of_work, viewer
from service.web.session_auth import login_required

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file (as service/api/attachments_api.py)


@bp.post("/tasks/<task_id>/attachments")
@login_required
def evidence_upload(task_id: str) -> ResponseReturnValue:
    """Upload one file (multipart field "file") to an open task: JSON {id, file_name, size} or {error}."""
    rt = runtime()
    cap = rt.settings.max_upload_bytes
    request.max_content_length = cap + MULTIPART_SLACK  # the file may be as large as the cap, plus framing
    upload = request.files.get("file")
    if upload is None:
        return jsonify({"error": i18n.text("evidence_missing")}), 400
    content = upload.stream.read(cap + 1)
    if len(content) > cap:
        return jsonify({"error": i18n.text("evidence_too_large")}), 413
    try:
        with unit_of_work() as conn:  # refused: rolled back before the refusal is answered
            found = rt.workflows.apply_to_task(task_id, AttachFile(task_id, content, upload.filename),
                                               actor=viewer(), conn=conn)
    except UnsupportedFileType as refused:
        return jsonify({"error": refusals.text(refused)}), 415
    except NotFound as refused:
        return jsonify({"error": refusals.text(refused)}), 404
    except (Forbidden, Conflict, InvalidTransition, InvalidInput) as refused:
        return jsonify({"error": refusals.text(refused)}), 403 if isinstance(refused, Forbidden) else 409
    return jsonify({"id": found["id"], "file_name": found["file_name"], "size": found["size"]}), 201


@bp.get("/attachments/<attachment_id>")
@login_required
def evidence_download(attachment_id: str) -> ResponseReturnValue:
    """An attachment the user may see, as a download."""
    rt = runtime()
    with reading() as conn:
        meta, stream = q.open_content(conn, storage_for(rt.settings), attachment_id, viewer())
    response = send_file(stream, mimetype=meta["content_type"], as_attachment=True, download_name=meta["file_name"],
                         conditional=False, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
