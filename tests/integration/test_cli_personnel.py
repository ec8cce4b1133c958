"""`reetrace personnel ...` as a user runs it (in-process through Typer's runner, on a temporary data folder).

The world (tenants, enterprises ENT-N1 and ENT-S1, approvers) is set up through the library
(tests/support/travel_world.py); everything under test goes through the command.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reetrace.container import build_container
from reetrace.domains.personnel.ids import make_resident_id
from support.backends import make_settings
from support.cli import CommandLine
from support.logdb import snapshot
from support.travel_world import build_world

HEADER = ["enterprise_id", "name_zh", "name_latin", "resident_id", "secrecy_level", "post", "hired_on",
          "expertise", "person_id"]


def person_row(n: int, name_zh: str = "张伟", name_latin: str = "Zhang Wei", level: str = "general",
               enterprise_id: str = "ENT-N1") -> list[str]:
    return [enterprise_id, name_zh, name_latin, make_resident_id("150203", date(1980, 1, 1), n), level,
            "Process engineer", "2012-03-01", "solvent_extraction;analysis", f"P-T{n:04d}"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


class Cli(CommandLine):
    group = "personnel"


def make_cli(home: Path, db: str | None = None) -> Cli:
    container = build_container(make_settings(home, db))
    try:
        build_world(container)
    finally:
        container.close()
    return Cli(home, db)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    yield make_cli(tmp_path / "home")


def state_of(cli: Cli) -> dict[str, list[tuple[Any, ...]]]:
    container = build_container(make_settings(cli.home, cli.db))
    try:
        return snapshot(container.engine)
    finally:
        container.close()


def test_import_list_show_national(cli: Cli, tmp_path: Path) -> None:
    people = write_csv(tmp_path / "people.csv", [person_row(1, level="core"), person_row(2, "李娜", "Li Na"),
                                                 person_row(3, "王芳", "Wang Fang")])
    report = cli.json("import", str(people), "--tenant", "group-north")
    assert report["rows"] == 3 and report["persons"] == 3 and report["departures"] == 0
    listed = cli.json("list", "--tenant", "group-north")
    assert listed["total"] == 3 and {p["person_id"] for p in listed["persons"]} == {"P-T0001", "P-T0002", "P-T0003"}
    assert cli.json("list", "--tenant", "group-south")["total"] == 0  # another tenant sees none of them
    detail = cli.json("show", "P-T0001")
    assert detail["summary"]["secrecy_level"] == "core" and detail["watch_listed"] is False
    assert set(detail["commitments"]) >= {"name_zh", "resident_id"}
    assert all(v.startswith("hmac-sha256:") for v in detail["commitments"].values())
    assert "张伟" not in json.dumps(detail, ensure_ascii=False)  # commitments, never the values
    national = cli.json("national")
    assert national["total"] == 3 and national["by_secrecy_level"] == {"core": 1, "important": 0, "general": 2}
    assert national["by_expertise"] == {"analysis": 3, "solvent_extraction": 3}
    table = cli("list").stdout
    assert "P-T0002" in table and "3 person(s)" in table


def test_a_large_import_shows_progress_on_stderr_only(cli: Cli, tmp_path: Path) -> None:
    rows = []
    for n in range(2_100):  # above LARGE_FILE_ROWS: the progress bar runs, and never mixes into --json
        row = person_row(1)
        row[3] = make_resident_id("360702", date(1975, 1, 1 + n // 900), n % 900 + 1)
        row[8] = f"P-L{n:05d}"
        rows.append(row)
    report = cli.json("import", str(write_csv(tmp_path / "many.csv", rows)), "--tenant", "group-north")
    assert report["persons"] == 2_100
    assert cli.json("national", "--tenant", "group-north")["total"] == 2_100


def test_xlsx_import_names_the_bad_cell(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(person_row(1))
    bad = person_row(2)
    bad[4] = "secret"
    sheet.append(bad)
    book.save(tmp_path / "people.xlsx")
    result = cli("import", str(tmp_path / "people.xlsx"), "--tenant", "group-north", code=2)
    assert "people.xlsx, row 3, secrecy_level" in result.stderr and "unknown secrecy level 'secret'" in result.stderr
    sheet.delete_rows(3)
    book.save(tmp_path / "people.xlsx")
    assert cli.json("import", str(tmp_path / "people.xlsx"), "--tenant", "group-north")["persons"] == 1


def test_import_bad_input_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    good, bad = person_row(1), person_row(2)
    bad[3] = bad[3][:17] + ("3" if bad[3][17] != "3" else "5")  # wrong check digit
    before = state_of(cli)
    result = cli("import", str(write_csv(tmp_path / "people.csv", [good, bad])), "--tenant", "group-north", code=2)
    assert "error[invalid_import]" in result.stderr and "people.csv, row 3, resident_id" in result.stderr
    assert "nothing was stored" in result.stderr
    result = cli("import", str(tmp_path / "missing.csv"), "--tenant", "group-north", code=2)
    assert "cannot read" in result.stderr and "missing.csv" in result.stderr
    result = cli("import", str(write_csv(tmp_path / "ok.csv", [good])), "--tenant", "no-such-tenant", code=2)
    assert "no tenant 'no-such-tenant'" in result.stderr
    result = cli("import", str(write_csv(tmp_path / "other.csv", [person_row(4, enterprise_id="ENT-S1")])),
                 "--tenant", "group-north", code=2)
    assert "row 2, enterprise_id" in result.stderr  # an enterprise of another tenant
    (tmp_path / "people.txt").write_text("x", encoding="utf-8")
    assert "not a CSV or XLSX" in cli("import", str(tmp_path / "people.txt"), "--tenant", "group-north",
                                      code=2).stderr
    assert state_of(cli) == before
    assert "no person 'P-NONE'" in cli("show", "P-NONE", code=2).stderr
    assert "unknown status 'gone'" in cli("list", "--status", "gone", code=2).stderr


def test_watch_depart_and_staff_list(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_csv(tmp_path / "p.csv", [person_row(1, "李建国", "Li Jianguo", "core"),
                                                     person_row(2)])), "--tenant", "group-north")
    entry = cli("watch", "P-T0001", "--reason", "holds the extraction recipe", "--tenant", "group-north")
    entry_id = entry.stdout.strip()
    assert entry_id.startswith("W-")
    assert cli.json("show", "P-T0001")["watch_listed"] is True
    out = cli("depart", "P-T0001", "--on", "2026-06-15", "--tenant", "group-north").stdout
    assert "cooling off until 2029-06-14" in out  # core: 1,095 days
    staff = tmp_path / "staff.csv"
    staff.write_text("name_latin\nAnna Schmidt\nJianguo Li\n", encoding="utf-8")
    result = cli("check-staff", str(staff), "--organisation", "Northgate Magnetics GmbH", "--country", "DE",
                 "--tenant", "group-north", "--json", code=1)
    found = json.loads(result.stdout)
    assert found["rows"] == 2 and [m["person_id"] for m in found["matches"]] == ["P-T0001"]
    assert found["matches"][0]["row"] == 3 and found["matches"][0]["alert_id"]
    assert [m["person_id"] for m in cli.json("check-name", "Jianguo Li")] == ["P-T0001"]
    assert cli.json("check-name", "张伟") == []  # registered but neither watch-listed nor cooling off
    assert [m["person_id"] for m in cli.json("check-name", "张伟", "--everyone")] == ["P-T0002"]
    post = cli("watch-post", "ENT-N1", "Process engineer", "--reason", "sensitive post", "--tenant", "group-north")
    assert post.stdout.strip().startswith("W-")
    cli("unwatch", entry_id, "--reason", "cleared", "--tenant", "group-north")
    assert any(a["kind"] == "personnel.watchlist.match" for a in cli.json("alerts"))


def test_watch_and_staff_list_bad_input(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(write_csv(tmp_path / "p.csv", [person_row(1)])), "--tenant", "group-north")
    assert "not a date" in cli("depart", "P-T0001", "--on", "2026-13-01", "--tenant", "group-north", code=2).stderr
    assert "departed_on 2009" in cli("depart", "P-T0001", "--on", "2009-01-01", "--tenant", "group-north",
                                     code=2).stderr
    assert "unknown reason" in cli("depart", "P-T0001", "--on", "2026-01-01", "--reason", "bored", "--tenant",
                                   "group-north", code=2).stderr
    assert "P-NONE" in cli("watch", "P-NONE", "--reason", "x", "--tenant", "group-north", code=2).stderr
    assert "a reason is required" in cli("watch", "P-T0001", "--reason", " ", "--tenant", "group-north",
                                         code=2).stderr
    assert "W-0000000000000000" in cli("unwatch", "W-0000000000000000", "--reason", "x", "--tenant",
                                       "group-north", code=2).stderr
    staff = tmp_path / "staff.csv"
    staff.write_text("full name\nAnna Schmidt\n", encoding="utf-8")
    assert "staff.csv, row 1" in cli("check-staff", str(staff), "--organisation", "X", "--country", "DE",
                                     "--tenant", "group-north", code=2).stderr
    staff.write_text("name_latin\nAnna Schmidt\n", encoding="utf-8")
    assert "unknown country 'QQ'" in cli("check-staff", str(staff), "--organisation", "X", "--country", "QQ",
                                         "--tenant", "group-north", code=2).stderr
    assert "the name to look for is empty" in cli("check-name", " ", code=2).stderr


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def submit_hk_trip(cli: Cli, tmp_path: Path) -> str:
    cli("import", str(write_csv(tmp_path / "p.csv", [person_row(1)])), "--tenant", "group-north")
    request = write_json(tmp_path / "trip.json", {
        "person_id": "P-T0001", "destinations": ["HK"], "depart_on": "2026-09-10", "return_on": "2026-09-15",
        "purpose": "business", "inviting_organisation": "HK Magnet Fair",
        "foreign_contacts": [{"name": "Tom Lee", "organisation": "Fair Ltd", "country": "HK"}]})
    view = cli.json("travel", "submit", str(request), "--today", "2026-09-01")
    assert view["status"] == "pending" and view["chain"] == ["enterprise", "group"] and view["rule_id"] == "tier2"
    return str(view["request_id"])


def test_travel_passport_and_debrief(cli: Cli, tmp_path: Path) -> None:
    request_id = submit_hk_trip(cli, tmp_path)
    result = cli("travel", "act", request_id, "approve", "--as", "group.n", code=2)
    assert "error[wrong_level]" in result.stderr and "enterprise level" in result.stderr
    assert cli.json("travel", "act", request_id, "approve", "--as", "officer.n", "--reason", "ok")["next_level"] \
        == "group"
    assert cli.json("travel", "act", request_id, "approve", "--as", "group.n")["status"] == "approved"
    doc = cli.json("passports", "deposit", str(write_json(tmp_path / "doc.json", {
        "person_id": "P-T0001", "doc_type": "hk_macau_permit", "number": "C12345678", "expires_on": "2030-01-01"})),
        "--today", "2026-08-01")
    assert doc["status"] == "held" and "C12345678" not in json.dumps(doc)
    out = cli.json("passports", "check-out", doc["document_id"], "--request", request_id, "--today", "2026-09-09")
    assert out["status"] == "out" and out["due_on"] == "2026-09-22"
    assert [d["document_id"] for d in cli.json("passports", "list", "--status", "out")] == [doc["document_id"]]
    assert cli.json("passports", "check-in", doc["document_id"], "--today", "2026-09-16")["status"] == "held"
    debrief = write_json(tmp_path / "debrief.json", {"actual_destinations": ["HK", "MO"],
                                                     "actual_return_on": "2026-09-15"})
    done = cli.json("travel", "debrief", request_id, str(debrief), "--today", "2026-09-17")
    assert done["late"] is False and len(done["deviations"]) == 1 and "MO" in done["deviations"][0]
    assert [v["request_id"] for v in cli.json("travel", "list", "--status", "completed")] == [request_id]
    shown = cli.json("travel", "show", request_id)
    assert [s["username"] for s in shown["steps"]] == ["officer.n", "group.n"]
    assert "step 2 (group)" in cli("travel", "show", request_id).stdout


def test_travel_and_passports_bad_input(cli: Cli, tmp_path: Path) -> None:
    request_id = submit_hk_trip(cli, tmp_path)
    before = state_of(cli)
    bad = write_json(tmp_path / "bad.json", {"person_id": "P-T0001", "destinations": ["XX"],
                                             "depart_on": "2026-09-10", "return_on": "2026-09-05",
                                             "purpose": "business"})
    result = cli("travel", "submit", str(bad), "--today", "2026-09-01", code=2)
    assert "error[unknown_country]" in result.stderr and "destinations[0]" in result.stderr
    assert "return_on" in result.stderr  # every problem named, not just the first
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    assert "broken.json is not valid JSON" in cli("travel", "submit", str(tmp_path / "broken.json"),
                                                  code=2).stderr
    missing = write_json(tmp_path / "short.json", {"person_id": "P-T0001"})
    assert "short.json: destinations" in cli("travel", "submit", str(missing), code=2).stderr
    assert "cannot read" in cli("travel", "submit", str(tmp_path / "none.json"), code=2).stderr
    assert "not a date" in cli("travel", "submit", str(bad), "--today", "yesterday", code=2).stderr
    assert "no enabled user 'nobody'" in cli("travel", "act", request_id, "approve", "--as", "nobody",
                                             code=2).stderr
    assert "neither 'approve' nor 'refuse'" in cli("travel", "act", request_id, "maybe", "--as", "officer.n",
                                                   code=2).stderr
    assert "a refusal needs a reason" in cli("travel", "act", request_id, "refuse", "--as", "officer.n",
                                             code=2).stderr
    assert "no travel request 'travel-none'" in cli("travel", "show", "travel-none", code=2).stderr
    debrief = write_json(tmp_path / "d.json", {"actual_destinations": ["HK"], "actual_return_on": "2026-09-15"})
    assert "only an approved trip" in cli("travel", "debrief", request_id, str(debrief), code=2).stderr
    doc = write_json(tmp_path / "doc.json", {"person_id": "P-T0001", "doc_type": "visa", "number": "C1234567",
                                             "expires_on": "2030-01-01"})
    assert "doc.json: doc_type" in cli("passports", "deposit", str(doc), code=2).stderr
    assert "no person 'P-NONE'" in cli("passports", "deposit", str(write_json(tmp_path / "d2.json", {
        "person_id": "P-NONE", "doc_type": "passport", "number": "E1234567", "expires_on": "2030-01-01"})),
        code=2).stderr
    assert "doc-none" in cli("passports", "check-out", "doc-none", "--request", request_id, code=2).stderr
    assert "doc-none" in cli("passports", "check-in", "doc-none", code=2).stderr
    assert "unknown status 'lost'" in cli("passports", "list", "--status", "lost", code=2).stderr
    assert state_of(cli) == before


def test_checks_raise_overdue_debrief_once(cli: Cli, tmp_path: Path) -> None:
    request_id = submit_hk_trip(cli, tmp_path)
    cli("travel", "act", request_id, "approve", "--as", "officer.n")
    cli("travel", "act", request_id, "approve", "--as", "group.n")
    findings = cli.json("checks", "--today", "2026-10-30")
    assert [(f["kind"], f["subject"]) for f in findings] == [("personnel.debrief.overdue", "P-T0001")]
    assert findings[0]["alert_id"]
    again = cli.json("checks", "--today", "2026-10-31")
    assert len(again) == 1 and again[0]["alert_id"] is None  # raised once
    assert "raised before" in cli("checks", "--today", "2026-11-01").stdout
    alerts = cli.json("alerts")
    assert [a["kind"] for a in alerts] == ["personnel.debrief.overdue"] and request_id in alerts[0]["message"]
    assert cli.json("alerts", "--tenant", "group-south") == []
    assert "not a date" in cli("checks", "--today", "31/10/2026", code=2).stderr


@pytest.mark.postgres
def test_personnel_commands_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    cli = make_cli(tmp_path / "home", pg_url)
    people = write_csv(tmp_path / "people.csv", [person_row(1, level="core"), person_row(2, "李娜", "Li Na")])
    assert cli.json("import", str(people), "--tenant", "group-north")["persons"] == 2
    bad = person_row(3)
    bad[6] = "2012-02-30"
    assert "row 2, hired_on" in cli("import", str(write_csv(tmp_path / "bad.csv", [bad])), "--tenant",
                                    "group-north", code=2).stderr
    assert cli.json("national")["total"] == 2
    request_id = submit_hk_trip_for(cli, tmp_path, "P-T0001")
    assert cli.json("travel", "show", request_id)["chain"] == ["enterprise", "group", "authority"]
    cli("travel", "act", request_id, "approve", "--as", "officer.n")
    cli("travel", "act", request_id, "approve", "--as", "group.n")
    assert cli.json("travel", "act", request_id, "approve", "--as", "mofcom.li")["status"] == "approved"
    assert not (tmp_path / "home" / "reetrace.db").exists()


def submit_hk_trip_for(cli: Cli, tmp_path: Path, person_id: str) -> str:
    request = write_json(tmp_path / "trip.json", {"person_id": person_id, "destinations": ["JP"],
                                                  "depart_on": "2026-09-10", "return_on": "2026-09-15",
                                                  "purpose": "conference"})
    return str(cli.json("travel", "submit", str(request), "--today", "2026-09-01")["request_id"])
