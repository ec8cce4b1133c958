"""Countries and territories by ISO 3166-1 alpha-2 code (through ``pycountry``).

Hong Kong (HK), Macau (MO) and Taiwan (TW) have their own codes in ISO 3166-1 and are valid destinations: travel
policy treats them as destinations of their own (and passport custody picks the travel document from them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pycountry


class UnknownCountry(ValueError):
    """A code that is not an ISO 3166-1 alpha-2 code."""


@dataclass(frozen=True)
class Country:
    alpha2: str
    name: str  # the common English name where ISO gives one ("South Korea", "Taiwan"), else the ISO short name


@lru_cache(maxsize=1024)
def country(code: str) -> Country:
    """The country of an alpha-2 code (any case, surrounding spaces ignored); raises :class:`UnknownCountry`."""
    alpha2 = code.strip().upper()
    entry = pycountry.countries.get(alpha_2=alpha2) if len(alpha2) == 2 and alpha2.isascii() and alpha2.isalpha() \
        else None
    if entry is None:
        raise UnknownCountry(f"unknown destination code {code!r} (ISO 3166-1 alpha-2)")
    return Country(alpha2=entry.alpha_2, name=getattr(entry, "common_name", None) or entry.name)


def is_country(code: str) -> bool:
    try:
        country(code)
    except UnknownCountry:
        return False
    return True


@lru_cache(maxsize=1)
def all_countries() -> tuple[Country, ...]:
    """Every ISO 3166-1 entry, sorted by name (for pickers)."""
    return tuple(sorted((country(c.alpha_2) for c in pycountry.countries), key=lambda c: c.name))
