"""``/api/v1/documents``: the technical-document registry, fingerprinted copies, leak tracing and copy access events.

Files are uploaded as ``multipart/form-data``; an issued copy comes back as the marked file itself (its copy id in
the ``X-Copy-Id`` header). A document or copy of another tenant does not exist for the caller (an audited 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response

from reetrace.web import documentsview as view
from reetrace.web.access import require
from reetrace.web.api.common import ERROR_RESPONSES, ErrorBody
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1/documents", tags=["documents"], responses=ERROR_RESPONSES)
DocumentId = Annotated[str, Path(pattern=view.DOCUMENT_ID, description="A document id: RT-DOC-YYYY-NNNNNN")]
CopyId = Annotated[str, Path(pattern=view.COPY_ID, description="A copy id: RT-CPY-<16 hex>")]
MORE: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "This file is registered already"},
    413: {"model": ErrorBody, "description": "The file is too large"}}
READ = require("documents:document:read")
REGISTER = require("documents:document:register")


def upload_bytes(file: UploadFile) -> bytes:
    return file.file.read(view.MAX_UPLOAD + 1)


@router.get("", **READ)
def documents(scoped: Visible) -> view.DocumentList:
    """Registered documents of the tenants one may see, with their latest version and the copies issued."""
    return view.document_list(scoped)


@router.post("", status_code=201, responses=MORE, **REGISTER)
def register(request: Request, scoped: Visible,
             file: Annotated[UploadFile, File(description="Markdown, text, DOCX, XLSX, PDF, PNG or JPEG")],
             title: Annotated[str, Form(min_length=1, max_length=300)],
             level: Annotated[view.Level, Form()],
             recipients: Annotated[list[str], Form(description="Person ids (P-...) or user names; repeat or use "
                                                               "commas")] = [],  # noqa: B006  (FastAPI copies it)
             owner: Annotated[str | None, Form(max_length=200)] = None) -> view.RegisteredOut:
    """Register a document and its first version: a readable id, its SHA-256, the content index updated."""
    return view.register(request, scoped, upload_bytes(file), file.filename or "", title=title, level=level,
                         recipients=recipients, owner=owner)


@router.get("/{document_id}", **READ)
def document(scoped: Visible, document_id: DocumentId) -> view.DocumentDetail:
    """One document: its versions and every copy issued (recipient, device, IP address, time)."""
    return view.document_detail(scoped, document_id)


@router.post("/{document_id}/versions", status_code=201, responses=MORE, **REGISTER)
def version(request: Request, scoped: Visible, document_id: DocumentId,
            file: Annotated[UploadFile, File(description="The new version's file")]) -> view.RegisteredOut:
    """Record a new version of a document (refused when the file is registered already)."""
    return view.add_version(request, scoped, document_id, upload_bytes(file), file.filename or "")


@router.post("/{document_id}/copies", status_code=201, response_class=Response,
             responses={201: {"content": {"text/plain": {}, "application/pdf": {}, "image/png": {}},
                              "description": "The marked copy"}},
             **require("documents:copy:issue"))
def issue(request: Request, scoped: Visible, document_id: DocumentId, body: view.CopyInput) -> Response:
    """Issue a fingerprinted copy to an allowed recipient; the answer is the marked file (recorded on the log):
    marked text, the marked rendered pages as a PDF (``"format": "pdf"``), or a marked diagram as PNG."""
    copy, out = view.issue(request, scoped, document_id, body)
    return _copy_response(out, copy.copy_id, 201, {"X-Log-Entry": str(copy.entry_idx)})


@router.get("/copies/{copy_id}/file", response_class=Response,
            responses={200: {"content": {"text/plain": {}, "application/pdf": {}, "image/png": {}},
                             "description": "The marked copy"}},
            **require("documents:copy:issue"))
def copy_file(request: Request, scoped: Visible, copy_id: CopyId,
              format: Annotated[view.CopyFormat, Query(description="text, pdf or png")] = "text") -> Response:
    """An issued copy's file again, in the format asked (recorded as a download of the copy)."""
    return _copy_response(view.copy_download(request, scoped, copy_id, format), copy_id, 200, {})


def _copy_response(out: Any, copy_id: str, status: int, extra: dict[str, str]) -> Response:
    return Response(out.data, status_code=status, media_type=out.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{out.filename}"', "X-Copy-Id": copy_id,
                             "X-Copy-Sha256": out.sha256, "Cache-Control": "no-store", **extra})


@router.post("/trace", **require("documents:leak:trace"))
def trace(request: Request, scoped: Visible,
          file: Annotated[UploadFile | None, File(description="The leaked file")] = None,
          text: Annotated[str, Form(description="Or the leaked text, pasted")] = "") -> view.TraceOut:
    """Which document and version a leaked file or text came from, the marks it shows and the copies they point
    to, ranked, with each one's false-accusation bound; or "no mark found" / "not one of ours". Recorded."""
    data = upload_bytes(file) if file is not None else None
    leaked = view.leaked_text(data, file.filename or "" if file is not None else "", text)
    return view.trace_leak(request, scoped, leaked)


@router.post("/copies/{copy_id}/access", status_code=201, **READ)
def copy_access(request: Request, scoped: Visible, copy_id: CopyId, body: view.AccessInput) -> view.AccessOut:
    """Record that a copy was opened, downloaded or printed (the personnel insider signals read these)."""
    return view.record_access(request, scoped, copy_id, body)
