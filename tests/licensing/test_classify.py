"""Classification as of a date: a decision table over every rule, the date boundaries, exclusions, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from reetrace.domains.licensing import ControlList, classify, parse_item
from reetrace.domains.licensing.classify import ELEMENT_NAMES
from reetrace.errors import Error

CL = ControlList.default()
D_18 = date(2025, 6, 1)  # only No. 18 in force
BEFORE_57 = date(2025, 10, 20)  # No. 62 and 61-P3 in force, No. 57 not yet
SUSPENDED = date(2025, 12, 1)
SUSPENSION_LAST_DAY = date(2026, 11, 10)
AFTER = date(2026, 11, 20)

NDFEB = {"Nd": 29.0, "Pr": 1.0, "Fe": 67.0, "B": 1.0}


def item(form: str, description: str = "", hs: str | None = None, **composition: float) -> dict[str, Any]:
    return {"form": form, "description": description, "hs_code": hs, "composition": composition}


# name -> (item, day, verdict, {rule: state} of the matches)
TABLE: dict[str, tuple[dict[str, Any], date, str, dict[str, str]]] = {
    # No. 18: every item, in force from 2025-04-04, never suspended
    "Sm metal": (item("metal", Sm=99.9), D_18, "controlled", {"1C902": "in_force"}),
    "Sm-Co magnet": (item("magnet", Sm=25.0, Co=50.0, Fe=20.0), D_18, "controlled", {"1C902": "in_force"}),
    "Sm-Co alloy": (item("alloy", Sm=35.0, Co=65.0), SUSPENDED, "controlled", {"1C902": "in_force"}),
    "Gd oxide": (item("oxide", Gd=86.0, O=14.0), D_18, "controlled", {"1C903": "in_force"}),
    "Gd-Mg alloy": (item("alloy", Gd=20.0, Mg=80.0), AFTER, "controlled", {"1C903": "in_force"}),
    "Tb NdFeB magnet 0.3 %": (item("magnet", Tb=0.3, **NDFEB), SUSPENDED, "controlled", {"1C904": "in_force"}),
    "Tb compound": (item("compound", Tb=50.0, F=30.0), D_18, "controlled", {"1C904": "in_force"}),
    "Dy NdFeB magnet": (item("magnet", Dy=4.0, **{**NDFEB, "Fe": 63.0}), D_18, "controlled", {"1C905": "in_force"}),
    "Tb+Dy NdFeB magnet": (item("magnet", Tb=0.5, Dy=2.0, **{**NDFEB, "Fe": 64.5}), D_18, "controlled",
                           {"1C904": "in_force", "1C905": "in_force"}),
    "Dy-Fe alloy": (item("alloy", Dy=80.0, Fe=20.0), D_18, "controlled", {"1C905": "in_force"}),
    "Lu target": (item("target", Lu=99.0), D_18, "controlled", {"1C906": "in_force"}),
    "Sc-Al alloy 2 %": (item("alloy", Sc=2.0, Al=98.0), D_18, "controlled", {"1C907": "in_force"}),
    "Y oxide mixture, traces": (item("mixture", Y=0.01, La=40.0, Ce=30.0, O=20.0), D_18, "controlled",
                                {"1C908": "in_force"}),
    "No. 18 before it took effect": (item("oxide", Tb=85.0, O=15.0), date(2025, 4, 3), "not_controlled",
                                     {"1C904": "not_yet_in_force"}),
    "No. 18 on its first day": (item("oxide", Tb=85.0, O=15.0), date(2025, 4, 4), "controlled",
                                {"1C904": "in_force"}),
    # what No. 18 does not list
    "plain NdFeB magnet (no Tb/Dy)": (item("magnet", **NDFEB), D_18, "not_controlled", {}),
    "La-Ce mischmetal": (item("metal", La=60.0, Ce=40.0), AFTER, "not_controlled", {}),
    "Gd magnet: Gd lists no magnets": (item("magnet", Gd=5.0, Fe=95.0), D_18, "not_controlled", {}),
    "Tb magnet that is not NdFeB": (item("magnet", Tb=10.0, Co=90.0), D_18, "uncertain", {"1C904": "in_force"}),
    "Sc alloy not listed": (item("alloy", Sc=2.0, Mg=98.0), D_18, "uncertain", {"1C907": "in_force"}),
    # No. 57: not yet, suspended, suspended on the last day, in force again
    "Ho oxide before No. 57": (item("oxide", Ho=87.0, O=13.0), BEFORE_57, "not_controlled",
                               {"1C909": "not_yet_in_force"}),
    "Ho oxide on 2025-11-08": (item("oxide", Ho=87.0, O=13.0), date(2025, 11, 8), "not_controlled",
                               {"1C909": "suspended"}),
    "Ho oxide suspended": (item("oxide", Ho=87.0, O=13.0), SUSPENDED, "not_controlled", {"1C909": "suspended"}),
    "Ho oxide last suspended day": (item("oxide", Ho=87.0, O=13.0), SUSPENSION_LAST_DAY, "not_controlled",
                                    {"1C909": "suspended"}),
    "Ho oxide after the suspension": (item("oxide", Ho=87.0, O=13.0), AFTER, "controlled", {"1C909": "in_force"}),
    "Ho-Fe alloy after": (item("alloy", Ho=70.0, Fe=30.0), AFTER, "controlled", {"1C909": "in_force"}),
    "Er optical fibre after": (item("optical_fibre", Er=0.1, Si=46.0, O=53.0), AFTER, "controlled",
                               {"1C910": "in_force"}),
    "Tm luminescent after": (item("luminescent", Tm=1.0, Y=50.0, O=30.0), AFTER, "controlled",
                             {"1C911": "in_force"}),
    "Eu phosphor suspended": (item("luminescent", Eu=2.0, Ba=30.0, Mg=10.0, Al=30.0, O=28.0), SUSPENDED,
                              "not_controlled", {"1C912": "suspended"}),
    "Yb metal after": (item("metal", Yb=99.5), AFTER, "controlled", {"1C913": "in_force"}),
    # No. 56 equipment and No. 62 technology
    "extraction equipment after": (item("equipment", "centrifugal extractor line"), AFTER, "uncertain",
                                   {"2B902": "in_force"}),
    "kiln suspended": (item("equipment", "rotary roasting kiln"), SUSPENDED, "not_controlled",
                       {"2B902": "suspended"}),
    "pump (no 2B902 word)": (item("equipment", "water pump"), AFTER, "not_controlled", {}),
    "separation technology in Oct 2025": (item("technology", "solvent extraction separation process know-how"),
                                          BEFORE_57, "controlled", {"RE-TECH": "in_force"}),
    "separation technology suspended": (item("technology", "separation process"), SUSPENDED, "not_controlled",
                                        {"RE-TECH": "suspended"}),
    # exclusions: deep-processed articles are generally outside No. 18
    "motor with embedded magnets": (item("article", "EV traction motor rotor with embedded magnets", Dy=0.2,
                                         Nd=3.0, Fe=60.0, B=0.1), D_18, "not_controlled", {"1C905": "excluded"}),
    "moulded sensor": (item("article", "injection-moulded speed sensor", Tb=0.01), D_18, "not_controlled",
                       {"1C904": "excluded"}),
    "phone case magnets (Chinese)": (item("article", "手机磁吸保护壳", Sm=0.1, Co=0.2), D_18, "not_controlled",
                                     {"1C902": "excluded"}),
    "magnet described as a rotor": (item("magnet", "rotor magnet segments", Tb=0.3, **NDFEB), D_18,
                                    "not_controlled", {"1C904": "excluded"}),
    "Y catalyst powder": (item("compound", "calcined catalyst powder", Y=3.0, Al=40.0, O=50.0), D_18,
                          "not_controlled", {"1C908": "excluded"}),
    "Eu phosphor after: No. 57 not excluded": (item("luminescent", "red phosphor", Eu=3.0, Y=60.0, O=30.0), AFTER,
                                               "controlled", {"1C912": "in_force"}),
    "an article that is not described": (item("article", "assembly", Tb=0.2, Fe=90.0), D_18, "uncertain",
                                         {"1C904": "in_force"}),
    # HS codes are references: never decisive alone
    "HS only, Sm oxide line": (item("oxide", hs="2846901940"), D_18, "uncertain", {"1C902": "in_force"}),
    "HS only, Ho line while suspended": (item("oxide", hs="28053019"), SUSPENDED, "uncertain",
                                         {"1C909": "suspended", "1C910": "suspended", "1C911": "suspended",
                                          "1C912": "suspended", "1C913": "suspended", "1C902": "in_force",
                                          "1C903": "in_force", "1C906": "in_force"}),
    "HS of a controlled line but no element": (item("oxide", hs="2846901940", Ce=80.0, O=20.0), D_18,
                                               "not_controlled", {}),
    "description only": (item("oxide", "terbium oxide 99.99 %"), D_18, "uncertain", {"1C904": "in_force"}),
    "description only, Chinese": (item("oxide", "氧化镝"), D_18, "uncertain", {"1C905": "in_force"}),
    "nothing known": (item("oxide", "rare earth oxide"), D_18, "uncertain", {}),
}


@pytest.mark.parametrize("case", list(TABLE))
def test_decision_table(case: str) -> None:
    data, day, verdict, states = TABLE[case]
    result = classify(parse_item(data), day)
    assert result.verdict == verdict, (result.steps, result.uncertain)
    assert {m.rule_id: m.state for m in result.matches} == states
    assert result.as_of == day
    for m in result.matches:
        assert m.citation == CL.rule(m.rule_id).citation
        assert any(m.reason in step for step in result.steps)
    if verdict == "controlled":
        assert result.controlling and all(m.certainty == "certain" for m in result.controlling)
    if verdict == "uncertain":
        assert result.uncertain


def test_every_rule_is_covered_by_the_table() -> None:
    covered = {rule for _, _, _, states in TABLE.values() for rule in states}
    classified = {r.id for r in CL.rules if r.kind != "re-export"}
    assert classified <= covered


def test_the_terbium_magnet_explains_itself() -> None:
    result = classify(parse_item(item("magnet", Tb=0.3, **NDFEB)), SUSPENDED)
    (match,) = result.controlling
    assert match.reason == ("terbium 0.3 % by mass in a Tb-containing NdFeB permanent-magnet material: 1C904 covers "
                            "Tb-containing NdFeB permanent-magnet materials with no threshold.")
    assert match.announcement == "No. 18" and "1C904" in match.citation
    assert "1C904 (No. 18) is in force since 2025-04-04" in match.status


def test_holmium_oxide_on_three_dates_says_why() -> None:
    ho = parse_item(item("oxide", Ho=87.0, O=13.0))
    before, during, after = (classify(ho, d) for d in (BEFORE_57, SUSPENDED, AFTER))
    assert "takes effect on 2025-11-08" in before.steps[-1]
    assert "suspended by No. 70 from 2025-11-07 until 2026-11-10" in during.steps[-1]
    assert "in force again since 2026-11-11" in after.steps[-1]
    assert any("ended on 2026-11-10" in u and "no extension" in u for u in after.uncertain)
    assert not any("ended" in u for u in during.uncertain)


def test_the_motor_says_generally_outside_and_to_confirm() -> None:
    result = classify(parse_item(item("article", "finished motor with an embedded magnet", Dy=0.1)), D_18)
    assert result.exclusions == ("deep-motor",)
    assert any("generally outside No. 18" in u and "Confirm" in u for u in result.uncertain)


def test_hs_only_says_composition_needed() -> None:
    result = classify(parse_item(item("oxide", hs="2846.90.19.40")), D_18)
    assert any("HS code is only a reference; composition needed" in m.reason for m in result.matches)
    assert any(u.startswith("Composition needed") for u in result.uncertain)


def test_unverified_rules_are_flagged() -> None:
    result = classify(parse_item(item("oxide", Dy=85.0, O=15.0)), D_18)
    assert result.verdict == "controlled"
    assert any("1C905 is reconstructed from partial sources" in u for u in result.uncertain)


def test_value_is_reported_and_not_a_threshold() -> None:
    data = {**item("metal", Tb=99.9), "value": "1200.5", "currency": "EUR"}
    result = classify(parse_item(data), D_18)
    assert result.verdict == "controlled"
    assert any("Value 1,200.50 EUR" in s and "no value threshold" in s for s in result.steps)


def test_json_form_and_the_list_caveat() -> None:
    result = classify(parse_item(item("metal", Sm=99.0)), D_18)
    body = result.as_json()
    assert body["verdict"] == "controlled" and body["matches"][0]["rule"] == "1C902"
    assert body["control_list"]["digest"] == CL.digest
    assert body["caveat"] == ""
    assert "checked against its sources on 2025-11-23" in classify(parse_item(item("metal", Sm=99.0)), AFTER).caveat


def test_element_names_cover_every_item_rule() -> None:
    assert {r.element for r in CL.rules_of("item")} <= set(ELEMENT_NAMES)


# --- bad input -------------------------------------------------------------------------------------------------

BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "sum over 100 %": (item("oxide", Ho=87.0, O=14.0), "composition", "sum to 101 %"),
    "negative fraction": (item("oxide", Ho=-1.0), "composition", "Ho = -1.0: a mass fraction is a percentage"),
    "fraction over 100": (item("metal", Tb=100.1), "composition", "a mass fraction is a percentage from 0 to 100"),
    "unknown element": (item("oxide", Xx=1.0), "composition", "unknown element symbol 'Xx'"),
    "same element twice": ({"form": "oxide", "composition": {"Tb": 1.0, "tb": 2.0}}, "composition",
                           "element Tb is given twice"),
    "HS too short": (item("oxide", hs="28469"), "hs_code", "has 5 digits"),
    "HS with letters": (item("oxide", hs="2846AB"), "hs_code", "only digits"),
    "HS chapter 77": (item("oxide", hs="770000"), "hs_code", "chapter 77"),
    "negative value": ({**item("metal", Tb=1.0), "value": "-5"}, "value", "greater than or equal to 0"),
    "value not a number": ({**item("metal"), "value": "lots"}, "value", "decimal"),
    "unknown form": (item("powder"), "form", "unknown form 'powder'"),
    "no form": ({"description": "x"}, "form", "Field required"),
    "unknown field": ({**item("metal"), "purity": 99}, "purity", "Extra inputs are not permitted"),
    "bad currency": ({**item("metal"), "currency": "usd"}, "currency", "pattern"),
    "fraction not a number": ({"form": "oxide", "composition": {"Tb": "a lot"}}, "composition.Tb", "number"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_the_field(case: str) -> None:
    data, where, message = BAD[case]
    with pytest.raises(Error) as caught:
        parse_item(data)
    err = caught.value
    assert err.code == "bad_item" and err.http_status == 400
    assert any(d.location == where and message in d.message for d in err.details), err.details
    assert str(err).startswith("invalid item: ")


def test_the_tolerance_allows_rounding() -> None:
    assert parse_item(item("oxide", Ho=87.4, O=13.0)).composition == {"Ho": 87.4, "O": 13.0}
    assert parse_item({"form": "Magnet", "composition": {" tb ": 0.3}}).composition == {"Tb": 0.3}
