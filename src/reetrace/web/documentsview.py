"""Technical documents as the API and the console show them: the registry, one document with its versions and the
copies issued, registration and new versions, issuing a fingerprinted copy, tracing a leaked file or text, and the
access events of a copy.

Reads go through the principal's :class:`Scoped` view: a document or copy of another tenant (or none at all) is an
audited 404. Writes check the object through the same view first, then call the domain with a :class:`Caller` built
from the principal; the domain refuses bad input before anything is written.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select

from reetrace.domains.documents import access, pictures, registry, trace
from reetrace.domains.documents.extract import MAX_BYTES, extract
from reetrace.domains.documents.models import IssuedCopy
from reetrace.domains.documents.tables import copies, documents, versions
from reetrace.errors import Detail, Error, invalid
from reetrace.web.deps import Scoped, client_ip, unit_of_work
from reetrace.web.personnelview import caller_of

DOCUMENT_ID = r"^RT-DOC-\d{4}-\d{6}$"
COPY_ID = r"^RT-CPY-[0-9A-F]{16}$"
MAX_UPLOAD = MAX_BYTES
MAX_TEXT = 2_000_000
Level = Literal["public", "internal", "confidential", "secret", "core"]
Action = Literal["open", "download", "print"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DocumentSummary(_Out):
    document_id: str
    tenant: str
    title: str
    level: str
    owner: str
    versions: int
    copies: int
    sha256: str
    media_type: str


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class VersionOut(_Out):
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str
    text_sha256: str | None
    sites: int
    recorded_at: datetime
    entry_idx: int


class CopyOut(_Out):
    copy_id: str
    version: int
    recipient_kind: str
    recipient: str
    device: str
    ip: str
    issued_by: str
    issued_at: datetime
    entry_idx: int


class DocumentDetail(BaseModel):
    document: DocumentSummary
    recipients: list[str]
    versions: list[VersionOut]
    copies: list[CopyOut]


class RegisteredOut(_Out):
    document_id: str
    version: int
    sha256: str
    sites: int
    fingerprints: int
    entry_idx: int
    href: str = ""


CopyFormat = Literal["text", "pdf", "png"]


class CopyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=200, description="A person id (P-...) or a user name allowed to receive")
    device: str = Field(min_length=1, max_length=200, description="The device the copy is for")
    ip: str = Field(min_length=2, max_length=45, description="The IP address it is handed out to")
    version: int | None = Field(default=None, ge=1, description="Which version (default: the latest)")
    format: CopyFormat | None = Field(default=None, description="text (marked text), pdf (marked rendered pages) or "
                                      "png (a marked diagram); default: text, or png for a picture version")


class AccessInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    device: str | None = Field(default=None, min_length=1, max_length=200)
    ip: str | None = Field(default=None, min_length=2, max_length=45, description="Default: the client's address")


class AccessOut(_Out):
    copy_id: str
    document_id: str
    version: int
    recipient: str
    action: str
    entry_idx: int


class SuspectOut(_Out):
    copy_id: str
    recipient_kind: str
    recipient: str
    device: str
    ip: str
    version: int
    issued_at: str
    score: float
    accused: bool
    false_accusation_bound: float


class TraceOut(_Out):
    trace_id: str
    verdict: str
    document_id: str | None
    version: int | None
    containment: float
    tied_versions: list[int]
    sites_in_version: int
    sites_covered: int
    sites_read: int
    single_leaker: bool
    collusion_resistant: bool
    threshold: float
    note: str
    suspects: list[SuspectOut]
    entry_idx: int
    pages: list[int] | None = None


# --- reads ---------------------------------------------------------------------------------------------------


def _summaries(scoped: Scoped, document_id: str | None = None) -> list[DocumentSummary]:
    query = select(documents, versions.c.sha256, versions.c.media_type).join(versions, (
        versions.c.document_id == documents.c.document_id) & (versions.c.version == documents.c.latest_version))
    counted = select(copies.c.document_id, func.count()).group_by(copies.c.document_id)
    if document_id is not None:
        query = query.where(documents.c.document_id == document_id)
        counted = counted.where(copies.c.document_id == document_id)
    counts = {str(d): int(n) for d, n in scoped.all(counted)}
    return [DocumentSummary(document_id=r.document_id, tenant=r.tenant, title=r.title, level=r.level, owner=r.owner,
                            versions=r.latest_version, copies=counts.get(r.document_id, 0), sha256=r.sha256,
                            media_type=r.media_type)
            for r in scoped.all(query.order_by(documents.c.document_id))]


def document_list(scoped: Scoped) -> DocumentList:
    return DocumentList(documents=_summaries(scoped))


def visible_document(scoped: Scoped, document_id: str) -> Any:
    return scoped.one_or_refuse(select(documents).where(documents.c.document_id == document_id),
                                f"no document {document_id!r} that you may see")


def document_detail(scoped: Scoped, document_id: str) -> DocumentDetail:
    row = visible_document(scoped, document_id)
    listed = scoped.all(select(versions).where(versions.c.document_id == document_id).order_by(versions.c.version))
    issued = scoped.all(select(copies).where(copies.c.document_id == document_id).order_by(copies.c.entry_idx))
    return DocumentDetail(document=_summaries(scoped, document_id)[0], recipients=json.loads(row.recipients),
                          versions=[VersionOut.model_validate(v) for v in listed],
                          copies=[CopyOut.model_validate(c) for c in issued])


# --- writes --------------------------------------------------------------------------------------------------


def _file(data: bytes, filename: str) -> tuple[bytes, str]:
    name = (filename or "").rsplit("/", 1)[-1].strip()
    if not name:
        raise invalid("the upload has no file name", Detail("choose a file to upload", "file"))
    if not data:
        raise invalid(f"{name} is empty", Detail("the uploaded file holds no bytes", "file"), code="bad_document")
    if len(data) > MAX_UPLOAD:
        raise Error(f"{name} is larger than {MAX_UPLOAD:,} bytes", code="too_large", http_status=413,
                    details=[Detail("upload a smaller file", "file")])
    return data, name


def recipients_of(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.replace("\n", ",").split(",") if part.strip()]


def register(request: Request, scoped: Scoped, data: bytes, filename: str, *, title: str, level: str,
             recipients: list[str], owner: str | None = None) -> RegisteredOut:
    data, name = _file(data, filename)
    with unit_of_work(request) as (uow, _):
        done = registry.register_document(uow, caller_of(scoped.principal), data, name, title=title, level=level,
                                          owner=owner or None, recipients=recipients_of(recipients))
    return RegisteredOut.model_validate(done).model_copy(update={"href": f"/api/v1/documents/{done.document_id}"})


def add_version(request: Request, scoped: Scoped, document_id: str, data: bytes, filename: str) -> RegisteredOut:
    visible_document(scoped, document_id)
    data, name = _file(data, filename)
    with unit_of_work(request) as (uow, _):
        done = registry.add_version(uow, caller_of(scoped.principal), document_id, data, name)
    return RegisteredOut.model_validate(done).model_copy(update={"href": f"/api/v1/documents/{document_id}"})


def issue(request: Request, scoped: Scoped, document_id: str, form: CopyInput) -> tuple[IssuedCopy, pictures.CopyFile]:
    """Issue a copy and produce its file in the asked format, in one transaction (no copy without its file)."""
    visible_document(scoped, document_id)
    caller = caller_of(scoped.principal)
    with unit_of_work(request) as (uow, vault):
        copy = registry.issue_copy(uow, vault, caller, document_id, form.to, device=form.device, ip=form.ip,
                                   version=form.version)
        fmt = form.format or ("text" if copy.text is not None else "png")
        return copy, pictures.copy_file(uow, vault, caller, copy.copy_id, fmt)


def copy_download(request: Request, scoped: Scoped, copy_id: str, fmt: str) -> pictures.CopyFile:
    """An issued copy's file again (marked text, PDF or PNG), recorded as a download of that copy."""
    scoped.one_or_refuse(select(copies.c.copy_id).where(copies.c.copy_id == copy_id),
                         f"no copy {copy_id!r} that you may see")
    caller = caller_of(scoped.principal)
    with unit_of_work(request) as (uow, vault):
        out = pictures.copy_file(uow, vault, caller, copy_id, fmt)
        access.record_copy_access(uow, caller, copy_id, "download", ip=_request_ip(request))
    return out


def form_error(exc: ValidationError | ValueError) -> Error:
    """A console form's bad field as the API's error (field named)."""
    if isinstance(exc, ValidationError):
        details = [Detail(str(e.get("msg", "invalid value")), ".".join(str(p) for p in e.get("loc", ())))
                   for e in exc.errors()]
        return invalid(f"the copy is not valid: {details[0].location}: {details[0].message}", *details)
    return invalid("the version is not a number", Detail("give a version number or leave it empty", "version"))


PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")


def leaked_text(data: bytes | None, filename: str, text: str) -> str | tuple[bytes, str]:
    """What to trace: the uploaded file's text layer, the uploaded picture or picture-only PDF (bytes, name), or the
    pasted text (exactly one of file and text)."""
    if data and text.strip():
        raise invalid("give either a file or a pasted text, not both", Detail("clear one of the two", "text"))
    if data:
        data, name = _file(data, filename)
        if name.lower().endswith(PICTURE_SUFFIXES):
            return data, name
        got = extract(data, name)
        if got.text is None:
            if got.media_type == "application/pdf":
                return data, name  # a PDF of page images (e.g. a PDF copy): traced as pictures
            raise invalid(f"{name} ({got.media_type}) has no text layer and is not a picture",
                          Detail("upload the leaked text, a picture or a PDF", "file"), code="no_text_layer")
        return got.text
    if not text.strip():
        raise invalid("nothing to trace: upload the leaked file or paste the leaked text",
                      Detail("paste the leaked text or choose a file", "text"), code="empty_trace")
    if len(text) > MAX_TEXT:
        raise invalid(f"the pasted text has {len(text):,} characters; at most {MAX_TEXT:,} are accepted",
                      Detail("paste a shorter excerpt", "text"))
    return text


def trace_leak(request: Request, scoped: Scoped, leaked: str | tuple[bytes, str]) -> TraceOut:
    with unit_of_work(request) as (uow, vault):
        if isinstance(leaked, str):
            result = trace.trace(uow, vault, caller_of(scoped.principal), leaked)
        else:
            result = pictures.trace_picture(uow, vault, caller_of(scoped.principal), *leaked)
    return TraceOut.model_validate(result)


def _request_ip(request: Request) -> str | None:
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def record_access(request: Request, scoped: Scoped, copy_id: str, form: AccessInput) -> AccessOut:
    scoped.one_or_refuse(select(copies.c.copy_id).where(copies.c.copy_id == copy_id),
                         f"no copy {copy_id!r} that you may see")
    with unit_of_work(request) as (uow, _):
        done = access.record_copy_access(uow, caller_of(scoped.principal), copy_id, form.action, device=form.device,
                                         ip=form.ip if form.ip is not None else _request_ip(request))
    return AccessOut.model_validate(done)
