"""Import persons from a CSV or XLSX file: every row is checked first, then everything is stored in one unit of
work, or nothing is.

The file has one header row; column names are case-insensitive, in any order. ``*`` marks a required column;
a multi-valued cell separates its values with ``;``.

=================  ==========================================================================================
column             meaning
=================  ==========================================================================================
enterprise_id *    the employer: an enterprise of the importing user's tenants
name_zh            the name in Chinese characters        (at least one of name_zh and name_latin)
name_latin         the name in Latin script, e.g. ``Zhang Wei``
resident_id *      the 18-character resident identity number (GB 11643, check digit verified); in XLSX a text
                   cell (an 18-digit number stored as a number has lost its last digits)
nationality        ISO 3166-1 alpha-2 code; empty means CN
secrecy_level *    core | important | general
post *             the post title, as the staff records name it (the watch list can name posts)
hired_on *         YYYY-MM-DD (in XLSX also a date cell)
expertise *        ``;``-separated: mining, beneficiation, cracking, solvent_extraction, metal_smelting,
                   alloying, magnet_making, recycling, equipment, analysis
education          free text (sealed in the vault)
research_history   free text (sealed in the vault)
publications       patents and papers, free text (sealed in the vault)
technologies       ``;``-separated ids of the controlled technologies the person may access
documents          ``;``-separated ids of the controlled documents the person may access
departed_on        YYYY-MM-DD, for a person who has already left (their cooling-off period starts then)
person_id          the person's id (``P-...``), if the file assigns them; otherwise one is generated
=================  ==========================================================================================

An unknown column is an error (a misspelt header must not drop data silently); blank rows are skipped. CSV is
UTF-8 (with or without a byte-order mark), or GB 18030 when it is not UTF-8. Every problem is reported as a
Detail located at ``<file>, row <n>, <column>`` (row 1 is the header), e.g. ``people.csv, row 7, resident_id:
check digit is 3, expected 5``. Checks: the row's fields (see :mod:`.validation`), the employer, duplicates
within the file, and duplicates against the registry (by the resident id's blind index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from reetrace.errors import Detail, Error, invalid
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault
from reetrace.tabular import csv_rows, xlsx_rows

from .models import Caller, ImportCompleted, PersonInput
from .policy import TravelPolicy
from .service import employers_of, existing_person_ids, record_import, registered_resident_ids, stage_persons
from .validation import CheckedPerson, check_person

REQUIRED = ("enterprise_id", "resident_id", "secrecy_level", "post", "hired_on", "expertise")
OPTIONAL = ("name_zh", "name_latin", "nationality", "education", "research_history", "publications",
            "technologies", "documents", "departed_on", "person_id")
COLUMNS = REQUIRED + OPTIONAL
MULTI = ("expertise", "technologies", "documents")
DATES = ("hired_on", "departed_on")
MAX_DETAILS = 500


@dataclass(frozen=True)
class ImportReport:
    source: str
    sha256: str
    rows: int
    persons: int
    departures: int
    first_index: int
    last_index: int


def import_file(uow: UnitOfWork, vault: Vault, caller: Caller, path: Path, *, today: date | None = None,
                policy: TravelPolicy | None = None) -> ImportReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise invalid(f"cannot read {path}: {exc.strerror}", Detail(str(exc), str(path))) from None
    return import_persons(uow, vault, caller, data, path.name, today=today, policy=policy)


def import_persons(uow: UnitOfWork, vault: Vault, caller: Caller, data: bytes, filename: str, *,
                   today: date | None = None, policy: TravelPolicy | None = None) -> ImportReport:
    """Check every row of a CSV or XLSX file, then register everyone in this unit of work (or raise, storing
    nothing: the error lists every problem, up to 500, with its row and column)."""
    rows = list(read_rows(data, filename))
    checked = _check_rows(uow, vault, caller, rows, filename, today or date.today())
    people = policy or TravelPolicy.default()
    registered = stage_persons(uow, vault, caller, checked, people)
    departures = sum(1 for p, _, _ in checked if p.form.departed_on is not None)
    digest = hashlib.sha256(data).hexdigest()
    last = record_import(uow, caller, ImportCompleted(source=filename[:300] or "import", sha256=digest,
                                                      rows=len(rows), persons=len(registered),
                                                      departures=departures))
    first = registered[0].entry_idx if registered else last
    return ImportReport(filename, digest, len(rows), len(registered), departures, first, last)


# --- reading ---------------------------------------------------------------------------------------------------

RawRow = tuple[int, dict[str, Any]]  # (row number in the file, column -> cell value)


def read_rows(data: bytes, filename: str) -> Iterator[RawRow]:
    """The file's data rows by row number (the header is row 1); blank rows are left out."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        table = csv_rows(data, filename)
    elif suffix in (".xlsx", ".xlsm"):
        table = xlsx_rows(data, filename)
    else:
        raise invalid(f"{filename}: not a CSV or XLSX file", Detail("name the file *.csv or *.xlsx", filename),
                      code="unsupported_format")
    header = next(table, None)
    if header is None:
        raise invalid(f"{filename}: the file is empty", Detail("the first row names the columns", f"{filename}, row 1"))
    columns = _columns(header, filename)
    for number, values in enumerate(table, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(values) > len(columns) and any(v not in (None, "") for v in values[len(columns):]):
            raise invalid(f"{filename}: row {number} has more cells than the header has columns",
                          Detail(f"{len(values)} cells, {len(columns)} columns", f"{filename}, row {number}"))
        yield number, {name: values[i] if i < len(values) else None for i, name in enumerate(columns)}


def _columns(header: Sequence[Any], filename: str) -> list[str]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    problems = []
    for i, name in enumerate(names, start=1):
        if name not in COLUMNS:
            problems.append(Detail(f"unknown column {name or '(empty)'!r} (column {i}); the columns are: "
                                   f"{', '.join(COLUMNS)}", f"{filename}, row 1"))
    seen = set()
    for name in names:
        if name in seen and name in COLUMNS:
            problems.append(Detail(f"column {name!r} appears twice", f"{filename}, row 1"))
        seen.add(name)
    for name in REQUIRED:
        if name not in names:
            problems.append(Detail(f"required column {name!r} is missing", f"{filename}, row 1"))
    if problems:
        raise invalid(f"{filename}: the header row is not valid: {problems[0].message}", *problems)
    return names


# --- checking --------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any, column: str, problems: list[tuple[str, str]]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    problems.append((column, f"{text!r} is not a date (YYYY-MM-DD)"))
    return None


def _split(value: Any) -> tuple[str, ...]:
    text = _text(value).replace("；", ";")
    return tuple(p.strip() for p in text.split(";") if p.strip())


def _form(cells: dict[str, Any], problems: list[tuple[str, str]]) -> PersonInput | None:
    """A row as a PersonInput, or None (with the problems) if its cells cannot even be read as one."""
    resident = cells.get("resident_id")
    if isinstance(resident, int | float) and not isinstance(resident, bool):
        problems.append(("resident_id", "stored as a number, which keeps only 15 significant digits: format the "
                                        "column as text"))
    dates = {c: _date(cells.get(c), c, problems) for c in DATES}
    if dates["hired_on"] is None and not any(c == "hired_on" for c, _ in problems):
        problems.append(("hired_on", "the hiring date is required (YYYY-MM-DD)"))
    for column in ("enterprise_id", "secrecy_level", "post", "expertise"):
        if not _text(cells.get(column)):
            problems.append((column, "required"))
    if problems:
        return None
    values: dict[str, Any] = {c: _text(cells.get(c)) for c in COLUMNS if c not in MULTI and c not in DATES}
    values.update({c: _split(cells.get(c)) for c in MULTI})
    values.update(dates)
    values["nationality"] = values["nationality"] or "CN"
    values["person_id"] = values["person_id"] or None
    try:
        return PersonInput.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append((str(err["loc"][0]) if err["loc"] else "row", err["msg"]))
        return None


def _check_rows(uow: UnitOfWork, vault: Vault, caller: Caller, rows: Sequence[RawRow], filename: str,
                today: date) -> list[tuple[CheckedPerson, Row[Any], str]]:
    details: list[tuple[int, Detail]] = []

    def report(number: int, column: str, message: str) -> None:
        details.append((number, Detail(message, f"{filename}, row {number}, {column}")))

    if not rows:
        raise invalid(f"{filename}: no data rows", Detail("the file has a header and nothing else", filename))
    employers = employers_of(uow.conn, caller, {_text(c.get("enterprise_id")) for _, c in rows})
    good: list[tuple[int, CheckedPerson, Row[Any], str]] = []
    first_row_of: dict[str, int] = {}
    first_id_of: dict[str, int] = {}
    for number, cells in rows:
        problems: list[tuple[str, str]] = []
        form = _form(cells, problems)
        checked = None
        if form is not None:
            checked, problems = check_person(form, today)
            if form.enterprise_id not in employers:
                problems.append(("enterprise_id", f"no enterprise {form.enterprise_id!r} in your tenants"))
        for column, message in problems:
            report(number, column, message)
        if checked is None or problems:
            continue
        resident = checked.resident.number
        if resident in first_row_of:
            report(number, "resident_id", f"duplicate of row {first_row_of[resident]} (the same resident id)")
            continue
        first_row_of[resident] = number
        if checked.form.person_id is not None:
            if checked.form.person_id in first_id_of:
                report(number, "person_id", f"duplicate of row {first_id_of[checked.form.person_id]} (the same "
                                            "person id)")
                continue
            first_id_of[checked.form.person_id] = number
        good.append((number, checked, employers[checked.form.enterprise_id],
                     vault.blind_index("resident_id", resident)))
    registered = registered_resident_ids(uow.conn, [index for _, _, _, index in good])
    taken = existing_person_ids(uow.conn, list(first_id_of))
    for number, checked, _, index in good:
        if index in registered:
            report(number, "resident_id", f"duplicate person: resident id already registered as {registered[index]}")
        if checked.form.person_id in taken:
            report(number, "person_id", f"duplicate person: {checked.form.person_id} is already registered")
    if details:
        raise _import_error(filename, details)
    return [(checked, employer, index) for _, checked, employer, index in good]


def _import_error(filename: str, found: list[tuple[int, Detail]]) -> Error:
    rows = len({number for number, _ in found})
    details = [d for _, d in sorted(found, key=lambda item: item[0])]  # stable: a row's problems keep their order
    shown = details[:MAX_DETAILS]
    if len(details) > MAX_DETAILS:
        shown.append(Detail(f"... and {len(details) - MAX_DETAILS} more problems", filename))
    first = shown[0]
    return invalid(f"{filename}: {len(details)} problem(s) in {rows} row(s); nothing was stored. First: "
                   f"{first.location}: {first.message}", *shown, code="invalid_import")
