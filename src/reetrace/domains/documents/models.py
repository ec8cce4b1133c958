"""Event bodies and results of the technical-document registry: documents, versions, copies and leak traces.

Bodies are what the log holds. A document version carries the SHA-256 of the file and of its extracted text, never
the content (that lives in the content store, ``documents_files``, like the vault holds personal values). A copy
issued to a person names them by a vault commitment; their person id is in the entry's subjects, as in every
personnel event, so that the insider signals (``personnel.queries.document_access``) find it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DOCUMENT_ID = r"^RT-DOC-\d{4}-\d{6}$"
COPY_ID = r"^RT-CPY-[0-9A-F]{16}$"
SHA256 = r"^[0-9a-f]{64}$"
COMMITMENT = r"^hmac-sha256:[0-9a-f]{64}$"
LEVELS = ("public", "internal", "confidential", "secret", "core")
Level = Literal["public", "internal", "confidential", "secret", "core"]
RecipientKind = Literal["person", "user"]
MediaType = Literal["text/markdown", "text/plain", "application/pdf",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/png", "image/jpeg"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentRegistered(_Frozen):
    document_id: str = Field(pattern=DOCUMENT_ID)
    title: str = Field(min_length=1, max_length=300)
    level: Level
    owner: str = Field(min_length=1, max_length=200)
    recipients: tuple[str, ...] = Field(default=(), max_length=2000)  # who may receive copies, besides the owner


class VersionRecorded(_Frozen):
    document_id: str = Field(pattern=DOCUMENT_ID)
    version: int = Field(ge=1)
    filename: str = Field(min_length=1, max_length=300)
    media_type: MediaType
    size: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256)
    text_sha256: str | None = Field(default=None, pattern=SHA256)  # None: registered by hash only
    characters: int = Field(ge=0)
    sites: int = Field(ge=0)  # pasted-text mark sites in this version
    fingerprints: int = Field(ge=0)  # content-index fingerprints of this version


class CopyIssued(_Frozen):
    copy_id: str = Field(pattern=COPY_ID)
    document_id: str = Field(pattern=DOCUMENT_ID)
    version: int = Field(ge=1)
    recipient_kind: RecipientKind
    recipient: str | None = Field(default=None, max_length=200)  # a user name; None for a person
    recipient_commitment: str | None = Field(default=None, pattern=COMMITMENT)  # a person, sealed in the vault
    device: str = Field(min_length=1, max_length=200)
    ip: str = Field(min_length=2, max_length=45)
    code_length: int = Field(ge=1)
    positions: int = Field(ge=0)  # codeword positions the text layer carries
    sha256: str = Field(pattern=SHA256)  # of the marked copy as handed out


class LeakTraced(_Frozen):
    trace_id: str = Field(pattern=r"^RT-TRC-[0-9A-F]{16}$")
    excerpt_sha256: str = Field(pattern=SHA256)
    characters: int = Field(ge=0)
    document_id: str | None = Field(default=None, pattern=DOCUMENT_ID)
    version: int | None = Field(default=None, ge=1)
    containment: float = Field(ge=0.0, le=1.0)
    sites_read: int = Field(ge=0)
    accused: tuple[str, ...] = ()  # copy ids
    single_leaker: bool
    verdict: Literal["accused", "no_mark", "no_accusation", "not_ours"]
    note: str = Field(max_length=1000)


# --- results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    document_id: str
    version: int
    sha256: str
    sites: int
    fingerprints: int
    entry_idx: int


@dataclass(frozen=True)
class IssuedCopy:
    copy_id: str
    document_id: str
    version: int
    recipient: str
    text: str | None  # the marked text as handed out
    positions: int
    code_length: int
    entry_idx: int


@dataclass(frozen=True)
class DocumentSummary:
    document_id: str
    tenant: str
    title: str
    level: str
    owner: str
    versions: int
    copies: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class TraceSuspect:
    copy_id: str
    recipient_kind: str
    recipient: str  # person id or user name
    device: str
    ip: str
    version: int
    issued_at: str
    score: float
    accused: bool
    false_accusation_bound: float  # Chernoff bound on an innocent scoring this high


@dataclass(frozen=True)
class TraceResult:
    trace_id: str
    verdict: str  # accused | no_mark | no_accusation | not_ours
    document_id: str | None
    version: int | None
    containment: float
    tied_versions: list[int]
    sites_in_version: int
    sites_covered: int
    sites_read: int
    bits: str  # the read bits in site order: 0, 1 or '.' for erased
    single_leaker: bool
    collusion_resistant: bool
    threshold: float
    note: str
    suspects: list[TraceSuspect] = field(default_factory=list)
    entry_idx: int = -1
    pages: list[int] | None = None  # a picture trace: the master pages (1-based) the picture showed; text: None
