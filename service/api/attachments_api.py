"""Evidence attachments (佐证材料): upload to a task, list, download, metadata, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented, problem
from service.api.schemas import PageArgs, UTCDateTime, page_schema
from service.attachments import queries as q
from service.attachments.detect import ACCEPTED, ACCEPTED_NAMES, UnsupportedFileType
from service.attachments.storage import storage_for
from service.bpm.commands import AttachFile, DetachFile
from service.errors import InvalidInput, PayloadTooLarge

blp = Blueprint("attachments", __name__, url_prefix="/api", description="Evidence attachments (佐证材料)")

# Multipart framing around the file (boundaries, part headers, a long UTF-8 file name) on top of the cap.
_MULTIPART_SLACK = 64 * 1024


class AttachmentSchema(Schema):
    id = fields.String(required=True)
    task_id = fields.String(required=True)
    instance_id = fields.String(required=True)
    department_id = fields.String(allow_none=True)
    uploader = fields.String(required=True)
    file_name = fields.String(required=True)
    content_type = fields.String(required=True, metadata={"description": "detected from the content"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(("active", "deleted")))
    event_seq = fields.Integer(required=True, metadata={"description": "the upload's event in the history"})
    created_at = UTCDateTime(required=True)
    deleted_at = UTCDateTime(allow_none=True)
    deleted_by = fields.String(allow_none=True)


class AttachmentUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": f"one file: {ACCEPTED_NAMES}"})


class AttachmentFilter(PageArgs):
    state = fields.String(load_default="active", validate=validate.OneOf(q.STATES))


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_DOWNLOAD = {
    "description": "the file: images and PDFs inline (they preview in the browser), other types as a download",
    "content": {content_type: _BINARY for content_type in ACCEPTED},
    "headers": {
        "Content-Disposition": {"schema": {"type": "string"},
                                "description": "inline or attachment, with the file name (RFC 5987 for non-ASCII)"},
        "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
    },
}


@blp.errorhandler(UnsupportedFileType)
def _unsupported(error: UnsupportedFileType) -> Response:
    return problem(415, error.kind, error.title, error.detail, error.errors)


def _upload() -> tuple[bytes, str | None]:
    cap = runtime().settings.max_upload_bytes
    request.max_content_length = cap + _MULTIPART_SLACK  # werkzeug answers a longer body with 413 unread
    if request.content_length is not None and request.content_length > cap + _MULTIPART_SLACK:
        raise PayloadTooLarge(f"the file is larger than {cap} bytes")
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("upload one file in the multipart field 'file'", [{"field": "file", "message": "required"}])
    data = upload.stream.read(cap + 1)
    if len(data) > cap:
        raise PayloadTooLarge(f"the file is larger than {cap} bytes")
    return data, upload.filename


@blp.route("/tasks/<string:task_id>/attachments")
class TaskAttachments(MethodView):
    @blp.arguments(AttachmentFilter, location="query")
    @blp.response(200, page_schema(AttachmentSchema, "AttachmentPage"))
    @errors_documented(blp, 404)
    def get(self, args: dict[str, Any], task_id: str) -> dict[str, Any]:
        """The evidence uploaded to a task (active ones by default), for whoever may see the task."""
        with runtime().reading() as conn:
            return q.list_for_task(conn, task_id, principal(), **args)

    @requires(policy.CHANGE_ANYTHING)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": AttachmentUploadSchema}}, "required": True})
    @blp.response(201, AttachmentSchema)
    @errors_documented(blp, 403, 404, 409, 413, 415, 422)
    def post(self, task_id: str) -> tuple[dict[str, Any], int]:
        """Upload evidence to an open task: allowed for whoever may complete it (its assignee, or a candidate
        of an unclaimed task). The type is judged by the content; executables and scripts are refused (415),
        and so is a file over the upload cap (413). The upload is an event in the instance's history."""
        content, name = _upload()
        rt = runtime()
        with rt.unit_of_work() as conn:  # on SQLite the file's checks and storing run under the write lock
            return rt.workflows.apply_to_task(task_id, AttachFile(task_id, content, name), actor=principal(),
                                              conn=conn), 201


@blp.route("/attachments/<string:attachment_id>")
class AttachmentContent(MethodView):
    @blp.doc(responses={"200": _DOWNLOAD})
    @errors_documented(blp, 404)
    def get(self, attachment_id: str) -> Response:
        """Download an attachment (same visibility as its instance: other departments get 404)."""
        rt = runtime()
        with rt.reading() as conn:
            meta, stream = q.open_content(conn, storage_for(rt.settings), attachment_id, principal())
        shown = q.inline(meta["content_type"])
        response = send_file(stream, mimetype=meta["content_type"], as_attachment=not shown,
                             download_name=meta["file_name"], conditional=False, etag=meta["sha256"],
                             max_age=None)
        # Werkzeug labels text/* as UTF-8; a CSV may be GB18030, so the type goes out as detected, unlabelled.
        response.headers["Content-Type"] = meta["content_type"]
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if meta["content_type"] != "application/pdf":  # browsers' PDF viewers do not run in a sandbox
            response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @requires(policy.CHANGE_ANYTHING)
    @blp.response(200, AttachmentSchema)
    @errors_documented(blp, 403, 404, 409)
    def delete(self, attachment_id: str) -> dict[str, Any]:
        """Withdraw an upload, by its uploader while the task is open; once the task has ended its evidence
        is immutable (409). The record and the file are kept for the audit, marked deleted."""
        rt = runtime()
        with rt.unit_of_work() as conn:
            found = q.get(conn, attachment_id, principal())
            return rt.workflows.apply_to_task(found["task_id"], DetachFile(found["task_id"], attachment_id),
                                              actor=principal(), conn=conn)


@blp.route("/attachments/<string:attachment_id>/meta")
class AttachmentMeta(MethodView):
    @blp.response(200, AttachmentSchema)
    @errors_documented(blp, 404)
    def get(self, attachment_id: str) -> dict[str, Any]:
        """An attachment's metadata: name, detected type, size, SHA-256, uploader, task, state."""
        with runtime().reading() as conn:
            return q.get(conn, attachment_id, principal())
