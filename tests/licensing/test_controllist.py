"""The control list as data: the shipped list, its dates as of any day, and malformed lists named precisely."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reetrace.domains.licensing.controllist import DEFAULT_LIST, ELEMENTS, ControlList
from reetrace.errors import Error

CL = ControlList.default()

NO18, NO56, NO57 = "MOFCOM-GAC-2025-18", "MOFCOM-GAC-2025-56", "MOFCOM-GAC-2025-57"
NO61, NO62, NO70 = "MOFCOM-2025-61", "MOFCOM-2025-62", "MOFCOM-GAC-2025-70"


def test_the_shipped_list_has_every_item_of_nos_18_and_57() -> None:
    items = {r.id: r.element for r in CL.rules_of("item")}
    assert items == {"1C902": "Sm", "1C903": "Gd", "1C904": "Tb", "1C905": "Dy", "1C906": "Lu", "1C907": "Sc",
                     "1C908": "Y", "1C909": "Ho", "1C910": "Er", "1C911": "Tm", "1C912": "Eu", "1C913": "Yb"}
    assert {r.id for r in CL.rules_of("equipment")} == {"2B902"}
    assert {r.id for r in CL.rules_of("technology")} == {"RE-TECH"}
    assert {r.id for r in CL.rules_of("re-export")} == {"61-P3", "61-DM", "61-FDP"}
    assert {e.id for e in CL.exclusions} == {"deep-motor", "deep-sensor", "deep-catalyst-phosphor", "deep-consumer"}


def test_every_rule_cites_its_source_and_no_18_has_no_threshold() -> None:
    for rule in CL.rules:
        assert rule.citation and rule.title, rule.id
        assert "No. " + CL.announcement(rule.announcement).id.rsplit("-", 1)[1] in rule.citation, rule.id
    for rule in CL.rules_of("item"):
        assert rule.min_mass_percent is None, rule.id
        assert rule.hs_reference, rule.id
    for ann in CL.announcements:
        assert ann.citation and ann.urls, ann.id
    assert CL.rule("1C904").magnets[0].requires == ("Nd", "Fe", "B", "Tb")
    assert CL.rule("1C902").magnets[0].requires == ("Sm", "Co")
    assert CL.rule("61-DM").value_threshold_percent == 0.1
    assert len(CL.digest) == 64


def test_the_no_70_suspension_covers_56_57_61_62_but_not_18() -> None:
    (no70,) = CL.suspensions
    assert no70.announcement == NO70
    assert (no70.start, no70.until) == (date(2025, 11, 7), date(2026, 11, 10))
    assert set(no70.suspends) == {NO56, NO57, NO61, NO62}


# rule, day -> state: both sides of every effective date and of both ends of the suspension
BOUNDARIES: list[tuple[str, date, str]] = [
    ("1C904", date(2025, 4, 3), "not_yet_in_force"),
    ("1C904", date(2025, 4, 4), "in_force"),
    ("1C904", date(2025, 11, 7), "in_force"),  # No. 70 does not touch No. 18
    ("1C904", date(2026, 11, 11), "in_force"),
    ("1C909", date(2025, 10, 9), "not_yet_in_force"),  # issued, not yet effective
    ("1C909", date(2025, 11, 6), "not_yet_in_force"),
    ("1C909", date(2025, 11, 7), "not_yet_in_force"),  # suspended a day before it took effect: still "not yet"
    ("1C909", date(2025, 11, 8), "suspended"),
    ("1C909", date(2026, 11, 10), "suspended"),
    ("1C909", date(2026, 11, 11), "in_force"),
    ("2B902", date(2025, 11, 7), "not_yet_in_force"),
    ("2B902", date(2025, 11, 8), "suspended"),
    ("2B902", date(2026, 11, 11), "in_force"),
    ("RE-TECH", date(2025, 10, 8), "not_yet_in_force"),
    ("RE-TECH", date(2025, 10, 9), "in_force"),
    ("RE-TECH", date(2025, 11, 6), "in_force"),
    ("RE-TECH", date(2025, 11, 7), "suspended"),
    ("RE-TECH", date(2026, 11, 10), "suspended"),
    ("RE-TECH", date(2026, 11, 11), "in_force"),
    ("61-P3", date(2025, 10, 9), "in_force"),
    ("61-P3", date(2025, 11, 7), "suspended"),
    ("61-DM", date(2025, 11, 30), "not_yet_in_force"),
    ("61-DM", date(2025, 12, 1), "suspended"),
    ("61-DM", date(2026, 11, 10), "suspended"),
    ("61-DM", date(2026, 11, 11), "in_force"),
    ("61-FDP", date(2025, 12, 1), "suspended"),
]


@pytest.mark.parametrize(("rule_id", "day", "state"), BOUNDARIES)
def test_rule_status_on_either_side_of_each_boundary(rule_id: str, day: date, state: str) -> None:
    status = CL.status(CL.rule(rule_id), day)
    assert status.state == state, status.reason
    assert rule_id in status.reason
    if state == "suspended":
        assert status.suspension is not None and "No. 70" in status.reason and "2026-11-10" in status.reason


def test_in_force_after_a_lapsed_suspension_says_again_since() -> None:
    status = CL.status(CL.rule("1C909"), date(2026, 11, 20))
    assert status.reason == "1C909 (No. 57) is in force again since 2026-11-11"
    assert [s.id for s in CL.lapsed_suspensions(CL.rule("1C909"), date(2026, 11, 20))] == ["No70"]
    assert CL.lapsed_suspensions(CL.rule("1C909"), date(2026, 11, 10)) == ()


def test_elements_are_the_118_symbols() -> None:
    assert len(ELEMENTS) == 118 == len(set(ELEMENTS))
    assert {"Tb", "Dy", "Og", "Nd"} <= set(ELEMENTS)


# --- malformed lists -------------------------------------------------------------------------------------------

BASE = """
version = "t1"
checked = 2025-11-23
[[announcements]]
id = "A-18"
title = "a"
issued = 2025-04-04
effective = 2025-04-04
citation = "c"
[[announcements]]
id = "A-70"
title = "s"
issued = 2025-11-07
effective = 2025-11-07
citation = "c"
[[suspensions]]
id = "S"
announcement = "A-70"
start = 2025-11-07
until = 2026-11-10
suspends = ["A-18"]
citation = "c"
[[rules]]
id = "1C904"
announcement = "A-18"
kind = "item"
title = "Tb"
element = "Tb"
forms = ["metal", "oxide"]
hs_reference = ["2846901993"]
citation = "c"
[[exclusions]]
id = "x"
title = "x"
applies_to = ["A-18"]
forms = ["article"]
keywords = ["motor"]
guidance = "g"
citation = "c"
"""


def test_the_minimal_list_parses() -> None:
    cl = ControlList.parse(BASE, "mini.toml")
    assert [r.id for r in cl.rules] == ["1C904"]
    assert cl.status(cl.rule("1C904"), date(2026, 1, 1)).state == "suspended"


BAD: dict[str, tuple[str, str, str]] = {
    # case: (replace this, with this, expected location + message fragment)
    "unknown field in a rule": ('title = "Tb"', 'title = "Tb"\nthreshold = 0', "rule 1C904: threshold: unknown field"),
    "unknown top-level table": ('version = "t1"', 'version = "t1"\nextra = 1', "top level: extra: unknown field"),
    "duplicate rule id": ("[[exclusions]]", '[[rules]]\nid = "1C904"\nannouncement = "A-18"\nkind = "item"\n'
                          'title = "t"\nelement = "Dy"\nforms = ["metal"]\ncitation = "c"\n[[exclusions]]',
                          "rule 1C904: duplicate rule id '1C904'"),
    "duplicate announcement id": ('id = "A-70"', 'id = "A-18"', "announcement A-18: duplicate announcement id"),
    "effective before issued": ("effective = 2025-04-04", "effective = 2025-04-03",
                                "announcement A-18: effective: 2025-04-03 is before the issue date 2025-04-04"),
    "suspension ends before it starts": ("until = 2026-11-10", "until = 2025-11-06",
                                         "suspension S: until: 2025-11-06 is before the start 2025-11-07"),
    "rule effective before its announcement": ('kind = "item"', 'kind = "item"\neffective = 2025-01-01',
                                               "rule 1C904: effective: 2025-01-01 is before A-18 was issued"),
    "unknown announcement in a rule": ('announcement = "A-18"', 'announcement = "A-99"',
                                       "rule 1C904: announcement: unknown announcement 'A-99'"),
    "unknown suspended announcement": ('suspends = ["A-18"]', 'suspends = ["A-55"]',
                                       "suspension S: unknown announcement 'A-55'"),
    "unknown element": ('element = "Tb"', 'element = "Tx"', "rule 1C904: element: unknown element symbol 'Tx'"),
    "unknown form": ('forms = ["metal", "oxide"]', 'forms = ["metal", "powder"]', "rule 1C904: forms: unknown form"),
    "bad HS reference": ('hs_reference = ["2846901993"]', 'hs_reference = ["28469"]',
                         "rule 1C904: hs_reference: HS code '28469' has 5 digits"),
    "unknown kind": ('kind = "item"', 'kind = "service"', "rule 1C904: kind: 'service' is not one of"),
    "date as text": ("checked = 2025-11-23", 'checked = "2025-11-23"', "top level: checked: must be a date"),
    "missing citation": ('forms = ["metal", "oxide"]\nhs_reference = ["2846901993"]\ncitation = "c"',
                         'forms = ["metal", "oxide"]\nhs_reference = ["2846901993"]', "rule 1C904: citation: missing"),
    "item without element": ('element = "Tb"\n', "", "rule 1C904: element: an item rule names its element"),
    "exclusion of an unknown announcement": ('applies_to = ["A-18"]', 'applies_to = ["A-19"]',
                                             "exclusion x: applies_to: unknown announcement 'A-19'"),
    "threshold out of range": ('title = "Tb"', 'title = "Tb"\nmin_mass_percent = 120',
                               "rule 1C904: min_mass_percent: must be a percentage 0..100"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_lists_are_refused_naming_file_rule_and_field(case: str) -> None:
    old, new, expected = BAD[case]
    assert old in BASE, case
    with pytest.raises(Error) as caught:
        ControlList.parse(BASE.replace(old, new, 1), "bad.toml")
    err = caught.value
    assert err.code == "bad_control_list"
    locations = [f"{d.location}: {d.message}" for d in err.details]
    assert any(expected in loc for loc in locations), locations
    assert all(d.location.startswith("bad.toml: ") for d in err.details)
    assert str(err).startswith("invalid control list bad.toml: ")


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace('element = "Tb"', 'element = "Tx"').replace("until = 2026-11-10", "until = 2025-01-01")
    with pytest.raises(Error) as caught:
        ControlList.parse(text, "bad.toml")
    assert len(caught.value.details) == 2
    assert "(and 1 more)" in str(caught.value)


def test_not_toml_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(Error, match="not valid TOML") as caught:
        ControlList.parse("rules = [", "x.toml")
    assert caught.value.code == "bad_control_list"
    with pytest.raises(Error, match="cannot read the control list"):
        ControlList.load(tmp_path / "missing.toml")
    path = tmp_path / "list.toml"
    path.write_text(BASE, encoding="utf-8")
    assert ControlList.load(path).source == str(path)


def test_the_shipped_file_is_package_data() -> None:
    from importlib import resources

    text = resources.files("reetrace.domains.licensing").joinpath(DEFAULT_LIST).read_text(encoding="utf-8")
    assert ControlList.parse(text).digest == CL.digest
