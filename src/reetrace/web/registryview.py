"""Enterprises, permits and contacts as the API and the console show them, read within the principal's tenants.

Contacts carry only vault commitments; :func:`reveal_contact` decrypts a contact's name and phone for a user
holding ``personal:data:read`` after recording an ``audit.access`` ``personal_data.read`` event (who, which
subject, which fields, from which IP) in its own, committed transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Row, func, select

from reetrace.domains.registry.tables import contacts, enterprises, permits
from reetrace.web.deps import Scoped, record_access, reveal_fields

ENTERPRISE_ID = r"^[A-Z0-9][A-Z0-9-]{1,63}$"
SUBJECT_ID = r"^person-[0-9a-f]{32}$"
CONTACT_READ = "registry:contact:read"
REVEAL = "personal:data:read"


class Enterprise(BaseModel):
    enterprise_id: str
    tenant: str
    name: str
    name_zh: str | None
    role: str
    province: str
    country: str
    credit_code: str | None


class Permit(BaseModel):
    permit_id: str
    tenant: str
    permit_type: str
    valid_from: date
    valid_to: date


class Contact(BaseModel):
    subject_id: str
    tenant: str
    enterprise_id: str
    role: str
    name_commitment: str
    phone_commitment: str | None


class EnterpriseList(BaseModel):
    total: int
    enterprises: list[Enterprise]


class EnterpriseDetail(BaseModel):
    enterprise: Enterprise
    permits: list[Permit]
    contacts: list[Contact] | None  # None: the principal may not read contacts


class Revealed(BaseModel):
    subject_id: str
    enterprise_id: str
    fields: dict[str, str]


def _model(row: Row[Any], model: type[BaseModel]) -> Any:
    return model.model_validate(dict(row._mapping))


def list_enterprises(scoped: Scoped, limit: int, offset: int) -> EnterpriseList:
    total = scoped.first(select(func.count()).select_from(enterprises))
    rows = scoped.all(select(enterprises).order_by(enterprises.c.enterprise_id).limit(limit).offset(offset))
    return EnterpriseList(total=int(total[0]) if total else 0, enterprises=[_model(r, Enterprise) for r in rows])


def enterprise_detail(scoped: Scoped, enterprise_id: str) -> EnterpriseDetail:
    row = scoped.one_or_refuse(select(enterprises).where(enterprises.c.enterprise_id == enterprise_id),
                               f"no enterprise {enterprise_id!r} that you may see")
    permit_rows = scoped.all(select(permits).where(permits.c.enterprise_id == enterprise_id)
                             .order_by(permits.c.valid_from, permits.c.permit_id))
    found: list[Contact] | None = None
    if scoped.principal.can(CONTACT_READ):
        contact_rows = scoped.all(select(contacts).where(contacts.c.enterprise_id == enterprise_id)
                                  .order_by(contacts.c.role, contacts.c.subject_id))
        found = [_model(r, Contact) for r in contact_rows]
    return EnterpriseDetail(enterprise=_model(row, Enterprise), permits=[_model(r, Permit) for r in permit_rows],
                            contacts=found)


def reveal_contact(request: Request, scoped: Scoped, subject_id: str) -> Revealed:
    """Audit first (committed), then decrypt: a value is never shown without its audit event on the log."""
    row = scoped.one_or_refuse(select(contacts).where(contacts.c.subject_id == subject_id),
                               f"no contact {subject_id!r} that you may see")
    contact: Contact = _model(row, Contact)
    fields = ["name", "phone"] if contact.phone_commitment else ["name"]
    record_access(request, scoped.principal, "personal_data.read", target=subject_id, permission=REVEAL,
                  reason=f"fields: {', '.join(fields)}")
    return Revealed(subject_id=subject_id, enterprise_id=contact.enterprise_id,
                    fields=reveal_fields(request, subject_id, fields))
