"""Resident identity numbers of the People's Republic of China (GB 11643-1999).

An 18-character number: a 6-digit administrative region code (GB/T 2260) of the place of first registration,
the birth date as ``YYYYMMDD``, a 3-digit sequence (odd for men, even for women) and a check digit computed with
ISO 7064 MOD 11-2 (``X`` stands for ten). :func:`parse_resident_id` says exactly what is wrong with a bad number;
:func:`make_resident_id` computes the check digit, for the demo and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

# ISO 7064 MOD 11-2: weight of position i (0-based, left to right) is 2**(17 - i) mod 11.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# The check character for (sum of weighted digits) mod 11.
_CHECK = "10X98765432"

# Province-level divisions by the first two digits of the GB/T 2260 region code. 71 is Taiwan in GB/T 2260;
# the residence permits for Hong Kong, Macau and Taiwan residents use region codes 810000, 820000 and 830000.
PROVINCES: dict[str, str] = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia",
    "21": "Liaoning", "22": "Jilin", "23": "Heilongjiang",
    "31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui", "35": "Fujian", "36": "Jiangxi",
    "37": "Shandong",
    "41": "Henan", "42": "Hubei", "43": "Hunan", "44": "Guangdong", "45": "Guangxi", "46": "Hainan",
    "50": "Chongqing", "51": "Sichuan", "52": "Guizhou", "53": "Yunnan", "54": "Tibet",
    "61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia", "65": "Xinjiang",
    "71": "Taiwan", "81": "Hong Kong", "82": "Macau", "83": "Taiwan",
}

Sex = Literal["male", "female"]


class ResidentIdError(ValueError):
    """A resident identity number that is not valid; the message says what is wrong and where."""


@dataclass(frozen=True)
class ResidentId:
    number: str  # 18 characters, upper-case X
    region_code: str  # 6 digits
    province_code: str  # 2 digits
    birth_date: date
    sex: Sex

    @property
    def province(self) -> str | None:
        return province_of(self.region_code)


def province_of(region_code: str) -> str | None:
    """The province-level division (English name) of a region code, from its first two digits; None if unknown."""
    return PROVINCES.get(region_code[:2]) if len(region_code) >= 2 else None


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ResidentIdError(f"the check digit needs exactly 17 digits, got {first17!r}")
    total = sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate a resident identity number; raises :class:`ResidentIdError` naming the first problem found.

    Surrounding whitespace is ignored and a lower-case ``x`` is accepted (normalised to ``X``). A birth date after
    ``today`` (default: the current date) is refused.
    """
    number = value.strip().upper()
    if len(number) != 18:
        hint = " (first-generation 15-digit numbers are not accepted)" if len(number) == 15 else ""
        raise ResidentIdError(f"must be 18 characters, got {len(number)}{hint}")
    for pos, ch in enumerate(number, start=1):
        if pos == 18 and ch == "X":
            continue
        if not ("0" <= ch <= "9"):
            allowed = "a digit or X" if pos == 18 else "a digit"
            raise ResidentIdError(f"character {ch!r} at position {pos} is not {allowed}")
    region_code = number[:6]
    province_code = number[:2]
    if province_code not in PROVINCES:
        raise ResidentIdError(f"region code {region_code} (positions 1-6): {province_code} is not a "
                              "province-level division")
    birth = _birth_date(number[6:14], today or date.today())
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise ResidentIdError(f"check digit is {number[17]}, expected {expected}")
    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, region_code=region_code, province_code=province_code, birth_date=birth,
                      sex=sex)


def _birth_date(text: str, today: date) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ResidentIdError(f"birth date {text} (positions 7-14) is not a calendar date") from None
    if birth.year < 1850:
        raise ResidentIdError(f"birth date {text} (positions 7-14) is impossible: before 1850")
    if birth > today:
        raise ResidentIdError(f"birth date {text} (positions 7-14) is impossible: after {today.isoformat()}")
    return birth


def make_resident_id(region_code: str, birth_date: date, sequence: int) -> str:
    """A valid number for a region, birth date and 3-digit sequence (odd: male, even: female)."""
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ResidentIdError(f"region code must be 6 digits, got {region_code!r}")
    if region_code[:2] not in PROVINCES:
        raise ResidentIdError(f"region code {region_code}: {region_code[:2]} is not a province-level division")
    if not 0 <= sequence <= 999:
        raise ResidentIdError(f"sequence must be between 0 and 999, got {sequence}")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    if len(first17) != 17:  # a year before 1000 or after 9999 cannot be written as YYYY
        raise ResidentIdError(f"birth date {birth_date.isoformat()} cannot be written as YYYYMMDD")
    return first17 + check_digit(first17)
