"""Inputs and event bodies of travel requests, approvals, debriefs and passport custody.

Inputs (``*Input``) are what a form, an API call or a CLI flag becomes after parsing; event bodies are what the
log holds. Personal values (foreign contacts, family foreign ties, document numbers) reach a body only as vault
commitments (``hmac-sha256:<hex>``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COMMITMENT = r"^hmac-sha256:[0-9a-f]{64}$"
ALPHA2 = r"^[A-Z]{2}$"
IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"

Level = Literal["enterprise", "group", "authority"]
Status = Literal["pending", "approved", "refused", "cancelled", "completed"]
DocumentType = Literal["passport", "hk_macau_permit", "taiwan_permit"]
DOCUMENT_TYPES: tuple[DocumentType, ...] = ("passport", "hk_macau_permit", "taiwan_permit")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- inputs -------------------------------------------------------------------------------------------------


class ForeignContact(_Frozen):
    """A foreign person the traveller expects to meet (or met): sealed in the vault as a whole list."""

    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=300)
    country: str = Field(default="", max_length=64)
    relation: str = Field(default="", max_length=200)


class FamilyTie(_Frozen):
    """A family member's foreign nationality or residence."""

    relation: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=1, max_length=64)
    kind: Literal["nationality", "residence"] = "residence"
    name: str = Field(default="", max_length=200)


class TravelRequestInput(_Frozen):
    """A travel request as submitted; destinations and dates are checked again by the service against today."""

    person_id: str = Field(min_length=1, max_length=100)
    destinations: tuple[str, ...] = Field(min_length=1, max_length=20)
    depart_on: date
    return_on: date
    purpose: str = Field(min_length=1, max_length=64)
    inviting_organisation: str = Field(default="", max_length=300)
    foreign_contacts: tuple[ForeignContact, ...] = ()
    family_foreign_ties: tuple[FamilyTie, ...] = ()

    @field_validator("destinations", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if isinstance(value, str):
            value = [p for p in value.replace(",", " ").split() if p]
        if isinstance(value, list | tuple):
            return tuple(v.strip().upper() if isinstance(v, str) else v for v in value)
        return value


class DebriefInput(_Frozen):
    actual_destinations: tuple[str, ...] = Field(min_length=1, max_length=20)
    actual_return_on: date
    contacts_met: tuple[ForeignContact, ...] = ()
    notes: str = Field(default="", max_length=2000)

    @field_validator("actual_destinations", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return TravelRequestInput._upper(value)


class DocumentInput(_Frozen):
    person_id: str = Field(min_length=1, max_length=100)
    doc_type: DocumentType
    number: str = Field(min_length=3, max_length=40)
    expires_on: date


# --- event bodies ---------------------------------------------------------------------------------------------


class PolicyPublished(_Frozen):
    """A travel policy, recorded once per digest so that every decision can point at the entry that holds it."""

    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$|^[0-9a-f]{64}$")
    version: str = Field(min_length=1, max_length=64)
    policy: str = Field(min_length=2, max_length=500_000)  # the policy's canonical JSON text


class Trip(_Frozen):
    """One earlier trip, as reetrace's own records show it."""

    request_id: str
    destinations: tuple[str, ...]
    depart_on: date
    return_on: date
    status: Status


class PolicyDecision(_Frozen):
    policy_version: str
    policy_digest: str
    policy_entry: int = Field(ge=0)
    outcome: Literal["approve_chain", "refuse"]
    tier: str
    rule_id: str
    reasons: tuple[str, ...]
    chain: tuple[Level, ...]
    facts: dict[str, str | bool | list[str]]


class TravelRequested(_Frozen):
    request_id: str = Field(pattern=IDENT)
    person_id: str = Field(min_length=1, max_length=100)
    subject_id: str = Field(min_length=1, max_length=100)
    enterprise_id: str | None = None
    destinations: tuple[str, ...] = Field(min_length=1)
    depart_on: date
    return_on: date
    purpose: str
    inviting_organisation: str = ""
    foreign_contacts: str = Field(pattern=COMMITMENT)
    family_foreign_ties: str = Field(pattern=COMMITMENT)
    previous_trips: tuple[Trip, ...] = ()
    requested_on: date
    decision: PolicyDecision
    status: Literal["pending", "refused"]
    next_level: Level | None


class TravelActed(_Frozen):
    """One approval step: a user of the right level approved or refused."""

    request_id: str
    step: int = Field(ge=1)
    level: Level
    decision: Literal["approve", "refuse"]
    reason: str = Field(default="", max_length=2000)
    user_id: str
    username: str
    user_tenant: str
    status: Literal["pending", "approved", "refused"]
    next_level: Level | None


class TravelCancelled(_Frozen):
    request_id: str
    reason: str = Field(min_length=1, max_length=2000)
    previous_status: Status


class TravelDebriefed(_Frozen):
    request_id: str
    actual_destinations: tuple[str, ...] = Field(min_length=1)
    actual_return_on: date
    contacts_met: str = Field(pattern=COMMITMENT)
    notes: str = Field(default="", max_length=2000)
    debriefed_on: date
    due_on: date
    late: bool
    deviations: tuple[str, ...] = ()


class DocumentDeposited(_Frozen):
    document_id: str = Field(pattern=IDENT)
    person_id: str
    subject_id: str
    doc_type: DocumentType
    number: str = Field(pattern=COMMITMENT)
    number_index: str = Field(pattern=r"^[0-9a-f]{32}$")  # blind index: finds a document deposited twice
    expires_on: date
    deposited_on: date


class DocumentCheckedOut(_Frozen):
    document_id: str
    request_id: str
    out_on: date
    due_on: date


class DocumentCheckedIn(_Frozen):
    document_id: str
    request_id: str | None
    in_on: date
    due_on: date | None
    late: bool
