"""Inputs and event bodies of the personnel registry: persons, access grants, departures, the watch list,
employment after departure and staff-list checks.

Inputs (``*Input``) are what a form, an API call or an import row becomes after parsing; the service checks them
again in the domain's words (a resident id's check digit, a date out of order) and names the field. Event bodies
are what the log holds: personal values only as vault commitments (``hmac-sha256:<hex>``) and blind indexes
(keyed HMACs, 32 hex digits) that find duplicates and name matches without decrypting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

COMMITMENT = r"^hmac-sha256:[0-9a-f]{64}$"
BLIND = r"^[0-9a-f]{32}$"
NAME_KEY = r"^[0-9a-f]{32}:[hlp]{1,3}$"
ALPHA2 = r"^[A-Z]{2}$"
IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$"
PERSON_ID = r"^P-[0-9A-Z][0-9A-Z-]{0,62}$"
SUBJECT_ID = r"^person-[0-9a-f]{32}$"
ENTERPRISE_ID = r"^[A-Z0-9][A-Z0-9-]{1,63}$"
ENTRY_ID = r"^W-[0-9A-F]{16}$"

SecrecyLevel = Literal["core", "important", "general"]
SECRECY_LEVELS: tuple[SecrecyLevel, ...] = ("core", "important", "general")
Expertise = Literal["mining", "beneficiation", "cracking", "solvent_extraction", "metal_smelting", "alloying",
                    "magnet_making", "recycling", "equipment", "analysis"]
EXPERTISE: tuple[Expertise, ...] = ("mining", "beneficiation", "cracking", "solvent_extraction", "metal_smelting",
                                    "alloying", "magnet_making", "recycling", "equipment", "analysis")
Status = Literal["employed", "departed"]
DepartureReason = Literal["resigned", "retired", "dismissed", "transferred", "deceased", "other"]
DEPARTURE_REASONS: tuple[DepartureReason, ...] = ("resigned", "retired", "dismissed", "transferred", "deceased",
                                                  "other")
HOME_COUNTRY = "CN"

Ident = Annotated[str, Field(pattern=IDENT)]
NameKey = Annotated[str, Field(pattern=NAME_KEY)]


@dataclass(frozen=True)
class Caller:
    """Who acts: a name for the log, their own tenant, and the tenants they may act in (their scope)."""

    actor: str
    tenant: str
    tenants: frozenset[str]

    @classmethod
    def of(cls, actor: str, tenant: str, *supervised: str) -> Caller:
        return cls(actor, tenant, frozenset({tenant, *supervised}))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- inputs -------------------------------------------------------------------------------------------------


class PersonInput(_Frozen):
    """A person as entered. Personal fields (names, resident id, education, research, publications) go to the
    vault; the service checks the resident id (GB 11643), nationality (ISO 3166), expertise and dates."""

    enterprise_id: str = Field(min_length=1, max_length=64)
    name_zh: str = Field(default="", max_length=100)
    name_latin: str = Field(default="", max_length=200)
    resident_id: str = Field(min_length=1, max_length=40)
    nationality: str = Field(default=HOME_COUNTRY, min_length=1, max_length=64)
    secrecy_level: str = Field(min_length=1, max_length=32)
    post: str = Field(min_length=1, max_length=200)
    hired_on: date
    expertise: tuple[str, ...] = Field(min_length=1, max_length=10)
    education: str = Field(default="", max_length=4000)
    research_history: str = Field(default="", max_length=8000)
    publications: str = Field(default="", max_length=8000)  # patents and papers
    technologies: tuple[str, ...] = Field(default=(), max_length=200)
    documents: tuple[str, ...] = Field(default=(), max_length=2000)
    departed_on: date | None = None  # an import may carry people who already left
    person_id: str | None = Field(default=None, max_length=64)


class StaffName(_Frozen):
    """One row of a foreign organisation's staff list: a name in Chinese characters, in Latin script, or both."""

    name_zh: str = Field(default="", max_length=100)
    name_latin: str = Field(default="", max_length=200)
    row: int = Field(default=0, ge=0)


# --- event bodies ---------------------------------------------------------------------------------------------


class PersonRegistered(_Frozen):
    person_id: str = Field(pattern=PERSON_ID)
    subject_id: str = Field(pattern=SUBJECT_ID)
    enterprise_id: str = Field(pattern=ENTERPRISE_ID)
    province: str | None = Field(default=None, max_length=64)
    nationality: str = Field(pattern=ALPHA2)
    secrecy_level: SecrecyLevel
    post: str = Field(min_length=1, max_length=200)
    hired_on: date
    expertise: tuple[Expertise, ...] = Field(min_length=1)
    technologies: tuple[Ident, ...] = ()
    documents: tuple[Ident, ...] = ()
    name_zh: str | None = Field(default=None, pattern=COMMITMENT)
    name_latin: str | None = Field(default=None, pattern=COMMITMENT)
    resident_id: str = Field(pattern=COMMITMENT)
    education: str | None = Field(default=None, pattern=COMMITMENT)
    research_history: str | None = Field(default=None, pattern=COMMITMENT)
    publications: str | None = Field(default=None, pattern=COMMITMENT)
    resident_id_index: str = Field(pattern=BLIND)
    name_keys: tuple[NameKey, ...] = ()  # "<blind index>:<kinds>" of each match key of the names (see matching.py)


class AccessSet(_Frozen):
    """The complete set of controlled technologies and documents a person may access (replaces the previous)."""

    person_id: str = Field(pattern=PERSON_ID)
    technologies: tuple[Ident, ...] = ()
    documents: tuple[Ident, ...] = ()


class PersonDeparted(_Frozen):
    person_id: str = Field(pattern=PERSON_ID)
    departed_on: date
    reason: DepartureReason = "resigned"
    secrecy_level: SecrecyLevel
    cooling_off_days: int = Field(ge=0)
    cooling_off_until: date
    policy_version: str = Field(min_length=1, max_length=64)
    policy_digest: str = Field(min_length=1, max_length=80)


class WatchlistAdded(_Frozen):
    """A person, or a post (an enterprise's post title, whoever holds it), goes on the watch list."""

    entry_id: str = Field(pattern=ENTRY_ID)
    person_id: str | None = Field(default=None, pattern=PERSON_ID)
    enterprise_id: str | None = Field(default=None, pattern=ENTERPRISE_ID)
    post: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=1000)
    added_on: date


class WatchlistRemoved(_Frozen):
    entry_id: str = Field(pattern=ENTRY_ID)
    removed_on: date
    reason: str = Field(min_length=1, max_length=1000)


class EmploymentReported(_Frozen):
    """A person's employment after departure (or alongside), as reported to the registry."""

    report_id: str = Field(pattern=r"^E-[0-9A-F]{16}$")
    person_id: str = Field(pattern=PERSON_ID)
    employer: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=ALPHA2)
    start_on: date
    foreign: bool
    in_cooling_off: bool


class StaffListChecked(_Frozen):
    """A foreign organisation's staff list was checked against the watch list (names never reach the log)."""

    check_id: str = Field(pattern=r"^C-[0-9A-F]{16}$")
    organisation: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=ALPHA2)
    rows: int = Field(ge=0)
    list_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    matches: tuple[str, ...] = ()  # person ids


class ImportCompleted(_Frozen):
    source: str = Field(min_length=1, max_length=300)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    rows: int = Field(ge=0)
    persons: int = Field(ge=0)
    departures: int = Field(ge=0)


# --- results --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    person_id: str
    subject_id: str
    entry_idx: int


@dataclass(frozen=True)
class WatchMatch:
    """A staff-list row or an analyst's name that matches a watch-listed (or registered) person."""

    person_id: str
    tenant: str
    row: int
    how: tuple[str, ...]  # which kinds of name key matched: exact, pinyin, latin, ...
    status: Status
    in_cooling_off: bool
    watch_listed: bool
    alert_id: str | None = None
