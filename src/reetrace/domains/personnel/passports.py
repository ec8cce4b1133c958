"""Passport custody: travel documents held centrally, checked out only for an approved trip, checked back in.

A document (passport, Hong Kong and Macau permit, Taiwan permit) is deposited with its number sealed in the vault
(the log holds a commitment, the table also a blind index that finds a document deposited twice). It leaves
custody only against an approved travel request of its holder whose destinations need that type of document, and
is due back ``policy.passport_return_days`` days after the trip's return date; ``run_checks`` alerts when it is not.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from reetrace.domains.personnel.policy import TravelPolicy
from reetrace.domains.personnel.queries import person_facts
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from .checks import passport_overdue_key, resolve_open
from .travel import Reader
from .travel_models import (
    DOCUMENT_TYPES,
    DocumentCheckedIn,
    DocumentCheckedOut,
    DocumentDeposited,
    DocumentInput,
    DocumentType,
)
from .travel_tables import document_movements, travel_documents, travel_requests

DOCUMENT_NAMES: dict[str, str] = {"passport": "passport", "hk_macau_permit": "Hong Kong and Macau permit",
                                  "taiwan_permit": "Taiwan permit"}
NUMBER = re.compile(r"^[A-Z0-9]{5,20}$")


@dataclass(frozen=True)
class DocumentView:
    document_id: str
    tenant: str
    person_id: str
    doc_type: str
    number_commitment: str
    expires_on: date
    deposited_on: date
    status: str  # held | out
    request_id: str | None
    out_on: date | None
    due_on: date | None
    entry_idx: int


@dataclass(frozen=True)
class Movement:
    document_id: str
    action: str  # out | in
    request_id: str | None
    on_date: date
    due_on: date | None
    late: bool
    entry_idx: int


def document_for(destination: str) -> DocumentType:
    """The travel document a trip to ``destination`` (ISO alpha-2) needs."""
    if destination in ("HK", "MO"):
        return "hk_macau_permit"
    if destination == "TW":
        return "taiwan_permit"
    return "passport"


def documents_needed(destinations: Iterable[str]) -> frozenset[DocumentType]:
    return frozenset(document_for(d) for d in destinations)


def normalise_number(number: str) -> str:
    return re.sub(r"[\s-]", "", number).upper()


def deposit_document(uow: UnitOfWork, vault: Vault, actor: str, document: DocumentInput, *, today: date,
                     tenants: Collection[str] | None = None) -> DocumentView:
    """Take a travel document into custody; refuses a document that is in custody already."""
    facts = person_facts(uow.conn, document.person_id)
    if facts is None or (tenants is not None and facts.tenant not in tenants):
        raise not_found(f"no person {document.person_id!r} in the registry")
    number = normalise_number(document.number)
    if not NUMBER.match(number):
        raise invalid(f"document number {document.number!r} is not 5 to 20 letters and digits",
                      Detail("letters A-Z and digits only, e.g. E12345678", "number"), code="invalid")
    index = vault.blind_index(f"travel_document.{document.doc_type}", number)
    held = uow.conn.execute(select(travel_documents.c.document_id, travel_documents.c.person_id).where(
        travel_documents.c.number_index == index)).first()
    if held is not None:
        raise Error(f"this {DOCUMENT_NAMES[document.doc_type]} is already in custody as {held.document_id} "
                    f"(person {held.person_id})", code="duplicate", http_status=409,
                    details=[Detail("a document is deposited once", "number")])
    document_id = f"doc-{uuid.uuid4().hex}"
    body = DocumentDeposited(document_id=document_id, person_id=facts.person_id, subject_id=facts.subject_id,
                             doc_type=document.doc_type,
                             number=vault.commit(facts.subject_id, f"travel_document.{document_id}.number", number),
                             number_index=index, expires_on=document.expires_on, deposited_on=today)
    uow.record(Event(kind="personnel.passport.deposited", tenant=facts.tenant, actor=actor,
                     subjects=(document_id, facts.person_id), body=body.model_dump(mode="json")))
    return _get(uow.conn, document_id)


def check_out(uow: UnitOfWork, actor: str, document_id: str, request_id: str, *, today: date,
              policy: TravelPolicy, tenants: Collection[str] | None = None) -> DocumentView:
    """Hand a document out for an approved trip; due back ``policy.passport_return_days`` after its return."""
    doc = _document_row(uow.conn, document_id, tenants)
    name = DOCUMENT_NAMES.get(doc.doc_type, doc.doc_type)
    if doc.status == "out":
        raise Error(f"{name} {document_id} is already out (against travel request {doc.request_id} since "
                    f"{doc.out_on}); check it in first", code="already_out", http_status=409)
    trip = uow.conn.execute(select(travel_requests).where(travel_requests.c.request_id == request_id)).first()
    if trip is None:
        raise not_found(f"no travel request {request_id!r}")
    if trip.status != "approved":
        raise Error(f"travel request {request_id} is {trip.status}: a document leaves custody only against an "
                    "approved request", code="not_approved", http_status=409)
    if trip.person_id != doc.person_id:
        raise Error(f"{name} {document_id} belongs to {doc.person_id}, but travel request {request_id} is for "
                    f"{trip.person_id}", code="wrong_document", http_status=409)
    destinations = trip.destinations.split()
    needed = documents_needed(destinations)
    if doc.doc_type not in needed:
        wanted = " and ".join(DOCUMENT_NAMES[t] for t in DOCUMENT_TYPES if t in needed)
        raise Error(f"the trip to {', '.join(destinations)} needs a {wanted}; {document_id} is a {name}",
                    code="wrong_document", http_status=409)
    if today > trip.return_on:
        raise Error(f"travel request {request_id} ended on {trip.return_on}; nothing to hand a document out for",
                    code="trip_over", http_status=409)
    if doc.expires_on < trip.return_on:
        raise Error(f"{name} {document_id} expires on {doc.expires_on}, before the return on {trip.return_on}",
                    code="document_expired", http_status=409)
    due = trip.return_on + timedelta(days=policy.passport_return_days)
    body = DocumentCheckedOut(document_id=document_id, request_id=request_id, out_on=today, due_on=due)
    uow.record(Event(kind="personnel.passport.checked_out", tenant=doc.tenant, actor=actor,
                     subjects=(document_id, doc.person_id, request_id), body=body.model_dump(mode="json")))
    return _get(uow.conn, document_id)


def check_in(uow: UnitOfWork, actor: str, document_id: str, *, today: date,
             tenants: Collection[str] | None = None) -> DocumentView:
    """Take a document back into custody; a late return is recorded as such and its overdue alert resolved."""
    doc = _document_row(uow.conn, document_id, tenants)
    if doc.status != "out":
        raise Error(f"{DOCUMENT_NAMES.get(doc.doc_type, doc.doc_type)} {document_id} is in custody, not out",
                    code="not_out", http_status=409)
    if doc.out_on is not None and today < doc.out_on:
        raise invalid(f"the check-in date {today} is before the check-out date {doc.out_on}",
                      Detail("dates out of order", "today"), code="dates_out_of_order")
    late = doc.due_on is not None and today > doc.due_on
    body = DocumentCheckedIn(document_id=document_id, request_id=doc.request_id, in_on=today, due_on=doc.due_on,
                             late=late)
    uow.record(Event(kind="personnel.passport.checked_in", tenant=doc.tenant, actor=actor,
                     subjects=(document_id, doc.person_id), body=body.model_dump(mode="json")))
    resolve_open(uow, passport_overdue_key(document_id, doc.request_id), actor, f"returned on {today}")
    return _get(uow.conn, document_id)


# --- reads ----------------------------------------------------------------------------------------------------


def get_document(reader: Reader, document_id: str) -> DocumentView | None:
    row = reader.execute(select(travel_documents).where(travel_documents.c.document_id == document_id)).first()
    return None if row is None else _view(row)


def list_documents(reader: Reader, *, person_id: str | None = None, status: str | None = None,
                   limit: int = 200) -> list[DocumentView]:
    query = select(travel_documents)
    if person_id is not None:
        query = query.where(travel_documents.c.person_id == person_id)
    if status is not None:
        query = query.where(travel_documents.c.status == status)
    return [_view(r) for r in reader.execute(query.order_by(travel_documents.c.entry_idx).limit(limit))]


def movements(reader: Reader, document_id: str) -> list[Movement]:
    rows = reader.execute(select(document_movements).where(document_movements.c.document_id == document_id)
                          .order_by(document_movements.c.entry_idx))
    return [Movement(r.document_id, r.action, r.request_id, r.on_date, r.due_on, bool(r.late), int(r.entry_idx))
            for r in rows]


def reveal_number(vault: Vault, document: DocumentView) -> str:
    """The document number in clear (the caller audits the read)."""
    subject = _document_row(vault.conn, document.document_id).subject_id
    return vault.reveal(str(subject), f"travel_document.{document.document_id}.number")


def _document_row(conn: Connection, document_id: str, tenants: Collection[str] | None = None) -> Row[Any]:
    row = conn.execute(select(travel_documents).where(travel_documents.c.document_id == document_id)).first()
    if row is None or (tenants is not None and row.tenant not in tenants):
        raise not_found(f"no travel document {document_id!r} in custody")
    return row


def _get(conn: Connection, document_id: str) -> DocumentView:
    return _view(_document_row(conn, document_id))


def _view(row: Row[Any]) -> DocumentView:
    return DocumentView(row.document_id, row.tenant, row.person_id, row.doc_type, row.number_commitment,
                        row.expires_on, row.deposited_on, row.status, row.request_id, row.out_on, row.due_on,
                        int(row.entry_idx))


# --- projections ----------------------------------------------------------------------------------------------

Items = Sequence[tuple[Event, int]]


def _project_deposited(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        b = DocumentDeposited.model_validate(event.body)
        rows.append({"document_id": b.document_id, "tenant": event.tenant, "person_id": b.person_id,
                     "subject_id": b.subject_id, "doc_type": b.doc_type, "number_commitment": b.number,
                     "number_index": b.number_index, "expires_on": b.expires_on, "deposited_on": b.deposited_on,
                     "status": "held", "request_id": None, "out_on": None, "due_on": None, "entry_idx": index})
    conn.execute(insert(travel_documents), rows)


def _project_checked_out(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = DocumentCheckedOut.model_validate(event.body)
        conn.execute(update(travel_documents).where(travel_documents.c.document_id == b.document_id).values(
            status="out", request_id=b.request_id, out_on=b.out_on, due_on=b.due_on))
        conn.execute(insert(document_movements).values(
            entry_idx=index, document_id=b.document_id, tenant=event.tenant, action="out", request_id=b.request_id,
            on_date=b.out_on, due_on=b.due_on, late=False))


def _project_checked_in(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = DocumentCheckedIn.model_validate(event.body)
        conn.execute(update(travel_documents).where(travel_documents.c.document_id == b.document_id).values(
            status="held", request_id=None, out_on=None, due_on=None))
        conn.execute(insert(document_movements).values(
            entry_idx=index, document_id=b.document_id, tenant=event.tenant, action="in", request_id=b.request_id,
            on_date=b.in_on, due_on=b.due_on, late=b.late))


KINDS = [
    EventKind("personnel.passport.deposited", DocumentDeposited, _project_deposited,
              "a travel document taken into custody; its number as a vault commitment"),
    EventKind("personnel.passport.checked_out", DocumentCheckedOut, _project_checked_out,
              "a travel document handed out for an approved trip, with its due date"),
    EventKind("personnel.passport.checked_in", DocumentCheckedIn, _project_checked_in,
              "a travel document back in custody (late or on time)"),
]
