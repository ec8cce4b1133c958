"""ISO 3166-1 alpha-2 destinations through pycountry."""

from __future__ import annotations

import pytest

from reetrace.domains.personnel.countries import Country, UnknownCountry, all_countries, country, is_country


@pytest.mark.parametrize(("code", "alpha2", "name"), [
    ("DE", "DE", "Germany"),
    ("us", "US", "United States"),
    (" jp ", "JP", "Japan"),
    ("HK", "HK", "Hong Kong"),
    ("MO", "MO", "Macao"),
    ("TW", "TW", "Taiwan"),
    ("KR", "KR", "South Korea"),  # the common name where ISO gives one
])
def test_known_codes(code: str, alpha2: str, name: str) -> None:
    assert country(code) == Country(alpha2=alpha2, name=name)


@pytest.mark.parametrize("code", ["XX", "xx", "UK", "EU", "USA", "U", "", "1A", "ÄB", "H K"])
def test_unknown_codes(code: str) -> None:
    with pytest.raises(UnknownCountry) as exc:
        country(code)
    assert str(exc.value) == f"unknown destination code {code!r} (ISO 3166-1 alpha-2)"
    assert isinstance(exc.value, ValueError)
    assert not is_country(code)


def test_message_format_exactly() -> None:
    with pytest.raises(UnknownCountry, match=r"^unknown destination code 'XX' \(ISO 3166-1 alpha-2\)$"):
        country("XX")


def test_all_countries_is_complete_and_sorted() -> None:
    entries = all_countries()
    assert len(entries) == 249
    assert [c.name for c in entries] == sorted(c.name for c in entries)
    assert {"CN", "HK", "MO", "TW"} <= {c.alpha2 for c in entries}
