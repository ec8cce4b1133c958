"""Console pages of the technical-document registry: the list, one document with its versions and copies (the
issue-copy and new-version forms on it), the registration form, and the trace page (upload or paste a leaked text;
the result as a ranked table with the honest messages: "not one of ours", "no mark found", "single leaker assumed").

Forms work without JavaScript. Registering redirects (303) to the new document with a ``notice``; issuing a copy
answers with the marked file as a download. Bad input re-renders the form with the error (nothing is written).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from reetrace.domains.documents.models import LEVELS
from reetrace.errors import Error
from reetrace.web import documentsview as view
from reetrace.web.access import require
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
READ = require("documents:document:read")
REGISTER = require("documents:document:register")
TRACE = require("documents:leak:trace")
DocumentId = Annotated[str, Path(pattern=view.DOCUMENT_ID)]
Short = Annotated[str, Form(max_length=300)]
Upload = Annotated[UploadFile | None, File()]
Notice = Annotated[Literal["registered", "version-added"] | None, Query()]
SHOWN_ERRORS = (400, 403, 404, 409, 413)


def _upload(file: UploadFile | None) -> tuple[bytes, str]:
    if file is None:
        return b"", ""
    return file.file.read(view.MAX_UPLOAD + 1), file.filename or ""


def _message(exc: Error) -> tuple[str, list[Any], int]:
    return exc.message, list(exc.details), exc.http_status


@router.get("/documents", response_class=HTMLResponse, **READ)
def list_page(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "documents_list.html", {"page": "documents", "listing": view.document_list(scoped)})


def new_context(values: dict[str, str], error: Error | None = None) -> dict[str, Any]:
    message, details, _ = _message(error) if error is not None else ("", [], 200)
    return {"page": "documents", "values": values, "levels": LEVELS, "error": message, "details": details}


@router.get("/documents/new", response_class=HTMLResponse, **REGISTER)
def new_form(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "documents_new.html", new_context({"level": "secret"}))


@router.post("/documents/new", response_class=HTMLResponse, **REGISTER)
def new_upload(request: Request, scoped: Visible, file: Upload = None, title: Short = "", level: Short = "",
               recipients: Annotated[str, Form(max_length=20_000)] = "", owner: Short = "") -> Response:
    values = {"title": title, "level": level, "recipients": recipients, "owner": owner}
    data, filename = _upload(file)
    try:
        done = view.register(request, scoped, data, filename, title=title, level=level, recipients=[recipients],
                             owner=owner.strip() or None)
    except Error as exc:
        if exc.http_status not in SHOWN_ERRORS:
            raise
        return render(request, "documents_new.html", new_context(values, exc), status_code=exc.http_status)
    return RedirectResponse(f"/documents/{done.document_id}?notice=registered", status_code=303)


def trace_context(text: str = "", result: view.TraceOut | None = None,
                  error: Error | None = None) -> dict[str, Any]:
    message, details, _ = _message(error) if error is not None else ("", [], 200)
    return {"page": "documents", "text": text, "result": result, "error": message, "details": details}


@router.get("/documents/trace", response_class=HTMLResponse, **TRACE)
def trace_form(request: Request, scoped: Visible) -> HTMLResponse:
    return render(request, "documents_trace.html", trace_context())


@router.post("/documents/trace", response_class=HTMLResponse, **TRACE)
def trace_upload(request: Request, scoped: Visible, file: Upload = None,
                 text: Annotated[str, Form(max_length=view.MAX_TEXT)] = "") -> HTMLResponse:
    data, filename = _upload(file)
    try:
        result = view.trace_leak(request, scoped, view.leaked_text(data or None, filename, text))
    except Error as exc:
        if exc.http_status not in SHOWN_ERRORS:
            raise
        return render(request, "documents_trace.html", trace_context(text, error=exc), status_code=exc.http_status)
    return render(request, "documents_trace.html", trace_context(text, result), headers={"Cache-Control": "no-store"})


def detail_context(scoped: Visible, document_id: str, notice: str | None = None, error: Error | None = None,
                   values: dict[str, str] | None = None) -> dict[str, Any]:
    message, details, _ = _message(error) if error is not None else ("", [], 200)
    return {"page": "documents", "d": view.document_detail(scoped, document_id), "notice": notice,
            "error": message, "details": details, "values": values or {}}


@router.get("/documents/{document_id}", response_class=HTMLResponse, **READ)
def detail_page(request: Request, scoped: Visible, document_id: DocumentId, notice: Notice = None) -> HTMLResponse:
    return render(request, "documents_detail.html", detail_context(scoped, document_id, notice))


@router.post("/documents/{document_id}/copies", **require("documents:copy:issue"))
def issue_copy(request: Request, scoped: Visible, document_id: DocumentId, to: Short = "", device: Short = "",
               ip: Short = "", version: Annotated[str, Form(max_length=10)] = "",
               format: Annotated[str, Form(max_length=10)] = "") -> Response:
    """The marked copy as a download; a refused copy shows the document page again with the reason."""
    values = {"to": to, "device": device, "ip": ip, "version": version, "format": format}
    try:
        form = view.CopyInput(to=to, device=device, ip=ip, version=int(version) if version.strip() else None,
                              format=format or None)  # pydantic checks the literal
        copy, out = view.issue(request, scoped, document_id, form)
    except (Error, ValidationError, ValueError) as exc:
        if isinstance(exc, Error) and (exc.http_status not in SHOWN_ERRORS or exc.code == "not_found"):
            raise
        error = exc if isinstance(exc, Error) else view.form_error(exc)
        return render(request, "documents_detail.html", detail_context(scoped, document_id, error=error,
                                                                       values=values), status_code=error.http_status)
    return Response(out.data, media_type=out.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{out.filename}"', "X-Copy-Id": copy.copy_id,
                             "Cache-Control": "no-store"})


@router.post("/documents/{document_id}/versions", **REGISTER)
def add_version(request: Request, scoped: Visible, document_id: DocumentId, file: Upload = None) -> Response:
    data, filename = _upload(file)
    try:
        view.add_version(request, scoped, document_id, data, filename)
    except Error as exc:
        if exc.http_status not in SHOWN_ERRORS or exc.code == "not_found":
            raise
        return render(request, "documents_detail.html", detail_context(scoped, document_id, error=exc),
                      status_code=exc.http_status)
    return RedirectResponse(f"/documents/{document_id}?notice=version-added", status_code=303)
