"""GB 11643-1999 resident identity numbers: the check digit computed by the algorithm, every failure mode named."""

from __future__ import annotations

from datetime import date

import pytest

from reetrace.domains.personnel.ids import (
    PROVINCES,
    ResidentId,
    ResidentIdError,
    check_digit,
    make_resident_id,
    parse_resident_id,
    province_of,
)

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def reference_check(first17: str) -> str:
    """The standard's table written out independently: sum of digit * weight mod 11 -> check character."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3", 10: "2"}[total % 11]


def test_weights_are_powers_of_two_mod_11() -> None:
    assert [pow(2, 17 - i, 11) for i in range(17)] == WEIGHTS


@pytest.mark.parametrize(("region", "born", "seq"), [
    ("110101", date(1990, 3, 7), 123),   # Beijing, Dongcheng
    ("150203", date(1978, 12, 31), 44),  # Inner Mongolia, Baotou
    ("360702", date(2000, 2, 29), 1),    # Jiangxi, Ganzhou; a leap day
    ("440305", date(1965, 6, 15), 998),  # Guangdong, Shenzhen
    ("810000", date(1985, 1, 1), 507),   # Hong Kong resident's residence permit
])
def test_made_numbers_parse_back(region: str, born: date, seq: int) -> None:
    number = make_resident_id(region, born, seq)
    assert len(number) == 18
    assert number[17] == reference_check(number[:17])
    rid = parse_resident_id(number)
    assert rid == ResidentId(number=number, region_code=region, province_code=region[:2], birth_date=born,
                             sex="male" if seq % 2 else "female")
    assert rid.province == PROVINCES[region[:2]]


def test_every_check_character_occurs_including_x() -> None:
    seen: dict[str, str] = {}
    for seq in range(200):
        number = make_resident_id("110101", date(1990, 1, 1), seq)
        seen.setdefault(number[17], number)
    assert set(seen) == set("0123456789X")
    x_number = seen["X"]
    assert parse_resident_id(x_number).number == x_number
    lower = x_number[:17] + "x"
    assert parse_resident_id(lower).number == x_number  # lower-case x accepted, normalised
    assert parse_resident_id(f"  {lower} ").number == x_number


def test_known_number_by_hand() -> None:
    # 11010519491231002: weighted sum 167, 167 mod 11 = 2 -> "X" (worked by hand)
    assert check_digit("11010519491231002") == "X"
    rid = parse_resident_id("11010519491231002X")
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "female"
    assert rid.province == "Beijing"


@pytest.mark.parametrize(("value", "message"), [
    ("", "must be 18 characters, got 0"),
    ("1101011990030712", "must be 18 characters, got 16"),
    ("110101900307123", "must be 18 characters, got 15 (first-generation 15-digit numbers are not accepted)"),
    ("1101011990030712345", "must be 18 characters, got 19"),
    ("11010119900307A234", "character 'A' at position 15 is not a digit"),
    ("X10101199003071234", "character 'X' at position 1 is not a digit"),
    ("11010119900307123Y", "character 'Y' at position 18 is not a digit or X"),
    ("11010 199003071234", "character ' ' at position 6 is not a digit"),
    ("990101199003071234", "region code 990101 (positions 1-6): 99 is not a province-level division"),
])
def test_shape_failures(value: str, message: str) -> None:
    with pytest.raises(ResidentIdError) as exc:
        parse_resident_id(value)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def _with_date(yyyymmdd: str) -> str:
    first17 = f"110101{yyyymmdd}123"
    return first17 + reference_check(first17)


@pytest.mark.parametrize(("yyyymmdd", "message"), [
    ("19990231", "birth date 19990231 (positions 7-14) is not a calendar date"),
    ("19001301", "birth date 19001301 (positions 7-14) is not a calendar date"),
    ("20010229", "birth date 20010229 (positions 7-14) is not a calendar date"),
    ("00000000", "birth date 00000000 (positions 7-14) is not a calendar date"),
    ("17990101", "birth date 17990101 (positions 7-14) is impossible: before 1850"),
    ("20300101", "birth date 20300101 (positions 7-14) is impossible: after 2026-06-01"),
])
def test_impossible_birth_dates(yyyymmdd: str, message: str) -> None:
    with pytest.raises(ResidentIdError) as exc:
        parse_resident_id(_with_date(yyyymmdd), today=date(2026, 6, 1))
    assert str(exc.value) == message


def test_checksum_failure_names_both_digits() -> None:
    good = make_resident_id("360702", date(1988, 8, 8), 77)
    for wrong in "0123456789X":
        if wrong == good[17]:
            continue
        with pytest.raises(ResidentIdError, match=rf"^check digit is {wrong}, expected {good[17]}$"):
            parse_resident_id(good[:17] + wrong)


def test_single_digit_typos_are_caught() -> None:
    """MOD 11-2 detects every single-digit substitution in the first 17 digits."""
    good = make_resident_id("510107", date(1975, 4, 20), 312)
    for pos in range(17):
        if 6 <= pos < 14:
            continue  # date digits may first fail as a date; the region/sequence digits reach the checksum
        for digit in "0123456789":
            if digit == good[pos]:
                continue
            bad = good[:pos] + digit + good[pos + 1:]
            if bad[:2] not in PROVINCES:
                continue
            with pytest.raises(ResidentIdError, match="check digit"):
                parse_resident_id(bad)


def test_province_of() -> None:
    assert province_of("110101") == "Beijing"
    assert province_of("15") == "Inner Mongolia"
    assert province_of("650102") == "Xinjiang"
    assert province_of("710000") == "Taiwan"
    assert province_of("810000") == "Hong Kong"
    assert province_of("820000") == "Macau"
    assert province_of("990000") is None
    assert province_of("1") is None
    assert len(PROVINCES) == 35  # 31 mainland divisions, Taiwan (71 and 83), Hong Kong, Macau


@pytest.mark.parametrize(("args", "message"), [
    (("11010", date(1990, 1, 1), 1), "region code must be 6 digits, got '11010'"),
    (("990101", date(1990, 1, 1), 1), "region code 990101: 99 is not a province-level division"),
    (("110101", date(1990, 1, 1), 1000), "sequence must be between 0 and 999, got 1000"),
    (("110101", date(1990, 1, 1), -1), "sequence must be between 0 and 999, got -1"),
])
def test_make_refuses_bad_parts(args: tuple[str, date, int], message: str) -> None:
    with pytest.raises(ResidentIdError) as exc:
        make_resident_id(*args)
    assert str(exc.value) == message
