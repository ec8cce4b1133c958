"""`reetrace flow ...` as a user runs it: import (JSON-LD and CSV), export, trace, balance, and bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flow"))

from flow_chain import chain

from reetrace.container import build_container
from support.backends import make_settings
from support.cli import CommandLine
from support.travel_world import build_world


class Cli(CommandLine):
    group = "flow"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    container = build_container(make_settings(tmp_path / "home", None))
    try:
        build_world(container)
    finally:
        container.close()
    return Cli(tmp_path / "home")


def write_doc(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                             {"reetrace": "https://reetrace.org/voc/flow/"}],
                                "type": "EPCISDocument", "schemaVersion": "2.0",
                                "creationDate": "2026-03-31T00:00:00Z", "epcisBody": {"eventList": events}}))
    return path


def test_import_export_trace_balance(cli: Cli, tmp_path: Path) -> None:
    doc = write_doc(tmp_path / "flows.jsonld", chain())
    report = cli.json("import", str(doc), "--tenant", "group-north", "--enterprise", "ENT-N1")
    assert (report["stored"], report["duplicates"]) == (7, 0)
    again = cli.json("import", str(doc), "--tenant", "group-north", "--enterprise", "ENT-N1")
    assert (again["stored"], again["duplicates"]) == (0, 7)
    out = tmp_path / "export.jsonld"
    cli("export", "-o", str(out))
    assert json.loads(out.read_text())["epcisBody"]["eventList"] == chain()
    back = cli.json("trace", "MAG-1", "--back")
    assert {s["lot_id"]: round(s["share"], 6) for s in back} == {"urn:reetrace:lot:CONC-A": 0.6,
                                                                 "urn:reetrace:lot:CONC-B": 0.4}
    assert "60.00%" in cli("trace", "MAG-1", "--back").stdout
    forward = cli("trace", "CONC-A", "--forward").stdout
    assert "BUYER-X" in forward and "BUYER-Z" in forward and "not shipped yet: DY-1" in forward
    balance = cli.json("balance", "--enterprise", "ENT-N1", "--month", "2026-03")
    assert {(b["element"], b["transformations"]) for b in balance} == {("Nd", 3), ("Dy", 2)}


def test_bad_input_exits_2_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    before = cli.state()
    bad = chain()
    bad[2]["inputQuantityList"][0]["uom"] = "MTR"
    result = cli("import", str(write_doc(tmp_path / "bad.jsonld", bad)), "--tenant", "group-north",
                 "--enterprise", "ENT-N1", code=2)
    assert "error[unit_not_mass]" in result.stderr and "eventList[2].inputQuantityList[0].uom" in result.stderr
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text("event,kind,event_time,lot,quantity,colour\nE1,create,2026-03-01T08:00:00+08:00,L,1,red\n")
    assert "unknown column(s) colour" in cli("import", str(csv_file), "--tenant", "group-north", "--enterprise",
                                             "ENT-N1", code=2).stderr
    assert "error[unknown_lot]" in cli("trace", "NOPE", "--back", code=2).stderr
    assert "--back" in cli("trace", "X", code=2).stderr
    assert "error[bad_month]" in cli("balance", "--month", "2026-13", code=2).stderr
    assert cli.state() == before
