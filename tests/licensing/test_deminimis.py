"""The No. 61 re-export de minimis test: the 0.1 % boundary, the dates it applies on, and bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reetrace.domains.licensing import ControlList, deminimis, parse_reexport
from reetrace.errors import Error

IN_FORCE = date(2026, 11, 11)  # the day after No. 70's suspension ends


def values(controlled: str, total: str, currency: str = "USD") -> Any:
    return parse_reexport({"controlled_value": controlled, "total_value": total, "currency": currency})


# controlled, total, day -> outcome, share shown
TABLE: list[tuple[str, str, date, str, str]] = [
    ("100", "100000", IN_FORCE, "licence_required", "0.1000"),  # exactly 0.1 %: "at least" -> licence
    ("99.99", "100000", IN_FORCE, "below_threshold", "0.1000"),  # 0.09999 % shows as 0.1000 but is below
    ("99", "100000", IN_FORCE, "below_threshold", "0.0990"),
    ("0", "100000", IN_FORCE, "below_threshold", "0.0000"),
    ("5000", "10000", IN_FORCE, "licence_required", "50.0000"),
    ("10000", "10000", IN_FORCE, "licence_required", "100.0000"),
    ("5000", "10000", date(2025, 10, 20), "rule_not_in_force", "50.0000"),  # issued, 0.1 % rule from 2025-12-01
    ("5000", "10000", date(2025, 11, 30), "rule_not_in_force", "50.0000"),
    ("5000", "10000", date(2025, 12, 1), "rule_not_in_force", "50.0000"),  # suspended by No. 70
    ("5000", "10000", date(2026, 11, 10), "rule_not_in_force", "50.0000"),  # last suspended day
]


@pytest.mark.parametrize(("controlled", "total", "day", "outcome", "shown"), TABLE)
def test_decision_table(controlled: str, total: str, day: date, outcome: str, shown: str) -> None:
    result = deminimis(values(controlled, total), day)
    assert result.outcome == outcome
    assert result.share_percent == Decimal(shown)
    assert result.threshold_percent == Decimal("0.1")
    assert result.licence_required is (outcome == "licence_required")
    assert result.rule_id == "61-DM" and "No. 61" in result.citation


def test_the_computation_is_shown() -> None:
    result = deminimis(values("1200", "100000", "EUR"), IN_FORCE)
    assert result.steps[0] == ("China-origin controlled content 1,200.00 EUR / total value 100,000.00 EUR x 100 = "
                               "1.2000 % of the value.")
    assert result.steps[1].startswith("1.2000 % >= 0.1 %")
    assert "licence is needed" in result.steps[2]
    assert any("ended on 2026-11-10" in s for s in result.steps)


def test_when_suspended_it_says_so() -> None:
    result = deminimis(values("1200", "100000"), date(2025, 12, 1))
    assert "suspended by No. 70 from 2025-11-07 until 2026-11-10" in result.status
    assert any("does not apply" in s and "no licence follows" in s for s in result.steps)
    before = deminimis(values("1200", "100000"), date(2025, 11, 1))
    assert "takes effect on 2025-12-01" in before.status


def test_json_form() -> None:
    body = deminimis(values("100", "100000"), IN_FORCE).as_json()
    assert body["outcome"] == "licence_required" and body["licence_required"] is True
    assert body["share_percent"] == "0.1000" and body["rule"] == "61-DM"


def test_a_list_without_the_threshold_is_refused() -> None:
    from importlib import resources

    text = resources.files("reetrace.domains.licensing").joinpath("rules/control-list.toml").read_text("utf-8")
    assert "value_threshold_percent = 0.1\n" in text
    stripped = ControlList.parse(text.replace("value_threshold_percent = 0.1\n", ""), "edited.toml")
    with pytest.raises(Error, match="61-DM has no value_threshold_percent") as caught:
        deminimis(values("1", "10"), IN_FORCE, stripped)
    assert caught.value.code == "bad_control_list"


BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "negative controlled value": ({"controlled_value": "-1", "total_value": "10"}, "controlled_value",
                                  "greater than or equal to 0"),
    "zero total": ({"controlled_value": "0", "total_value": "0"}, "total_value", "greater than 0"),
    "controlled over total": ({"controlled_value": "11", "total_value": "10"}, "controlled_value",
                              "more than the total value"),
    "not a number": ({"controlled_value": "x", "total_value": "10"}, "controlled_value", "decimal"),
    "infinite": ({"controlled_value": "1", "total_value": "Infinity"}, "total_value", "finite"),
    "missing total": ({"controlled_value": "1"}, "total_value", "Field required"),
    "bad currency": ({"controlled_value": "1", "total_value": "10", "currency": "dollars"}, "currency", "pattern"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_the_field(case: str) -> None:
    data, where, message = BAD[case]
    with pytest.raises(Error) as caught:
        parse_reexport(data)
    assert caught.value.code == "bad_reexport"
    details = caught.value.details
    assert any(d.location.startswith(where) and message in d.message for d in details), details
