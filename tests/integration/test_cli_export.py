"""`reetrace export ...` end to end, as a user runs it: a real process; nothing here touches the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.processes import reetrace


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_classify_a_terbium_magnet_as_json(home: Path) -> None:
    out = reetrace(home, "export", "classify", "--form", "magnet", "--description", "sintered NdFeB blocks",
                   "--hs", "8505111000", "--element", "Nd=29", "--element", "Fe=66", "--element", "B=1",
                   "--element", "Tb=0.3", "--value", "1200", "--as-of", "2025-12-01", "--json").stdout
    body = json.loads(out)
    assert body["verdict"] == "controlled"
    assert [m["rule"] for m in body["matches"]] == ["1C904"]
    assert "terbium 0.3 % by mass" in body["matches"][0]["reason"]
    assert body["as_of"] == "2025-12-01"


def test_classify_holmium_oxide_differs_by_date(home: Path) -> None:
    args = ("export", "classify", "--form", "oxide", "--element", "Ho=87", "--element", "O=13", "--as-of")
    before = reetrace(home, *args, "2025-10-20").stdout
    during = reetrace(home, *args, "2025-12-01").stdout
    after = reetrace(home, *args, "2026-11-20").stdout
    assert before.startswith("NOT CONTROLLED as of 2025-10-20") and "takes effect on 2025-11-08" in before
    assert during.startswith("NOT CONTROLLED as of 2025-12-01") and "suspended by No. 70" in during
    assert after.startswith("CONTROLLED as of 2026-11-20") and "To confirm:" in after and "1C909" in after


def test_classify_a_motor_is_generally_outside(home: Path) -> None:
    out = reetrace(home, "export", "classify", "--form", "article", "--description", "servo motor with embedded "
                   "magnets", "--element", "Dy=0.2", "--as-of", "2025-06-01").stdout
    assert out.startswith("NOT CONTROLLED")
    assert "generally outside No. 18" in out


def test_deminimis_in_force_and_suspended(home: Path) -> None:
    body = json.loads(reetrace(home, "export", "deminimis", "--controlled-value", "100", "--total-value", "100000",
                               "--as-of", "2026-11-11", "--json").stdout)
    assert body["outcome"] == "licence_required" and body["share_percent"] == "0.1000"
    text = reetrace(home, "export", "deminimis", "--controlled-value", "100", "--total-value", "100000",
                    "--as-of", "2025-12-01").stdout
    assert text.startswith("RULE NOT IN FORCE as of 2025-12-01")
    assert "suspended by No. 70" in text and "= 0.1000 % of the value" in text


def test_rules_on_a_date(home: Path) -> None:
    body = json.loads(reetrace(home, "export", "rules", "--as-of", "2025-12-01", "--json").stdout)
    states = {r["rule"]: r["state"] for r in body["rules"]}
    assert states["1C904"] == "in_force" and states["1C909"] == "suspended" and states["RE-TECH"] == "suspended"
    only = json.loads(reetrace(home, "export", "rules", "--as-of", "2025-12-01", "--in-force", "--json").stdout)
    assert {r["rule"] for r in only["rules"]} == {"1C902", "1C903", "1C904", "1C905", "1C906", "1C907", "1C908"}
    table = reetrace(home, "export", "rules", "--as-of", "2026-11-11").stdout
    assert "1C913" in table and "suspended" not in table


def test_another_control_list_file(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "list.toml"
    bad.write_text('version = "x"\nchecked = 2025-01-01\n[[announcements]]\nid = "A"\n', encoding="utf-8")
    result = reetrace(home, "export", "rules", "--control-list", str(bad), code=2)
    assert result.stderr.startswith("error[bad_control_list]: invalid control list ")
    assert "announcement A: title: missing" in result.stderr
    assert result.stdout == ""


BAD = {
    "sum over 100 %": (["classify", "--form", "oxide", "--element", "Ho=87", "--element", "O=93"],
                       "error[bad_item]", "sum to 180 %"),
    "unknown element": (["classify", "--form", "oxide", "--element", "Qq=1"], "error[bad_item]",
                        "unknown element symbol 'Qq'"),
    "element without =": (["classify", "--form", "oxide", "--element", "Tb"], "error[bad_item]",
                          "write it as SYMBOL=PERCENT"),
    "HS of the wrong shape": (["classify", "--form", "oxide", "--hs", "2846"], "error[bad_item]",
                              "at hs_code: HS code '2846' has 4 digits"),
    "negative value": (["classify", "--form", "metal", "--value", "-3"], "error[bad_item]", "at value:"),
    "unknown form": (["classify", "--form", "powder"], "error[bad_item]", "unknown form 'powder'"),
    "bad date": (["classify", "--form", "metal", "--as-of", "2025-13-01"], "error[bad_date]", "--as-of"),
    "controlled over total": (["deminimis", "--controlled-value", "5", "--total-value", "4"],
                              "error[bad_reexport]", "more than the total value"),
    "zero total": (["deminimis", "--controlled-value", "0", "--total-value", "0"], "error[bad_reexport]",
                   "at total_value:"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2(home: Path, case: str) -> None:
    args, code, message = BAD[case]
    result = reetrace(home, "export", *args, code=2)
    assert result.stderr.startswith(code + ":"), result.stderr
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
