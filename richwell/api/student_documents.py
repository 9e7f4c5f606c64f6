"""Student API: my released documents (list, detail, download). Only the caller's own and never
a revoked one (404 otherwise); every download is audited by the service."""
from __future__ import annotations

import marshmallow as ma
from flask import make_response, request

from richwell.api.common import MAX_ID, PageArgsSchema, UTCDateTime, api_user, page_schema, paginate
from richwell.api.student import bp
from richwell.services import documents

RELEASE_ID = f"<int(min=1, max={MAX_ID}):release_id>"
FILE_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class _Url(ma.fields.String):
    def __init__(self, suffix: str, **kwargs):
        super().__init__(dump_only=True, **kwargs)
        self.suffix = suffix

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return f"{request.url_root.rstrip('/')}{self.suffix.format(obj=obj)}"


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True, metadata={"example": "TOR-2026-000123"})
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["TOR", "COE", "CGM", "HD", "DIP", "OTH"]))
    kind_label = ma.fields.String(required=True, metadata={"example": "Transcript of records"})
    purpose = ma.fields.String(required=True, metadata={"example": "Employment"})
    copies = ma.fields.Integer(required=True)
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(["GENERATED", "SCAN"]))
    released_at = UTCDateTime(required=True)
    code = ma.fields.String(required=True, metadata={"description": "verification code printed with its QR",
                                                     "example": "ABCD-EFGH-IJKL-MNOP"})
    verify_url = _Url("/verify/{obj.code}", required=True, metadata={"format": "uri"})
    download_url = _Url("/api/v1/student/documents/{obj.id}/download/", required=True, metadata={"format": "uri"})


@bp.route("/documents/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(DocumentSchema))
@bp.alt_response(404, response="NOT_FOUND")
def documents_list(args):
    """My documents

    Documents the registrar released to me, newest first, 20 per page. Revoked ones are not listed.
    """
    return paginate(documents.student_documents(api_user()), args["page"])


@bp.route(f"/documents/{RELEASE_ID}/")
@bp.response(200, DocumentSchema)
@bp.alt_response(404, response="NOT_FOUND")
def document_detail(release_id: int):
    """One of my documents

    Another student's document, or a revoked one, is 404.
    """
    return documents.get_release(api_user(), release_id)


@bp.route(f"/documents/{RELEASE_ID}/download/")
@bp.response(200, description="The PDF of a generated document, or the signed scan as uploaded (PDF, PNG or "
                               "JPEG). Audited.", content_type="application/pdf")
@bp.alt_response(404, response="NOT_FOUND")
def document_download(release_id: int):
    """Download one of my documents"""
    item = documents.open_release(api_user(), release_id, how="api download")
    if item.scan_name:
        body, content_type = documents.scan_bytes(item), item.scan_content_type or "application/octet-stream"
    else:
        url = f"{request.url_root.rstrip('/')}/verify/{item.code}"
        body, content_type = documents.release_pdf(item, url), "application/pdf"
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{item.number}.{FILE_TYPES.get(content_type, "bin")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
