"""Checks of a person as entered (a form, an API call, an import row), in the domain's words.

:func:`check_person` needs no database: it checks the resident id (GB 11643), the nationality (ISO 3166-1), the
secrecy level, the expertise vocabulary, identifiers and the order of dates, and returns every problem as a
``(field, message)`` pair. What needs the database (the employer, duplicates) is the service's part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import cast

from .countries import UnknownCountry, country
from .ids import ResidentId, ResidentIdError, parse_resident_id
from .models import EXPERTISE, PERSON_ID, SECRECY_LEVELS, Expertise, PersonInput, SecrecyLevel

IDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
PERSON_ID_RE = re.compile(PERSON_ID)
LATIN_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '.\-][^\W\d_]+)*\.?$")
MIN_WORKING_AGE = 16
_EXPERTISE_ALIASES = {"solvent_extraction_separation": "solvent_extraction", "separation": "solvent_extraction",
                      "smelting": "metal_smelting", "magnets": "magnet_making", "magnet": "magnet_making"}

Problem = tuple[str, str]  # (field, message)


@dataclass(frozen=True)
class CheckedPerson:
    """A person whose fields passed :func:`check_person`, normalised."""

    form: PersonInput
    resident: ResidentId
    nationality: str
    secrecy_level: SecrecyLevel
    expertise: tuple[Expertise, ...]
    post: str
    post_key: str
    name_zh: str
    name_latin: str


def post_key(post: str) -> str:
    """A post title as the watch list compares it: case-folded, inner spaces collapsed."""
    return " ".join(post.split()).casefold()


def expertise_id(value: str) -> str:
    """An expertise as written ("Solvent-extraction separation") to its vocabulary id, unchecked."""
    key = re.sub(r"[\s\-]+", "_", value.strip().lower())
    return _EXPERTISE_ALIASES.get(key, key)


HAN_NAME_RE = re.compile("^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·•.]+$")


def check_person(form: PersonInput, today: date) -> tuple[CheckedPerson | None, list[Problem]]:
    problems: list[Problem] = []
    resident = _resident(form.resident_id, today, problems)
    nationality = _nationality(form.nationality, problems)
    level = form.secrecy_level.strip().lower()
    if level not in SECRECY_LEVELS:
        problems.append(("secrecy_level", f"unknown secrecy level {form.secrecy_level!r}: one of "
                                          f"{', '.join(SECRECY_LEVELS)}"))
    expertise = _expertise(form.expertise, problems)
    name_zh, name_latin = _names(form, problems)
    post = " ".join(form.post.split())
    if not post:
        problems.append(("post", "the post title is empty"))
    _dates(form, resident, today, problems)
    for field, values in (("technologies", form.technologies), ("documents", form.documents)):
        for value in values:
            if not IDENT_RE.match(value):
                problems.append((field, f"{value!r} is not an identifier (letters, digits and ._:/- , at most "
                                        "100 characters)"))
    if form.person_id is not None and not PERSON_ID_RE.match(form.person_id):
        problems.append(("person_id", f"{form.person_id!r} is not a person id (P- and upper-case letters, digits "
                                      "or -)"))
    if problems or resident is None or nationality is None:
        return None, problems
    checked = CheckedPerson(form=form, resident=resident, nationality=nationality,
                            secrecy_level=cast(SecrecyLevel, level),
                            expertise=expertise, post=post, post_key=post_key(post), name_zh=name_zh,
                            name_latin=name_latin)
    return checked, []


def _resident(value: str, today: date, problems: list[Problem]) -> ResidentId | None:
    try:
        return parse_resident_id(value, today=today)
    except ResidentIdError as exc:
        problems.append(("resident_id", str(exc)))
        return None


def _nationality(value: str, problems: list[Problem]) -> str | None:
    try:
        return country(value).alpha2
    except UnknownCountry:
        problems.append(("nationality", f"unknown nationality {value!r} (an ISO 3166-1 alpha-2 code such as CN)"))
        return None


def _expertise(values: tuple[str, ...], problems: list[Problem]) -> tuple[Expertise, ...]:
    out: list[Expertise] = []
    for value in values:
        field = expertise_id(value)
        if field not in EXPERTISE:
            problems.append(("expertise", f"unknown expertise {value!r}: one of {', '.join(EXPERTISE)}"))
        elif field not in out:
            out.append(field)
    if not values:
        problems.append(("expertise", "at least one field of expertise is needed"))
    return tuple(out)


def _names(form: PersonInput, problems: list[Problem]) -> tuple[str, str]:
    name_zh = "".join(form.name_zh.split())
    name_latin = " ".join(form.name_latin.split())
    if not name_zh and not name_latin:
        problems.append(("name_zh", "a name is needed, in Chinese characters (name_zh) or Latin script (name_latin)"))
    if name_zh and not HAN_NAME_RE.match(name_zh):
        problems.append(("name_zh", "must be written in Chinese characters (a middle dot may separate parts)"))
    if name_latin and not LATIN_NAME_RE.match(name_latin):
        problems.append(("name_latin", "must be letters, with spaces, hyphens, apostrophes or dots between parts"))
    return name_zh, name_latin


def _dates(form: PersonInput, resident: ResidentId | None, today: date, problems: list[Problem]) -> None:
    if form.hired_on > today:
        problems.append(("hired_on", f"hired_on {form.hired_on.isoformat()} is in the future"))
    if resident is not None:
        born = resident.birth_date
        try:
            adult = born.replace(year=born.year + MIN_WORKING_AGE)
        except ValueError:  # born on 29 February
            adult = date(born.year + MIN_WORKING_AGE, 3, 1)
        if form.hired_on < adult:
            problems.append(("hired_on", f"hired_on {form.hired_on.isoformat()} is before the person turned "
                                         f"{MIN_WORKING_AGE} (born {born.isoformat()} per the resident id)"))
    if form.departed_on is not None:
        if form.departed_on < form.hired_on:
            problems.append(("departed_on", f"departed_on {form.departed_on.isoformat()} is before hired_on "
                                            f"{form.hired_on.isoformat()}"))
        if form.departed_on > today:
            problems.append(("departed_on", f"departed_on {form.departed_on.isoformat()} is in the future"))
