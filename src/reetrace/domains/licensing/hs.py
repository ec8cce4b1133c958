"""Harmonized System codes as written on a declaration: parse, validate, and relate to reference codes.

An HS code here is 6 to 10 digits (the 6-digit international subheading, then the national tariff digits; China
uses 10), optionally written with dots or spaces ("2846.90.19.40"). The first two digits are the chapter (01-97;
77 is reserved and unused). The control list gives HS codes as *reference* codes only (No. 18: 参考海关商品编号):
a match on HS code alone is neither necessary nor sufficient for an item to be controlled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_DIGITS = 6
MAX_DIGITS = 10
_SEPARATORS = re.compile(r"[\s.]")

# Chapters a rare-earth classification meets, for explanations only.
REFERENCE_CHAPTERS: dict[str, str] = {
    "28": "inorganic chemicals; rare-earth metals (2805) and compounds (2846)",
    "38": "chemical products n.e.s.; mixtures and targets (3824)",
    "72": "iron and steel; ferro-alloys (7202)",
    "81": "other base metals",
    "84": "machinery; semiconductor-equipment parts such as sputtering targets (8486)",
    "85": "electrical machinery; permanent magnets (8505), motors (8501)",
}


class HsCodeError(ValueError):
    """An HS code of the wrong shape; the message says what is wrong."""


@dataclass(frozen=True)
class HsCode:
    digits: str

    @property
    def chapter(self) -> str:
        return self.digits[:2]

    @property
    def heading(self) -> str:
        return self.digits[:4]

    @property
    def subheading(self) -> str:
        return self.digits[:6]

    def related(self, reference: str) -> bool:
        """True when this code and a reference code agree on every digit both have (one is a prefix of the other)."""
        n = min(len(self.digits), len(reference))
        return self.digits[:n] == reference[:n]

    def chapter_note(self) -> str:
        return REFERENCE_CHAPTERS.get(self.chapter, "")

    def __str__(self) -> str:
        return self.digits


def parse_hs(text: str) -> HsCode:
    """Parse an HS code; raises :class:`HsCodeError` naming what is wrong."""
    if not isinstance(text, str):
        raise HsCodeError(f"an HS code is text, got {type(text).__name__}")
    digits = _SEPARATORS.sub("", text)
    if not digits:
        raise HsCodeError("the HS code is empty")
    if not digits.isascii() or not digits.isdigit():
        raise HsCodeError(f"HS code {text!r} must contain only digits (dots and spaces allowed)")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise HsCodeError(f"HS code {text!r} has {len(digits)} digits; it needs {MIN_DIGITS} to {MAX_DIGITS}")
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        raise HsCodeError(f"HS code {text!r} is in chapter {digits[:2]}, which does not exist (01-97, not 77)")
    return HsCode(digits)


def is_hs(text: str) -> bool:
    try:
        parse_hs(text)
    except HsCodeError:
        return False
    return True
