"""Deploying and listing process models (BPMN, DMN and form files)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from service import policy
from service.api import runtime
from service.api.blueprint import Blueprint, principal, requires
from service.api.problems import errors_documented
from service.api.schemas import PageArgs, UTCDateTime, page_schema
from service.bpm import deploy as deployment
from service.errors import InvalidInput, InvalidModel
from service.queries import process_models_queries

blp = Blueprint("process-models", __name__, url_prefix="/api/process-models",
                description="Deploy BPMN/DMN/form files as immutable versions; list them")


class UploadSchema(Schema):
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                        metadata={"description": "repeatable: .bpmn, .dmn, <formKey>.schema.json, <formKey>.ui.json"})


class ProcessRefSchema(Schema):
    process_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    file = fields.String(allow_none=True)


class DeploymentSchema(Schema):
    version = fields.String(required=True)
    created = fields.Boolean(required=True)
    deployed_at = UTCDateTime(required=True)
    processes = fields.List(fields.Nested(ProcessRefSchema), required=True)


class ValidationResultSchema(Schema):
    valid = fields.Boolean(required=True)
    processes = fields.List(fields.Nested(ProcessRefSchema), required=True)


class ProcessModelSchema(Schema):
    process_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    version = fields.String(required=True)
    file = fields.String(allow_none=True)
    deployed_at = UTCDateTime(required=True)


class VersionSchema(Schema):
    version = fields.String(required=True)
    deployed_at = UTCDateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    file = fields.String(allow_none=True)


class ProcessModelDetailSchema(ProcessModelSchema):
    versions = fields.List(fields.Nested(VersionSchema), required=True)




def _uploaded_files() -> dict[str, bytes]:
    files = request.files.getlist("files")
    if not files:
        raise InvalidInput("upload one or more files in the multipart field 'files'",
                           [{"field": "files", "message": "required"}])
    out: dict[str, bytes] = {}
    for f in files:
        name = (f.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name in out:
            raise InvalidModel("duplicate file name", [{"file": name, "line": None, "element_id": None,
                                                         "message": "the same file name was uploaded twice"}])
        out[name] = f.read()
    return out


@blp.route("")
class ProcessModels(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(ProcessModelSchema, "ProcessModelPage"))
    @errors_documented(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The latest version of every deployed process."""
        with runtime().reading() as conn:
            return process_models_queries.list_latest(conn, args["page"], args["per_page"])

    @requires(policy.DEPLOY_MODELS)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": UploadSchema}}, "required": True})
    @blp.response(201, DeploymentSchema)
    @blp.alt_response(200, schema=DeploymentSchema, description="identical files were already deployed")
    @errors_documented(blp, 403, 413, 422)
    def post(self) -> Any:
        """Deploy files as a new version (all or nothing); identical files are a no-op."""
        rt = runtime()
        with rt.unit_of_work() as conn:
            result = deployment.deploy(conn, rt.specs, _uploaded_files(), rt.settings, actor=principal().username)
        body = {"version": result.version, "created": result.created, "deployed_at": result.deployed_at,
                "processes": result.processes}
        return body, (201 if result.created else 200)


@blp.route("/validate")
class Validate(MethodView):
    @requires(policy.DEPLOY_MODELS)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": UploadSchema}}, "required": True})
    @blp.response(200, ValidationResultSchema)
    @errors_documented(blp, 403, 413, 422)
    def post(self) -> dict[str, Any]:
        """Validate files exactly as a deployment would, storing nothing."""
        rt = runtime()
        bundle, errors = deployment.check(_uploaded_files(), rt.settings)
        if errors:
            raise InvalidModel(deployment.invalid_detail(errors), [e.as_dict() for e in errors])
        return {"valid": True, "processes": [{"process_id": p, "name": n, "file": f}
                                             for p, (f, n) in sorted(bundle.processes.items())]}


@blp.route("/<string:process_id>")
class ProcessModel(MethodView):
    @blp.response(200, ProcessModelDetailSchema)
    @errors_documented(blp, 404)
    def get(self, process_id: str) -> dict[str, Any]:
        """A process with all versions it was deployed in."""
        with runtime().reading() as conn:
            return process_models_queries.get(conn, process_id)
