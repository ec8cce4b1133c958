"""`reetrace lists ...` as a user runs it: update from a folder, show, screen with explanations; bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.cli import CommandLine


class Cli(CommandLine):
    group = "lists"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


@pytest.fixture
def folder(shared_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "lists"
    for name in ("cn_mofcom_mfa_sanctions", "us_bis_mieu", "un_sc_consolidated"):
        shutil.copytree(shared_dir / "lists" / name, target / name)
    return target


def test_update_show_screen(cli: Cli, folder: Path) -> None:
    report = cli.json("update", str(folder))
    by_id = {r["list_id"]: r for r in report["lists"]}
    assert by_id["cn_mofcom_control"]["parties"] == 153 and by_id["un_sc"]["parties"] == 1003
    assert {r["status"] for r in report["lists"]} == {"new"}
    table = cli("update", str(folder)).stdout
    assert "unchanged" in table and "cn_mofcom_uel" in table
    shown = cli.json("show")
    assert {r["list_id"] for r in shown["lists"]} == set(by_id) and all(r["version"] == 1 for r in shown["lists"])
    assert "6 list(s)" in cli("show").stdout
    hits = cli.json("screen", "香港民主委员会")["hits"]
    assert hits[0]["name"] == "Hong Kong Democracy Council" and hits[0]["list_id"] == "cn_countermeasures"
    pinyin = cli.json("screen", "Xianggang Minzhu Weiyuanhui", "--list", "cn_countermeasures")["hits"][0]
    assert pinyin["transform"] == "pinyin" and pinyin["matched_name"] == "香港民主委员会"
    assert pinyin["matched_tokens"] and pinyin["threshold"] > 0
    text = cli("screen", "Directorate of Militery Intelligence", "--threshold", "0.7").stdout
    assert "us_bis_mieu" in text and "militery~military" in text and "fuzzy" in text
    assert cli.json("screen", "ABC")["hits"] == []


def test_bad_input(cli: Cli, folder: Path, tmp_path: Path) -> None:
    missing = cli("update", str(tmp_path / "nowhere"), code=2)
    assert "bad_list_folder" in missing.stderr
    assert "no_lists" in cli("screen", "Anyone", code=2).stderr  # nothing loaded yet
    bad = folder / "us_bis_mieu/opensanctions/mieu.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines[4] = '"unterminated'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("update", str(folder), code=2)
    assert "bad_list_file" in result.stderr and "mieu.csv" in result.stderr and "row 5" in result.stderr
    assert cli.json("show")["lists"] == []  # nothing stored, not even the good lists
    good = folder / "un_sc_consolidated"
    cli("update", str(good))
    assert "unknown_list" in cli("screen", "X Y", "--list", "nope", code=2).stderr
    assert "bad_threshold" in cli("screen", "X Y", "--threshold", "1.5", code=2).stderr
    assert "bad_name" in cli("screen", "  ", code=2).stderr
    too_long = cli("screen", "洛克希德" * 76, code=2).stderr  # 304 characters: a text, not a name
    assert "bad_name" in too_long and "304 characters" in too_long
    assert cli.json("screen", "洛克希德" * 75)["hits"] == []  # 300 is still a name
