"""`reetrace flow quota|report|reports-due|certificate` and `reetrace verify-certificate` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flow"))

from flow_chain import chain, create

from reetrace.container import build_container
from support.backends import make_settings
from support.cli import CommandLine
from support.travel_world import build_world


class Cli(CommandLine):
    """Top-level commands: ``flow ...`` and ``verify-certificate``."""


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


def _import(cli: Cli, tmp_path: Path, events: list[dict[str, Any]], name: str = "flows.jsonld") -> Any:
    return cli.json("flow", "import", str(write_doc(tmp_path / name, events)), "--tenant", "group-north",
                    "--enterprise", "ENT-N1")


def test_quota_set_show_and_alerts_on_import(cli: Cli, tmp_path: Path) -> None:
    set_ = cli.json("flow", "quota", "set", "ENT-N1", "--year", "2026", "--kind", "mining", "--tonnes", "0.5",
                    "--tenant", "mofcom")
    assert set_["alerts"] == [] and set_["log_index"] > 0
    report = _import(cli, tmp_path, chain())  # 1000 kg of concentrate at 50 % REO: 0.5 t mined
    assert len(report["quota_alerts"]) == 2  # 90 % and 100 %
    more = _import(cli, tmp_path, [create("CONC-C", 100, "concentrate", 0.5, Nd=1.0)], "more.jsonld")
    assert len(more["quota_alerts"]) == 1  # beyond the quota
    [status] = cli.json("flow", "quota", "show", "ENT-N1", "--year", "2026")
    assert (status["quota_t"], round(status["used_t"], 6), round(status["over_t"], 6)) == (0.5, 0.55, 0.05)
    shown = cli("flow", "quota", "show", "ENT-N1", "--year", "2026").stdout
    assert "110.0%" in shown and "CONC-C" in shown
    assert "error[invalid_quota]" in cli("flow", "quota", "set", "ENT-N1", "--year", "2026", "--kind", "metal",
                                         "--tonnes", "1", "--tenant", "mofcom", code=2).stderr
    bad = cli("flow", "quota", "set", "ENT-N1", "--year", "2026", "--kind", "mining", "--tonnes", "-1",
              "--tenant", "mofcom", code=2).stderr
    assert "--tonnes" in bad
    assert "error[not_found]" in cli("flow", "quota", "set", "ENT-N1", "--year", "2026", "--kind", "mining",
                                     "--tonnes", "1", "--tenant", "group-south", code=2).stderr


def test_report_csv_xlsx_submit_and_reports_due(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, chain())
    out = tmp_path / "r.csv"
    assert "12 row(s)" in cli("flow", "report", "ENT-N1", "--month", "2026-03", "-o", str(out)).stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["counterparty"] for r in rows if r["direction"] == "shipped"} == {
        "urn:reetrace:party:BUYER-X", "urn:reetrace:party:BUYER-Z"}
    xlsx = tmp_path / "r.xlsx"
    cli("flow", "report", "ENT-N1", "--month", "2026-03", "-o", str(xlsx))
    assert load_workbook(xlsx).active.max_row == 14
    due = cli.json("flow", "reports-due", "--today", "2026-04-11")
    assert [(r["enterprise_id"], r["month"], r["late"]) for r in due["reports"]] == [("ENT-N1", "2026-03", True)]
    assert len(due["alerts"]) == 1
    assert cli.json("flow", "reports-due", "--today", "2026-04-12")["alerts"] == []
    submitted = cli("flow", "report", "ENT-N1", "--month", "2026-03", "--csv", "-o", str(tmp_path / "s.csv"),
                    "--submit", "--tenant", "group-north", "--today", "2026-04-13").stdout
    assert "due 2026-04-10, late" in submitted
    assert cli.json("flow", "reports-due", "--today", "2026-04-13")["reports"] == []
    before = cli.state()
    assert "error[bad_month]" in cli("flow", "report", "ENT-N1", "--month", "2026-3", "-o", str(out), code=2).stderr
    assert "error[two_formats]" in cli("flow", "report", "ENT-N1", "--month", "2026-03", "--csv", "--xlsx", "-o",
                                       str(out), code=2).stderr
    assert "--tenant" in cli("flow", "report", "ENT-N1", "--month", "2026-03", "-o", str(out), "--submit",
                             code=2).stderr
    assert "error[conflict]" in cli("flow", "report", "ENT-N1", "--month", "2026-03", "-o", str(out), "--submit",
                                    "--tenant", "group-north", "--today", "2026-04-14", code=2).stderr
    assert "error[bad_date]" in cli("flow", "reports-due", "--today", "soon", code=2).stderr
    assert cli.state() == before


def test_certificate_json_pdf_and_offline_verification(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, chain())
    cert, pdf = tmp_path / "mag.json", tmp_path / "mag.pdf"
    made = cli("flow", "certificate", "MAG-1", "-o", str(cert), "--pdf", str(pdf)).stdout
    assert "5 step(s)" in made and "mined: CN" in made
    assert pdf.read_bytes().startswith(b"%PDF-1.4")
    vkey = cli("log", "key").stdout.strip()
    key_file = tmp_path / "log.vkey"
    key_file.write_text(vkey + "\n")
    ok = cli("verify-certificate", str(cert), "--key", vkey).stdout
    assert "valid" in ok and "CONC-A" in ok and "60.00%" in ok
    verified = cli.json("verify-certificate", str(cert), "--key", str(key_file))
    assert verified["valid"] and verified["countries"]["mined"] == ["CN"]
    data = json.loads(cert.read_text())
    data["steps"][0]["country"] = "AU"
    cert.write_text(json.dumps(data))
    failed = cli("verify-certificate", str(cert), "--key", vkey, code=1).stderr
    assert "INVALID" in failed and "country" in failed and "'AU'" in failed
    assert cli.json("verify-certificate", str(cert), "--key", vkey, code=1)["code"] == "step_mismatch"
    assert "error[unreadable_file]" in cli("verify-certificate", str(tmp_path / "none.json"), "--key", vkey,
                                           code=2).stderr
    assert "bad_key" in cli("verify-certificate", str(cert), "--key", "not-a-key", code=1).stderr
    assert "error[unknown_lot]" in cli("flow", "certificate", "NOPE", "-o", str(cert), code=2).stderr
