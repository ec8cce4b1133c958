"""HS codes: the shapes accepted, the errors for the wrong ones, and how a code relates to reference codes."""

from __future__ import annotations

import pytest

from reetrace.domains.licensing.hs import HsCodeError, is_hs, parse_hs


@pytest.mark.parametrize(("text", "digits"), [
    ("284690", "284690"),
    ("2846901940", "2846901940"),
    ("2846.90.19.40", "2846901940"),
    (" 2805 3019 ", "28053019"),
    ("8505111000", "8505111000"),
    ("0101210000", "0101210000"),
])
def test_valid_codes_are_normalised_to_digits(text: str, digits: str) -> None:
    code = parse_hs(text)
    assert code.digits == digits
    assert str(code) == digits
    assert code.chapter == digits[:2] and code.heading == digits[:4] and code.subheading == digits[:6]


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("28469", "has 5 digits; it needs 6 to 10"),
    ("28469019401", "has 11 digits"),
    ("2846-90", "only digits"),
    ("28469O", "only digits"),
    ("２８４６９０", "only digits"),  # full-width digits
    ("774690", "chapter 77"),
    ("004690", "chapter 00"),
    ("984690", "chapter 98"),
])
def test_wrong_shapes_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(HsCodeError, match=message):
        parse_hs(text)
    assert not is_hs(text)


def test_relation_to_reference_codes_is_a_common_prefix() -> None:
    assert parse_hs("284690").related("2846901940")  # a 6-digit declaration may be the reference line
    assert parse_hs("2805301910").related("28053019")  # an 8-digit reference covers its 10-digit lines
    assert not parse_hs("2805301100").related("28053019")  # Nd metal is not the "other RE metals" line
    assert not parse_hs("850511").related("2846901940")


def test_chapter_notes_explain_the_chapters_that_matter() -> None:
    assert "rare-earth" in parse_hs("2846901940").chapter_note()
    assert "magnets" in parse_hs("8505111000").chapter_note()
    assert parse_hs("0101210000").chapter_note() == ""
