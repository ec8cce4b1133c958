"""CSV and XLSX imports on every backend: every row checked first, one bad row stores nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from personnel_people import (
    NORTH,
    SOUTH,
    TODAY,
    log_text,
    projection_text,
    register,
    resident_id,
    state,
    wrong_check_digit,
)
from sqlalchemy import func, select

from reetrace.container import Container
from reetrace.domains.personnel.imports import COLUMNS, ImportReport, import_file, import_persons
from reetrace.domains.personnel.tables import person_expertise, persons
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction
from support.logdb import stored_entries

HEADER = ["person_id", "enterprise_id", "name_zh", "name_latin", "resident_id", "nationality", "secrecy_level", "post",
          "hired_on", "expertise", "education", "technologies", "documents", "departed_on"]
SURNAMES = [("张", "Zhang"), ("王", "Wang"), ("李", "Li"), ("刘", "Liu"), ("陈", "Chen")]
GIVEN = [("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("磊", "Lei")]


def person_row(n: int, **changes: Any) -> dict[str, Any]:
    (sz, sl), (gz, gl) = SURNAMES[n % 5], GIVEN[n % 6]
    row = {"person_id": "", "enterprise_id": "ENT-N1" if n % 3 else "ENT-N2", "name_zh": sz + gz,
           "name_latin": f"{sl} {gl}", "resident_id": resident_id(), "nationality": "CN",
           "secrecy_level": ("core", "important", "general")[n % 3], "post": f"Engineer {n % 7}",
           "hired_on": "2015-04-01", "expertise": "solvent_extraction; analysis" if n % 2 else "Magnet making",
           "education": f"BSc {n}", "technologies": "RE-TECH-1", "documents": "DOC-1;DOC-2", "departed_on": ""}
    return {**row, **changes}


def csv_bytes(rows: list[dict[str, Any]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(container: Container, data: bytes, name: str = "people.csv", caller: Any = NORTH) -> ImportReport:
    with container.unit_of_work() as (uow, vault):
        return import_persons(uow, vault, caller, data, name, today=TODAY)


def refused(container: Container, data: bytes, name: str = "people.csv", caller: Any = NORTH) -> Error:
    before = state(container)
    with pytest.raises(Error) as caught:
        run(container, data, name, caller)
    assert state(container) == before  # nothing stored: not a row, not a log entry, not a vault value
    return caught.value


def _count(container: Container) -> int:
    with read_transaction(container.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(persons)).scalar_one())


def test_a_csv_import_registers_everyone_in_one_unit_of_work(world: Container) -> None:
    rows = [person_row(n) for n in range(30)]
    rows[4]["departed_on"] = "2025-12-31"
    report = run(world, csv_bytes(rows))
    assert (report.rows, report.persons, report.departures) == (30, 30, 1)
    assert _count(world) == 30
    kinds = [json.loads(e)["kind"] for _, e, _ in stored_entries(world.engine)[report.first_index:]]
    assert kinds == ["personnel.person.registered"] * 30 + ["personnel.person.departed", "personnel.import.completed"]
    with read_transaction(world.engine) as conn:
        magnets = conn.execute(select(func.count()).select_from(person_expertise).where(
            person_expertise.c.field == "magnet_making")).scalar_one()
        departed = conn.execute(select(persons.c.cooling_off_until).where(persons.c.status == "departed")).scalar_one()
    assert magnets == 15 and departed == date(2027, 12, 31)  # person 4 is important: 730 days
    everything = log_text(world) + projection_text(world)
    assert not [r for r in rows if r["resident_id"] in everything or r["name_zh"] in everything]


def test_an_xlsx_import_reads_text_and_date_cells(world: Container, tmp_path: Any) -> None:
    rows = [HEADER[1:10], ["ENT-N1", "赵敏", "Zhao Min", resident_id(), None, "core", "Director",
                           datetime(2012, 5, 1), "mining;cracking"],
            [None] * 9,
            ["ENT-N2", None, "O'Neil Li", resident_id(), "CN", "general", "Analyst", date(2019, 1, 2), "analysis"]]
    path = tmp_path / "staff.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    with world.unit_of_work() as (uow, vault):
        report = import_file(uow, vault, NORTH, path, today=TODAY)
    assert (report.rows, report.persons, report.source) == (2, 2, "staff.xlsx")
    with read_transaction(world.engine) as conn:
        hired = sorted(conn.execute(select(persons.c.hired_on)).scalars())
    assert hired == [date(2012, 5, 1), date(2019, 1, 2)]


def test_one_bad_row_stores_nothing_and_names_row_and_field(world: Container) -> None:
    rows = [person_row(n) for n in range(10)]
    bad, wrong, expected = wrong_check_digit(rows[5]["resident_id"])
    rows[5]["resident_id"] = bad  # file row 7: the header is row 1
    error = refused(world, csv_bytes(rows))
    assert [d.as_dict() for d in error.details] == [
        {"location": "people.csv, row 7, resident_id", "message": f"check digit is {wrong}, expected {expected}"}]
    assert error.message.startswith("people.csv: 1 problem(s) in 1 row(s); nothing was stored")


def test_every_problem_is_reported_with_its_row(world: Container) -> None:
    taken = resident_id()
    registered = register(world, resident_id=taken)
    twin = resident_id()
    rows = [
        person_row(0),
        person_row(1, hired_on="2020-01-01", departed_on="2019-06-30"),  # row 3
        person_row(2, nationality="Atlantis"),  # row 4
        person_row(3, expertise="mining; necromancy"),  # row 5
        person_row(4, resident_id=twin),  # row 6
        person_row(5, resident_id=twin),  # row 7
        person_row(6, resident_id=taken),  # row 8
        person_row(7, enterprise_id="ENT-S1"),  # row 9: another tenant's enterprise
        person_row(8, hired_on="01/02/2020"),  # row 10
        person_row(9, secrecy_level="", post=""),  # row 11
    ]
    error = refused(world, csv_bytes(rows))
    found = [(d.location, d.message) for d in error.details]
    assert found == [
        ("people.csv, row 3, departed_on", "departed_on 2019-06-30 is before hired_on 2020-01-01"),
        ("people.csv, row 4, nationality", "unknown nationality 'Atlantis' (an ISO 3166-1 alpha-2 code such as CN)"),
        ("people.csv, row 5, expertise", "unknown expertise 'necromancy': one of mining, beneficiation, cracking, "
                                         "solvent_extraction, metal_smelting, alloying, magnet_making, recycling, "
                                         "equipment, analysis"),
        ("people.csv, row 7, resident_id", "duplicate of row 6 (the same resident id)"),
        ("people.csv, row 8, resident_id",
         f"duplicate person: resident id already registered as {registered.person_id}"),
        ("people.csv, row 9, enterprise_id", "no enterprise 'ENT-S1' in your tenants"),
        ("people.csv, row 10, hired_on", "'01/02/2020' is not a date (YYYY-MM-DD)"),
        ("people.csv, row 11, secrecy_level", "required"),
        ("people.csv, row 11, post", "required"),
    ]
    assert error.message.startswith("people.csv: 9 problem(s) in 8 row(s); nothing was stored")


def test_the_south_group_imports_into_its_own_enterprises_only(world: Container) -> None:
    rows = [person_row(n, enterprise_id="ENT-S1") for n in range(3)]
    assert run(world, csv_bytes(rows), caller=SOUTH).persons == 3
    error = refused(world, csv_bytes([person_row(9, enterprise_id="ENT-N1")]), caller=SOUTH)
    assert [(d.location, d.message) for d in error.details] == [
        ("people.csv, row 2, enterprise_id", "no enterprise 'ENT-N1' in your tenants")]


BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    "unknown column": (csv_bytes([person_row(0)], [*HEADER, "shoe_size"]), "people.csv, row 1", "unknown column"),
    "missing column": (csv_bytes([person_row(0)], [h for h in HEADER if h != "post"]), "people.csv, row 1",
                       "required column 'post' is missing"),
    "empty file": (b"", "people.csv, row 1", "the first row names the columns"),
    "header only": (csv_bytes([]), "people.csv", "the file has a header and nothing else"),
    "not text": (b"\xff\xfe\x00\x00" * 3 + b"\x80\x81", "people.csv", ""),
    "not a workbook": (b"PK\x03\x04 not really", "people.xlsx", ""),
    "other format": (b"{}", "people.json", "name the file *.csv or *.xlsx"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused(world: Container, case: str) -> None:
    data, location, message = BAD_FILES[case]
    name = "people.xlsx" if case == "not a workbook" else "people.json" if case == "other format" else "people.csv"
    error = refused(world, data, name)
    assert error.http_status == 400
    assert error.details and error.details[0].location.startswith(location.split(",")[0])
    assert message in error.details[0].message


def test_a_resident_id_stored_as_a_number_in_xlsx_is_refused(world: Container) -> None:
    rows = [HEADER[1:10], ["ENT-N1", "赵敏", "Zhao Min", 150203198005171234, "CN", "core", "Director",
                           "2012-05-01", "mining"]]
    error = refused(world, xlsx_bytes(rows), "staff.xlsx")
    assert error.details[0].location == "staff.xlsx, row 2, resident_id"
    assert "format the column as text" in error.details[0].message


def test_the_column_list_is_documented() -> None:
    from reetrace.domains.personnel import imports

    doc = imports.__doc__ or ""
    assert all(f"\n{column} " in doc for column in COLUMNS)
