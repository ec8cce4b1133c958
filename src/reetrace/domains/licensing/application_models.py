"""Inputs and event bodies of licence applications, reviews, licences and shipments.

Inputs (``*Input``) are what a JSON file or an API call becomes after parsing; :func:`parse_application` checks
them again in the domain's words (countries, composition, owners' shares, certificates, the undertaking) and names
the field. Event bodies are what the log holds. Quantities are kept in kilograms and amounts as decimal strings
(no floats on the log). Certificate files reach the log only as name, size and SHA-256; their bytes are kept in the
``licensing_certificate_files`` table, keyed by tenant and SHA-256 (see ``application_tables.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reetrace.errors import Detail, Error

PARTY_NAME_MAX = 300  # characters of a party's name (also what `reetrace lists screen` takes)

Unit = Literal["kg", "t"]
UNIT_KG: dict[str, Decimal] = {"kg": Decimal(1), "t": Decimal(1000)}
CertificateKind = Literal["end_user", "end_use"]
LicenceKind = Literal["single", "general"]
LICENCE_YEARS: dict[str, int] = {"single": 1, "general": 3}
ReviewAction = Literal["note", "rfi", "approve", "deny"]
REVIEW_ACTIONS: tuple[ReviewAction, ...] = ("note", "rfi", "approve", "deny")
Status = Literal["submitted", "under_review", "awaiting_information", "approved", "denied"]
OPEN_STATUSES: tuple[Status, ...] = ("submitted", "under_review", "awaiting_information")
STATUSES: tuple[Status, ...] = (*OPEN_STATUSES, "approved", "denied")
SLA_WORKDAYS = 45
APPLICATION_ID = r"^LA-[0-9A-F]{16}$"
LICENCE_ID = r"^LIC-[0-9A-F]{16}$"
SHA256 = r"^[0-9a-f]{64}$"
ALPHA2 = r"^[A-Z]{2}$"
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)

Amount = Annotated[Decimal, Field(allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- inputs -------------------------------------------------------------------------------------------------


class OwnerInput(_Frozen):
    """An owner of a party (a company or a person) and its share in percent."""

    name: str = Field(min_length=1, max_length=PARTY_NAME_MAX)
    country: str = Field(min_length=1, max_length=64)
    share: Amount


class PartyInput(_Frozen):
    """A consignee, an end user or an intermediary: a name, its country (ISO 3166-1 alpha-2), its owners."""

    name: str = Field(min_length=1, max_length=PARTY_NAME_MAX)
    country: str = Field(min_length=1, max_length=64)
    address: str = Field(default="", max_length=500)
    role: str = Field(default="", max_length=100)  # an intermediary's role: agent, trader, freight forwarder
    owners: tuple[OwnerInput, ...] = Field(default=(), max_length=50)


class QuantityInput(_Frozen):
    amount: Amount
    unit: str = Field(min_length=1, max_length=8)


class MoneyInput(_Frozen):
    amount: Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CertificateInput(_Frozen):
    """An end-user or end-use certificate: its kind, its file name and its bytes."""

    kind: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=255)
    data: bytes


class ApplicationInput(_Frozen):
    """One licence application (one transaction) as submitted."""

    exporter_id: str = Field(min_length=1, max_length=64)
    contract_id: str = Field(min_length=1, max_length=100)
    item: dict[str, Any]
    quantity: QuantityInput
    value: MoneyInput
    consignee: PartyInput
    end_user: PartyInput
    intermediaries: tuple[PartyInput, ...] = Field(default=(), max_length=20)
    end_use: str = Field(min_length=1, max_length=2000)
    military_end_use: bool = False
    final_destination: str = Field(min_length=1, max_length=64)
    product: str = Field(min_length=1, max_length=500)  # the equipment or product the item goes into
    certificates: tuple[CertificateInput, ...] = Field(default=(), max_length=20)
    no_retransfer_undertaking: bool = False


class AnswerInput(_Frozen):
    """The exporter's answer to a request for information, with any further certificates."""

    answer: str = Field(min_length=1, max_length=4000)
    certificates: tuple[CertificateInput, ...] = Field(default=(), max_length=20)


class LicenceTerms(_Frozen):
    """What a reviewer grants on approval; limits default to the applied quantity and value."""

    kind: LicenceKind = "single"
    valid_from: date | None = None
    valid_until: date | None = None
    quantity_kg: Amount | None = None
    value: Amount | None = None


# --- event bodies ---------------------------------------------------------------------------------------------


class Owner(_Frozen):
    name: str
    country: str = Field(pattern=ALPHA2)
    share: Amount


class Party(_Frozen):
    name: str
    country: str = Field(pattern=ALPHA2)
    address: str = ""
    role: str = ""
    owners: tuple[Owner, ...] = ()


class Certificate(_Frozen):
    kind: CertificateKind
    name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1)
    sha256: str = Field(pattern=SHA256)


class ScreenedParty(_Frozen):
    """One screened name: which party (``consignee``, ``intermediaries[0].owners[1]``), and its hits."""

    role: str = Field(min_length=1, max_length=100)
    name: str
    country: str
    hits: tuple[dict[str, Any], ...] = ()


class Flag(_Frozen):
    """Something a reviewer must see first: a presumption of denial, and why."""

    code: Literal["listed_party", "military_end_use", "watch_list"]
    party: str = ""
    explanation: str = Field(min_length=1, max_length=2000)


class Screening(_Frozen):
    lists: tuple[str, ...] = ()  # "<list id> v<version>" screened against
    note: str = ""  # e.g. "no party lists are loaded"
    parties: tuple[ScreenedParty, ...] = ()
    flags: tuple[Flag, ...] = ()


class ApplicationSubmitted(_Frozen):
    application_id: str = Field(pattern=APPLICATION_ID)
    exporter_id: str
    contract_id: str
    item: dict[str, Any]
    classification: dict[str, Any]
    rule_ids: tuple[str, ...]  # the rules that control the item on the submission date
    quantity_kg: Amount
    unit: Unit
    value: Amount
    currency: str
    consignee: Party
    end_user: Party
    intermediaries: tuple[Party, ...] = ()
    end_use: str
    military_end_use: bool
    final_destination: str = Field(pattern=ALPHA2)
    product: str
    certificates: tuple[Certificate, ...]
    no_retransfer_undertaking: Literal[True]
    screening: Screening
    submitted_on: date
    due_on: date
    due_provisional: bool


class ApplicationReviewed(_Frozen):
    """A reviewer's step: a note, a request for information (the SLA clock stops), an approval or a denial."""

    application_id: str = Field(pattern=APPLICATION_ID)
    action: ReviewAction
    reason: str = Field(min_length=1, max_length=4000)
    user_id: str
    username: str
    user_tenant: str
    on: date
    status: Status
    licence_id: str | None = Field(default=None, pattern=LICENCE_ID)
    overrides_presumption: bool = False


class ApplicationAnswered(_Frozen):
    """The exporter answered a request for information: the clock runs again, the due date moves."""

    application_id: str = Field(pattern=APPLICATION_ID)
    answer: str
    certificates: tuple[Certificate, ...] = ()
    on: date
    paused_workdays: int = Field(ge=0)  # working days this pause lasted
    due_on: date
    due_provisional: bool


class LicenceIssued(_Frozen):
    licence_id: str = Field(pattern=LICENCE_ID)
    application_id: str = Field(pattern=APPLICATION_ID)
    kind: LicenceKind
    exporter_id: str
    valid_from: date
    valid_until: date
    quantity_kg: Amount
    value: Amount
    currency: str


class ShipmentRecorded(_Frozen):
    """A shipment against a licence: drawn down when accepted, refused (with the reason) when beyond it."""

    licence_id: str = Field(pattern=LICENCE_ID)
    shipment_id: str = Field(pattern=r"^SH-[0-9A-F]{16}$")
    shipped_on: date
    quantity_kg: Amount
    value: Amount
    accepted: bool
    refusal: str = ""
    remaining_kg: Amount  # after this shipment (unchanged when refused)
    remaining_value: Amount
    alert_id: str | None = None


# --- parsing --------------------------------------------------------------------------------------------------


def parse_model(model: type[M], data: Mapping[str, Any], code: str, what: str) -> M:
    """``data`` as ``model``; raises an :class:`Error` naming every bad field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        details = [Detail(str(e["msg"]).removeprefix("Value error, "), ".".join(str(p) for p in e["loc"]) or what)
                   for e in exc.errors()]
        first = details[0]
        raise Error(f"invalid {what}: {first.location}: {first.message}", code=code, http_status=400,
                    details=details) from None
