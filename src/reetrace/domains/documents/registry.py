"""The technical-document registry: register documents and versions, issue fingerprinted copies, list them.

A document gets a readable id ``RT-DOC-YYYY-NNNNNN`` (numbered per year, under the log's sequencer lock) and every
version is a ``documents.version.recorded`` entry with the SHA-256 of the file and of its text. The file and its
text go to the content store (``documents_files``); the content index is the projection ``documents_fingerprints``
(winnowing fingerprints of each version's text, :mod:`.contentindex`), rebuilt by ``log replay`` from the store.

A copy is issued to a person of the personnel registry (``P-...``) or a user, for a device, from an IP address. Its
codeword is the copy id's row of the document's Tardos code (:mod:`.tardos`), keyed by a secret derived from the
vault's master key and the document id (nothing per copy is stored but the id); site ``i`` of the text
(:mod:`.textmarks`) carries codeword position ``i mod m``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Row, func, insert, or_, select, update

from reetrace.authz.tables import tenants, users
from reetrace.domains.personnel.models import Caller
from reetrace.domains.personnel.tables import persons
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from . import codewords, tardos
from .contentindex import fingerprint
from .extract import extract
from .models import (
    LEVELS,
    CopyIssued,
    DocumentRegistered,
    DocumentSummary,
    IssuedCopy,
    LeakTraced,
    Registered,
    VersionRecorded,
)
from .tables import copies, documents, files, fingerprints, traces, versions
from .textmarks import find_sites, render

Items = Sequence[tuple[Event, int]]


def code_key(vault: Vault, document_id: str) -> bytes:
    """The document's secret code key: a keyed derivation from the vault's master key (never stored)."""
    return bytes.fromhex(vault.blind_index("documents.tardos", document_id))


def document_code(vault: Vault, document_id: str) -> tuple[bytes, tardos.TardosCode]:
    key = code_key(vault, document_id)
    return key, tardos.generate_code(key, document_id)


# --- register ------------------------------------------------------------------------------------------------------


def _next_document_id(conn: Connection, year: int) -> str:
    prefix = f"RT-DOC-{year}-"
    last = conn.execute(select(func.max(documents.c.document_id)).where(
        documents.c.document_id.like(prefix + "%"))).scalar_one_or_none()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    if number > 999_999:
        raise Error(f"no document number left for {year}", code="registry_full", http_status=409)
    return f"{prefix}{number:06d}"


def _check_recipients(conn: Connection, caller: Caller, recipients: Sequence[str]) -> tuple[str, ...]:
    problems = []
    clean = tuple(dict.fromkeys(r.strip() for r in recipients))
    known = _recipients(conn, caller, [name for name in clean if name])
    for n, name in enumerate(clean):
        if not name:
            problems.append(Detail("a recipient is empty", f"recipients[{n}]"))
        elif name not in known:
            problems.append(Detail(f"{name!r} is neither a person of your tenants (P-...) nor a user",
                                   f"recipients[{n}]"))
    if problems:
        raise invalid(f"the recipients are not valid: {problems[0].location}: {problems[0].message}", *problems,
                      code="bad_recipient")
    return clean


def _recipient(conn: Connection, caller: Caller, name: str) -> tuple[str, Row[Any]] | None:
    if name.startswith("P-"):
        row = conn.execute(select(persons.c.person_id, persons.c.subject_id, persons.c.tenant).where(
            persons.c.person_id == name, persons.c.tenant.in_(sorted(caller.tenants)))).first()
        return None if row is None else ("person", row)
    # a user of the caller's tenants, or of an authority (which reviews them); never another organisation's user
    user = conn.execute(select(users.c.username, users.c.tenant).join(tenants, tenants.c.tenant_id == users.c.tenant)
                        .where(users.c.username == name, users.c.disabled_at.is_(None),
                               or_(users.c.tenant.in_(sorted(caller.tenants)), tenants.c.kind == "authority"))
                        ).first()
    return None if user is None else ("user", user)


def _recipients(conn: Connection, caller: Caller, names: Sequence[str]) -> dict[str, tuple[str, Row[Any]]]:
    """:func:`_recipient` for many names: persons in one query per 500, users one by one (few)."""
    out: dict[str, tuple[str, Row[Any]]] = {}
    people = sorted({n for n in names if n.startswith("P-")})
    for start in range(0, len(people), 500):
        for row in conn.execute(select(persons.c.person_id, persons.c.subject_id, persons.c.tenant).where(
                persons.c.person_id.in_(people[start:start + 500]), persons.c.tenant.in_(sorted(caller.tenants)))):
            out[row.person_id] = ("person", row)
    for name in dict.fromkeys(n for n in names if not n.startswith("P-")):
        found = _recipient(conn, caller, name)
        if found is not None:
            out[name] = found
    return out


def _store_file(conn: Connection, sha256: str, media_type: str, data: bytes, text: str | None) -> None:
    if conn.execute(select(files.c.sha256).where(files.c.sha256 == sha256)).first() is None:
        conn.execute(insert(files).values(sha256=sha256, media_type=media_type, content=data, text=text))


def _version_event(caller: Caller, tenant: str, document_id: str, version: int, data: bytes,
                   filename: str) -> tuple[Event, VersionRecorded, str | None]:
    extracted = extract(data, filename)
    text = extracted.text
    body = VersionRecorded(
        document_id=document_id, version=version, filename=filename.rsplit("/", 1)[-1][:300],
        media_type=extracted.media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        text_sha256=None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest(),
        characters=0 if text is None else len(text), sites=0 if text is None else len(find_sites(text)),
        fingerprints=0 if text is None else len(fingerprint(text)))
    return Event(kind="documents.version.recorded", tenant=tenant, actor=caller.actor,
                 subjects=(document_id,), body=body.model_dump(mode="json")), body, text


def register_document(uow: UnitOfWork, caller: Caller, data: bytes, filename: str, *, title: str, level: str,
                      owner: str | None = None, recipients: Sequence[str] = (),
                      today: datetime | None = None) -> Registered:
    """Register a document and its first version. Errors: 400 naming the field; 409 for content registered before."""
    problems = []
    if not title.strip() or len(title.strip()) > 300:
        problems.append(Detail("a title of 1 to 300 characters is required", "title"))
    if level not in LEVELS:
        problems.append(Detail(f"unknown level {level!r}: one of {', '.join(LEVELS)}", "level"))
    if problems:
        raise invalid(f"the document is not valid: {problems[0].location}: {problems[0].message}", *problems)
    allowed = _check_recipients(uow.conn, caller, recipients)
    sha = hashlib.sha256(data).hexdigest()
    known = uow.conn.execute(select(versions.c.document_id, versions.c.version).where(versions.c.sha256 == sha)).first()
    if known is not None:
        raise Error(f"this file is already registered as {known.document_id} version {known.version}",
                    code="duplicate", http_status=409, details=[Detail("register a changed file as a new version",
                                                                        "file")])
    document_id = _next_document_id(uow.conn, (today or datetime.now(UTC)).year)
    version_event, body, text = _version_event(caller, caller.tenant, document_id, 1, data, filename)
    head = DocumentRegistered(document_id=document_id, title=title.strip(), level=level,
                              owner=(owner or caller.actor).strip(), recipients=allowed)
    _store_file(uow.conn, sha, body.media_type, data, text)
    first, _ = uow.record_many([
        Event(kind="documents.document.registered", tenant=caller.tenant, actor=caller.actor,
              subjects=(document_id,), body=head.model_dump(mode="json")), version_event])
    return Registered(document_id, 1, sha, body.sites, body.fingerprints, first)


def add_version(uow: UnitOfWork, caller: Caller, document_id: str, data: bytes, filename: str) -> Registered:
    """Record a new version of a registered document (refused when the file is unchanged)."""
    doc = document_row(uow.conn, caller, document_id)
    sha = hashlib.sha256(data).hexdigest()
    known = uow.conn.execute(select(versions.c.document_id, versions.c.version).where(versions.c.sha256 == sha)).first()
    if known is not None:
        raise Error(f"this file is already registered as {known.document_id} version {known.version}",
                    code="duplicate", http_status=409)
    event, body, text = _version_event(caller, doc.tenant, document_id, doc.latest_version + 1, data, filename)
    _store_file(uow.conn, sha, body.media_type, data, text)
    index = uow.record(event)
    return Registered(document_id, body.version, sha, body.sites, body.fingerprints, index)


def document_row(conn: Connection, caller: Caller, document_id: str) -> Row[Any]:
    row = conn.execute(select(documents).where(documents.c.document_id == document_id,
                                               documents.c.tenant.in_(sorted(caller.tenants)))).first()
    if row is None:
        raise not_found(f"no document {document_id!r} in your tenants")
    return row


def version_text(conn: Connection, document_id: str, version: int) -> tuple[Row[Any], str | None]:
    row = conn.execute(select(versions).where(versions.c.document_id == document_id,
                                              versions.c.version == version)).first()
    if row is None:
        raise not_found(f"{document_id} has no version {version}")
    text = conn.execute(select(files.c.text).where(files.c.sha256 == row.sha256)).scalar_one_or_none()
    return row, text


# --- copies --------------------------------------------------------------------------------------------------------


def _check_copy_input(device: str, ip: str) -> str:
    problems = []
    if not device.strip() or len(device.strip()) > 200:
        problems.append(Detail("name the device (1 to 200 characters)", "device"))
    try:
        address = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        address = ""
        problems.append(Detail(f"{ip!r} is not an IPv4 or IPv6 address", "ip"))
    if problems:
        raise invalid(f"the copy is not valid: {problems[0].location}: {problems[0].message}", *problems)
    return address


@dataclass(frozen=True)
class CopyRequest:
    """One copy to issue: to a person (``P-...``) or user, for a device, from an IP address."""

    to: str
    device: str
    ip: str


def picture_version(media_type: str) -> bool:
    """Versions without a text layer that carry an image mark instead (PNG and JPEG diagrams)."""
    return media_type in ("image/png", "image/jpeg")


def issue_copy(uow: UnitOfWork, vault: Vault, caller: Caller, document_id: str, to: str, *, device: str, ip: str,
               version: int | None = None) -> IssuedCopy:
    """Issue a fingerprinted copy of a version (the latest by default) to an allowed recipient."""
    return issue_copies(uow, vault, caller, document_id, [CopyRequest(to, device, ip)], version=version)[0]


def issue_copies(uow: UnitOfWork, vault: Vault, caller: Caller, document_id: str, requests: Sequence[CopyRequest], *,
                 version: int | None = None) -> list[IssuedCopy]:
    """Issue fingerprinted copies of one version, one log entry each, all or none (the first bad request stops all).

    A text version's copy is its marked text (:mod:`.textmarks`); the same codeword also marks the rendered pages
    of its PDF copy and a PNG/JPEG version's picture (:mod:`.pictures`), which are rendered when downloaded,
    deterministically from the key and the copy id. ``sha256`` is of the marked text, or for a picture-only version
    of the master's SHA-256 and the codeword (what determines the picture copy).
    """
    doc = document_row(uow.conn, caller, document_id)
    allowed = {doc.owner, *json.loads(doc.recipients)}
    checked = []
    known = _recipients(uow.conn, caller, [r.to.strip() for r in requests])
    for n, request in enumerate(requests):
        where = f"copies[{n}]: " if len(requests) > 1 else ""
        try:
            address = _check_copy_input(request.device, request.ip)
        except Error as exc:
            raise invalid(where + exc.message, *exc.details) from None
        found = known.get(request.to.strip())
        if found is None:
            raise invalid(f"{where}{request.to!r} is neither a person of your tenants (P-...) nor a user",
                          Detail("name a person id or a user name", "to"), code="bad_recipient")
        if request.to.strip() not in allowed:
            raise Error(f"{where}{request.to.strip()} may not receive copies of {document_id}",
                        code="not_a_recipient", http_status=403,
                        details=[Detail(f"allowed: {', '.join(sorted(allowed))}", "to")])
        checked.append((request, address, found))
    row, text = version_text(uow.conn, document_id, version or doc.latest_version)
    if text is None and not picture_version(row.media_type):
        raise invalid(f"{document_id} version {row.version} ({row.media_type}) is registered by hash only: it has no "
                      "text layer or picture to fingerprint",
                      Detail("register a text, Markdown, DOCX, XLSX, PDF with text, PNG or JPEG version", "version"),
                      code="no_text_layer")
    key, code = document_code(vault, document_id)
    sites = find_sites(text) if text is not None else []
    events, out = [], []
    issued_words: list[tuple[str, npt.NDArray[np.uint8]]] = []
    copy_ids = ["RT-CPY-" + secrets.token_hex(8).upper() for _ in checked]
    sealed = iter(vault.commit_many([(who.subject_id, f"documents.copy.{copy_id}", who.person_id)
                                     for copy_id, (_, _, (kind, who)) in zip(copy_ids, checked, strict=True)
                                     if kind == "person"]))
    for copy_id, (request, address, (kind, who)) in zip(copy_ids, checked, strict=True):
        word = tardos.codeword(key, code, copy_id)
        if text is not None:
            marked: str | None = render(text, sites, word[np.arange(len(sites)) % code.length].tolist())
            digest = hashlib.sha256(marked.encode()).hexdigest()  # type: ignore[union-attr]
            positions = min(len(sites), code.length)
        else:
            marked = None
            digest = hashlib.sha256(bytes.fromhex(row.sha256) + word.tobytes()).hexdigest()
            positions = 0
        body = CopyIssued(copy_id=copy_id, document_id=document_id, version=row.version, recipient_kind=kind,
                          device=request.device.strip(), ip=address, code_length=code.length, positions=positions,
                          sha256=digest, recipient=who.username if kind == "user" else None,
                          recipient_commitment=next(sealed) if kind == "person" else None)
        subjects = (copy_id, document_id) + ((who.person_id,) if kind == "person" else (who.username,))
        events.append(Event(kind="documents.copy.issued", tenant=doc.tenant, actor=caller.actor, subjects=subjects,
                            body=body.model_dump(mode="json")))
        out.append((copy_id, request.to.strip(), marked, positions))
        issued_words.append((copy_id, word))
    indexes = uow.record_many(events)
    codewords.append(uow.conn, key, code, document_id, row.version, issued_words)
    return [IssuedCopy(copy_id, document_id, row.version, to, marked, positions, code.length, index)
            for (copy_id, to, marked, positions), index in zip(out, indexes, strict=True)]


def marked_text(conn: Connection, key: bytes, code: tardos.TardosCode, document_id: str, version: int,
                copy_id: str) -> str:
    """The marked text of an issued copy, re-derived from the registered text and the copy's codeword."""
    _, text = version_text(conn, document_id, version)
    if text is None:
        raise invalid(f"{document_id} version {version} has no text layer", Detail("ask for png", "format"),
                      code="bad_format")
    sites = find_sites(text)
    word = tardos.codeword(key, code, copy_id)
    return render(text, sites, word[np.arange(len(sites)) % code.length].tolist())


# --- reads ---------------------------------------------------------------------------------------------------------


def list_documents(conn: Connection, tenants: frozenset[str] | None = None) -> list[DocumentSummary]:
    counts: dict[str, int] = {str(d): int(n) for d, n in conn.execute(
        select(copies.c.document_id, func.count()).group_by(copies.c.document_id))}
    query = select(documents, versions.c.sha256, versions.c.media_type).join(versions, (
        versions.c.document_id == documents.c.document_id) & (versions.c.version == documents.c.latest_version))
    if tenants is not None:
        query = query.where(documents.c.tenant.in_(sorted(tenants)))
    return [DocumentSummary(r.document_id, r.tenant, r.title, r.level, r.owner, r.latest_version,
                            int(counts.get(r.document_id, 0)), r.sha256, r.media_type)
            for r in conn.execute(query.order_by(documents.c.document_id))]


# --- projections ---------------------------------------------------------------------------------------------------


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _registered(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = DocumentRegistered.model_validate(event.body)
        conn.execute(insert(documents).values(document_id=b.document_id, tenant=event.tenant, title=b.title,
                                              level=b.level, owner=b.owner, recipients=json.dumps(list(b.recipients)),
                                              latest_version=0, entry_idx=index))


def _version(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = VersionRecorded.model_validate(event.body)
        conn.execute(insert(versions).values(document_id=b.document_id, version=b.version, filename=b.filename,
                                             media_type=b.media_type, size=b.size, sha256=b.sha256,
                                             text_sha256=b.text_sha256, sites=b.sites,
                                             recorded_at=event.occurred_at, entry_idx=index))
        conn.execute(update(documents).where(documents.c.document_id == b.document_id).values(
            latest_version=b.version))
        text = conn.execute(select(files.c.text).where(files.c.sha256 == b.sha256)).scalar_one_or_none()
        if text is None:
            continue
        prints = fingerprint(text)
        rows = [{"hash": _signed(int(h)), "document_id": b.document_id, "version": b.version, "span_start": int(s),
                 "span_end": int(e)} for h, s, e in zip(prints.hashes, prints.starts, prints.ends, strict=True)]
        if rows:
            conn.execute(insert(fingerprints), rows)


def _copy(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = CopyIssued.model_validate(event.body)
        rows.append({"copy_id": b.copy_id, "document_id": b.document_id, "version": b.version,
                     "tenant": event.tenant, "recipient_kind": b.recipient_kind,
                     "recipient": b.recipient if b.recipient_kind == "user" else event.subjects[2],
                     "device": b.device, "ip": b.ip, "issued_by": event.actor, "issued_at": event.occurred_at,
                     "entry_idx": index})
    conn.execute(insert(copies), rows)


def _traced(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = LeakTraced.model_validate(event.body)
        conn.execute(insert(traces).values(trace_id=b.trace_id, tenant=event.tenant, document_id=b.document_id,
                                           version=b.version, verdict=b.verdict, containment=b.containment,
                                           sites_read=b.sites_read, accused=" ".join(b.accused),
                                           traced_by=event.actor, traced_at=event.occurred_at, entry_idx=index))


KINDS = [
    EventKind("documents.document.registered", DocumentRegistered, _registered,
              "a technical document enters the registry: id, title, classification level, owner, allowed recipients"),
    EventKind("documents.version.recorded", VersionRecorded, _version,
              "a version of a document: SHA-256 of the file and its text; the content index is updated"),
    EventKind("documents.copy.issued", CopyIssued, _copy,
              "a fingerprinted copy handed to a person or user, for a device, from an IP address"),
    EventKind("documents.leak.traced", LeakTraced, _traced,
              "a leaked file or excerpt traced to its document, version and copies"),
]
