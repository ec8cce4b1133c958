"""`reetrace export apply|applications|show|review|respond|ship|sla` as a user runs it (in-process through Typer's
runner, on a temporary data folder). The world (tenants, enterprises, users) is set up through the library
(tests/licensing/export_world.py); everything under test goes through the command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reetrace.container import build_container
from support.backends import make_settings
from support.cli import CommandLine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "licensing"))
from export_world import application, build_world


class Cli(CommandLine):
    group = "export"


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


def write_application(folder: Path, **changes: Any) -> Path:
    """The application as a JSON file with its certificates as files next to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "end-user.pdf").write_bytes(b"%PDF end-user certificate")
    (folder / "end-use.pdf").write_bytes(b"%PDF end-use statement")
    data = application(certificates=[{"kind": "end_user", "file": "end-user.pdf"},
                                     {"kind": "end_use", "file": "end-use.pdf"}])
    path = folder / "application.json"
    path.write_text(json.dumps({**data, **changes}), encoding="utf-8")
    return path


def test_apply_review_respond_approve_ship(cli: Cli, tmp_path: Path) -> None:
    shown = cli.json("apply", str(write_application(tmp_path / "a")), "--as", "exporter.a", "--today", "2026-09-01")
    application_id = shown["application_id"]
    assert shown["status"] == "submitted" and shown["rule_ids"] == ["1C905"]
    assert shown["sla"] == {"due_on": "2026-11-09", "days_left": 45, "paused": False, "paused_workdays": 0,
                            "provisional": False, "state": "running"}
    assert [c["name"] for c in shown["certificates"]] == ["end-user.pdf", "end-use.pdf"]
    assert "No party lists are loaded" in shown["screening"]["note"]
    listed = cli("applications", "--today", "2026-09-01").stdout
    assert application_id in listed and "1 application(s)" in listed
    cli("review", application_id, "rfi", "--reason", "send the purchase order", "--as", "mofcom.rev", "--today",
        "2026-09-29")
    assert cli.json("show", application_id, "--today", "2026-10-05")["sla"]["state"] == "paused"
    answer = tmp_path / "answer.json"
    (tmp_path / "po.pdf").write_bytes(b"%PDF purchase order")
    answer.write_text(json.dumps({"answer": "attached", "certificates": [{"kind": "end_use", "file": "po.pdf"}]}))
    answered = cli.json("respond", application_id, str(answer), "--as", "exporter.a", "--today", "2026-10-12")
    assert answered["sla"]["due_on"] == "2026-11-16" and answered["sla"]["paused_workdays"] == 5
    approved = cli("review", application_id, "approve", "--reason", "verified", "--as", "mofcom.rev", "--today",
                   "2026-10-13", "--licence", "general", "--quantity", "400").stdout
    assert "licence LIC-" in approved and "approve by mofcom.rev (mofcom): verified" in approved
    licence_id = cli.json("show", application_id)["licence_id"]
    shipped = cli("ship", licence_id, "--quantity", "0.4", "--unit", "t", "--value", "1000", "--date", "2026-10-20",
                  "--as", "exporter.a").stdout
    assert "400.0 kg drawn down" in shipped and "0.0 kg" in shipped
    refused = cli("ship", licence_id, "--quantity", "1", "--value", "1", "--date", "2026-10-21", "--as",
                  "exporter.a", code=1)
    assert "REFUSED: 1 kg is more than the 0.0 kg remaining" in refused.stderr and "alert A-" in refused.stderr


def test_sla_lists_overdue_and_raises_alerts(cli: Cli, tmp_path: Path) -> None:
    application_id = cli.json("apply", str(write_application(tmp_path / "a")), "--as", "exporter.a", "--today",
                              "2026-09-01")["application_id"]
    report = cli.json("sla", "--today", "2026-11-12")
    assert [a["application_id"] for a in report["applications"]] == [application_id] and report["alerts"] == []
    assert report["applications"][0]["sla"]["state"] == "overdue"
    assert len(cli.json("sla", "--today", "2026-11-12", "--alert")["alerts"]) == 1
    assert cli.json("sla", "--today", "2026-11-12", "--alert")["alerts"] == []  # once
    assert "1 overdue" in cli("sla", "--today", "2026-11-12").stdout
    assert cli.json("sla", "--today", "2026-11-12", "--tenant", "group-b")["applications"] == []


def test_bad_input_exits_2_naming_the_field_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    before = cli.state()
    cases: list[tuple[Path, str]] = [
        (write_application(tmp_path / "b1", consignee={"name": "X", "country": "XX"}), "consignee.country"),
        (write_application(tmp_path / "b2", item={"form": "oxide", "composition": {"Dy": 90, "Tb": 20}}),
         "item.composition"),
        (write_application(tmp_path / "b3", quantity={"amount": "-1", "unit": "kg"}), "quantity.amount"),
        (write_application(tmp_path / "b4", no_retransfer_undertaking=False), "no_retransfer_undertaking"),
        (write_application(tmp_path / "b5", certificates=[{"kind": "end_user", "file": "end-user.pdf"}]),
         "an end-use certificate is missing"),
        (write_application(tmp_path / "b6", certificates=[{"kind": "end_user", "file": "nope.pdf"}]),
         "certificates[0].file"),
    ]
    for path, where in cases:
        assert where in cli("apply", str(path), "--as", "exporter.a", code=2).stderr
    (tmp_path / "broken.json").write_text("{not json")
    assert "broken.json is not valid JSON" in cli("apply", str(tmp_path / "broken.json"), "--as", "exporter.a",
                                                  code=2).stderr
    assert "no enabled user 'nobody'" in cli("apply", str(cases[0][0]), "--as", "nobody", code=2).stderr
    assert cli.state() == before
    application_id = cli.json("apply", str(write_application(tmp_path / "ok")), "--as", "exporter.a",
                              "--today", "2026-09-01")["application_id"]
    assert "needs export:application:review" in cli("review", application_id, "approve", "--reason", "x", "--as",
                                                    "mofcom.viewer", code=2).stderr
    assert "no licence application" in cli("review", application_id, "approve", "--reason", "x", "--as",
                                           "customs.rev", code=2).stderr
    assert "unknown review action" in cli("review", application_id, "bless", "--reason", "x", "--as",
                                          "mofcom.rev", code=2).stderr
    assert "no licence application" in cli("show", application_id, "--tenant", "group-b", code=2).stderr
    assert "not a number" in cli("ship", "LIC-0000000000000000", "--quantity", "lots", "--value", "1", "--as",
                                 "exporter.a", code=2).stderr
    assert "not a date" in cli("sla", "--today", "12/11/2026", code=2).stderr
    assert "unknown status 'pending'" in cli("applications", "--status", "pending", code=2).stderr
    assert cli.json("applications", "--status", "submitted")["applications"][0]["application_id"] == application_id


@pytest.mark.postgres
def test_export_commands_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    cli = make_cli(tmp_path / "home", pg_url)
    application_id = cli.json("apply", str(write_application(tmp_path / "a")), "--as", "exporter.a", "--today",
                              "2026-09-01")["application_id"]
    cli("review", application_id, "approve", "--reason", "verified", "--as", "mofcom.rev", "--today", "2026-09-02")
    licence_id = cli.json("show", application_id)["licence_id"]
    cli("ship", licence_id, "--quantity", "500", "--value", "250000", "--date", "2026-09-03", "--as", "exporter.a")
    cli("ship", licence_id, "--quantity", "1", "--value", "0", "--date", "2026-09-04", "--as", "exporter.a", code=1)
    assert not (tmp_path / "home" / "reetrace.db").exists()
