"""Commands of the registry. Each records an event; the projection keeps the read tables in step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from reetrace.errors import invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from .models import ContactRegistered, EnterpriseRegistered, PermitIssued, SubjectErased
from .tables import contacts, enterprises, permits


def register_enterprise(uow: UnitOfWork, tenant: str, actor: str, body: EnterpriseRegistered) -> int:
    exists = uow.conn.execute(select(enterprises.c.enterprise_id).where(
        enterprises.c.enterprise_id == body.enterprise_id)).first()
    if exists:
        raise invalid(f"enterprise {body.enterprise_id} is already registered", code="duplicate")
    return uow.record(Event(kind="registry.enterprise.registered", tenant=tenant, actor=actor,
                            subjects=(body.enterprise_id,), body=body.model_dump(mode="json")))


def issue_permit(uow: UnitOfWork, tenant: str, actor: str, body: PermitIssued) -> int:
    _require_enterprise(uow.conn, body.enterprise_id)
    return uow.record(Event(kind="registry.permit.issued", tenant=tenant, actor=actor,
                            subjects=(body.permit_id, body.enterprise_id), body=body.model_dump(mode="json")))


def register_contact(uow: UnitOfWork, vault: Vault, tenant: str, actor: str, enterprise_id: str, role: str,
                     name: str, phone: str | None) -> tuple[str, int]:
    """Seal the person's name and phone in the vault; the event carries only their commitments."""
    _require_enterprise(uow.conn, enterprise_id)
    subject_id = f"person-{uuid.uuid4().hex}"
    body = ContactRegistered(subject_id=subject_id, enterprise_id=enterprise_id, role=role,
                             name=vault.commit(subject_id, "name", name),
                             phone=vault.commit(subject_id, "phone", phone) if phone else None)
    index = uow.record(Event(kind="registry.contact.registered", tenant=tenant, actor=actor,
                             subjects=(subject_id, enterprise_id), body=body.model_dump(mode="json")))
    return subject_id, index


def erase_subject(uow: UnitOfWork, vault: Vault, actor: str, subject_id: str, reason: str,
                  tenant: str | None = None) -> int:
    vault.erase(subject_id)
    return uow.record(Event(kind="vault.subject.erased", tenant=tenant, actor=actor, subjects=(subject_id,),
                            body=SubjectErased(subject_id=subject_id, reason=reason).model_dump()))


def _require_enterprise(conn: Connection, enterprise_id: str) -> None:
    if conn.execute(select(enterprises.c.enterprise_id).where(
            enterprises.c.enterprise_id == enterprise_id)).first() is None:
        raise not_found(f"no enterprise {enterprise_id!r}")


def _project_enterprise(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    conn.execute(insert(enterprises), [
        {"tenant": e.tenant, "entry_idx": i, **EnterpriseRegistered.model_validate(e.body).model_dump()}
        for e, i in items
    ])


def _project_permit(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    conn.execute(insert(permits), [
        {"tenant": e.tenant, "entry_idx": i, **PermitIssued.model_validate(e.body).model_dump()} for e, i in items
    ])


def _project_contact(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    rows = []
    for event, index in items:
        body = ContactRegistered.model_validate(event.body)
        rows.append({"subject_id": body.subject_id, "tenant": event.tenant, "enterprise_id": body.enterprise_id,
                     "role": body.role, "name_commitment": body.name, "phone_commitment": body.phone,
                     "entry_idx": index})
    conn.execute(insert(contacts), rows)


KINDS = [
    EventKind("registry.enterprise.registered", EnterpriseRegistered, _project_enterprise,
              "an enterprise of the rare-earth chain enters the registry"),
    EventKind("registry.permit.issued", PermitIssued, _project_permit, "a mining, separation or trade permit"),
    EventKind("registry.contact.registered", ContactRegistered, _project_contact,
              "a contact person; personal fields as vault commitments"),
    EventKind("vault.subject.erased", SubjectErased, None,
              "a person's vault key was destroyed (crypto-shredding)"),
]


