"""Pasted-text marks: per-copy choices that read the same to a person and survive chat, mail and web forms.

A *site* is a place in a registered version's text where two renderings mean and read the same; a copy renders each
site with the variant its codeword bit selects (bit 0 → the first variant, bit 1 → the second). Sites, found by
:func:`find_sites` from the registered text alone (so a trace re-derives them without storing anything per copy):

- ``date``: 2026-11-23 vs 2026年11月23日, only in Chinese text (a CJK character within 12 characters);
- ``range``: 10~20 vs 10至20 between numbers in Chinese text;
- ``number``: 12500 vs 12,500 for integers of 4 to 7 digits (not years 1900-2099, not standard or part numbers
  such as GB/T 18115 or ISO 9001);
- ``unit``: 3kg vs 3 kg for a number and a unit of measure (kg, g, mg, t excluded, mm, cm, m, km, µm, nm, °C, h,
  min, L, mL, MPa, kPa, kW, mol, ppm, %);
- ``spacing``: 氧化钕Nd2O3 vs 氧化钕 Nd2O3 between a CJK character and a Latin letter or digit;
- ``phrase``: a curated table of neutral variant pairs in English and Chinese (:data:`PHRASES`), reviewed so that
  neither member changes the register or the meaning of a technical sentence.

Every variant is stable under NFKC, contains no invisible character and starts and ends with a visible character
(or is a single space between two visible ones), so the channel (:func:`channel`: NFKC, format characters such as
zero-width spaces removed, whitespace runs collapsed to one space) keeps both variants apart.

Reading (:func:`read_marks`): the excerpt, in the channel's form, is parsed left to right as literal text and one of
the two variants per site, from an anchor (a literal of at least four characters found in it); an edit stops the
parse, which re-anchors on a later literal. Nothing is guessed: a site outside the excerpt, edited, ambiguous (the
excerpt ends inside it) or in repeated text that the excerpt cannot place is an erasure.

Yield (the sample specifications of ``tests/documents/spec_texts.py``): 26 sites per 1,000 characters of English
technical prose (phrases, units, numbers) and about 185 per 1,000 characters of Chinese (CJK/Latin spacing around
every number and unit is frequent there). A page of typical text, ~2,500 Latin or ~900 CJK characters, yields
about 65 (English) or 165 (Chinese) bits; two paragraphs of the Chinese sample about 50, of the English ~20. The
samples are dense in numbers and units, as process specifications are; plain prose yields less.
Zero-width characters are never used: any single insider can strip them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from reetrace.errors import Detail, Error, invalid

ERASED = -1
SiteKind = Literal["date", "range", "number", "unit", "spacing", "phrase", "spelling", "count"]

# Reviewed neutral pairs: both members are ordinary in technical writing and swap without changing meaning or register.
PHRASES_EN: tuple[tuple[str, str], ...] = (
    ("for example", "for instance"), ("in order to", "so as to"), ("therefore", "thus"), ("nearly", "almost"),
    ("approximately", "roughly"), ("per cent", "percent"), ("afterwards", "afterward"), ("towards", "toward"),
)
PHRASES_ZH: tuple[tuple[str, str], ...] = (
    ("例如", "比如"), ("因此", "因而"), ("但是", "不过"), ("立即", "立刻"), ("目前", "当前"), ("并且", "而且"),
    ("然后", "随后"), ("之后", "以后"),
)
PHRASES = PHRASES_EN + PHRASES_ZH

# British and American spellings of the same word (both are correct technical English; a reader does not stop at
# either). Stems take -ise/-ize and their inflections; the rest are listed whole.
_IZE_STEMS = ("neutral", "stabil", "optim", "minim", "maxim", "standard", "character", "crystall", "oxid", "ion",
              "homogen", "author", "recogn", "util", "organ", "summar", "prior", "steril", "synthes", "normal",
              "visual", "categor", "real", "special", "local", "central")
_IZE_ENDINGS = (("ise", "ize"), ("ised", "ized"), ("ises", "izes"), ("ising", "izing"), ("isation", "ization"),
                ("isations", "izations"))
_IZE_PAIRS = tuple((stem + uk, stem + us) for stem in _IZE_STEMS for uk, us in _IZE_ENDINGS)
SPELLINGS: tuple[tuple[str, str], ...] = (
    *_IZE_PAIRS,
    ("analyse", "analyze"), ("analysed", "analyzed"), ("analyses", "analyzes"), ("analysing", "analyzing"),
    ("hydrolyse", "hydrolyze"), ("hydrolysed", "hydrolyzed"), ("catalyse", "catalyze"), ("catalysed", "catalyzed"),
    ("litre", "liter"), ("litres", "liters"), ("millilitre", "milliliter"), ("millilitres", "milliliters"),
    ("colour", "color"), ("colours", "colors"), ("centre", "center"), ("centres", "centers"),
    ("sulphate", "sulfate"), ("sulphates", "sulfates"), ("sulphuric", "sulfuric"), ("sulphur", "sulfur"),
    ("labelled", "labeled"), ("labelling", "labeling"), ("modelled", "modeled"), ("fibre", "fiber"),
    ("grey", "gray"), ("catalogue", "catalog"), ("behaviour", "behavior"), ("programme", "program"),
    ("dispatch", "despatch"), ("aging", "ageing"), ("gauge", "gage"),
)
# Small counts before a plural noun: digits and words read the same ("2 analysts", "two analysts").
_COUNT_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine")
_COUNT = re.compile(r"(?<=[a-z,] )([2-9]|two|three|four|five|six|seven|eight|nine)(?= [a-z]{3,}s\b)")
_COUNT_LABEL = re.compile(r"(?:pH|No\.|stages?|steps?|revision|version|grade|class|type|level|section|table|figure|"
                          r"line|zone|phase|page|item|rule|article|part|of|to|and|or|from|between)[ \t]*$",
                          re.IGNORECASE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_DATE_ISO = re.compile(r"(?<![0-9])(\d{4})-(\d{1,2})-(\d{1,2})(?![0-9])")
_DATE_ZH = re.compile(r"(?<![0-9])(\d{4})年(\d{1,2})月(\d{1,2})日")
_RANGE = re.compile(r"(?<=\d)[ \t]*([~～]|至)[ \t]*(?=\d)")
_NUMBER = re.compile(r"(?<![0-9A-Za-z.,\-/:])(\d{1,3}(?:,\d{3}){1,2}|\d{4,7})(?![0-9]|[.,:\-/]\d|[A-Za-z]+\d)")
_UNITS = "kg|mg|g|mm|cm|km|µm|μm|nm|m|°C|h|min|mL|L|MPa|kPa|kW|mol|ppm|%"
_UNIT = re.compile(f"(?<=\\d)([ \\t]?)(?:{_UNITS})(?![A-Za-z0-9])")
_SPACING = re.compile(f"(?<=[{_CJK}])([ \\t]?)(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])([ \\t]?)(?=[{_CJK}])")
_STANDARD = re.compile(r"(?:[A-Z]{2,}(?:/[A-Z]+)?|No\.|#)[ \t]?$")
_WS = re.compile(r"\s+")


def _bad(message: str, where: str) -> Error:
    return invalid(message, Detail(message, where), code="invalid_marks")


@dataclass(frozen=True)
class Site:
    """One choice in the registered text: the span it replaces and its two renderings (bit 0, bit 1)."""

    start: int
    end: int
    kind: SiteKind
    variants: tuple[str, str]


def channel(text: str) -> str:
    """What a chat, mail or web form keeps: NFKC, no format (zero-width) characters, whitespace runs as one space."""
    normal = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in normal if unicodedata.category(ch) != "Cf")
    return _WS.sub(" ", visible).strip()


def _chinese_near(text: str, start: int, end: int, reach: int = 12) -> bool:
    return bool(_CJK_RE.search(text, max(0, start - reach), min(len(text), end + reach)))


class _Spans:
    """Accepted sites, refusing any that overlaps one already taken (earlier kinds win).

    Two spans clash when they overlap (``start < e and s < end``: a point strictly inside a span counts) or are the
    same span (two insertions at one point). The taken spans never clash with each other, so, ordered by start,
    their ends never decrease: of the taken spans starting before ``end``, the last reaches furthest, and it alone
    decides. Each check is a binary search (a page-long Chinese document has some 40,000 sites).
    """

    def __init__(self) -> None:
        self.sites: list[Site] = []
        self._taken: list[tuple[int, int]] = []  # sorted
        self._exact: set[tuple[int, int]] = set()

    def free(self, start: int, end: int) -> bool:
        if (start, end) in self._exact:
            return False
        before = bisect.bisect_left(self._taken, (end, -1)) - 1  # the last span starting before ``end``
        return before < 0 or self._taken[before][1] <= start

    def add(self, start: int, end: int, kind: SiteKind, first: str, second: str) -> None:
        if first != second and self.free(start, end):
            self.sites.append(Site(start, end, kind, (first, second)))
            bisect.insort(self._taken, (start, end))
            self._exact.add((start, end))


def _dates(text: str, spans: _Spans) -> None:
    for pattern in (_DATE_ISO, _DATE_ZH):
        for m in pattern.finditer(text):
            try:
                day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
            if _chinese_near(text, m.start(), m.end()):
                spans.add(m.start(), m.end(), "date", day.isoformat(), f"{day.year}年{day.month}月{day.day}日")
            elif pattern is _DATE_ISO:
                spans.add(m.start(), m.end(), "date", day.isoformat(),
                          f"{day.day} {_MONTHS[day.month - 1]} {day.year}")


def _numbers(text: str, spans: _Spans) -> None:
    for m in _RANGE.finditer(text):
        if _chinese_near(text, m.start(), m.end()):
            spans.add(m.start(), m.end(), "range", "~", "至")
    for m in _NUMBER.finditer(text):
        digits = m.group(1).replace(",", "")
        if (len(digits) == 4 and 1900 <= int(digits) <= 2099) or digits.startswith("0"):
            continue
        if _STANDARD.search(text, max(0, m.start() - 10), m.start()):
            continue
        spans.add(m.start(), m.end(), "number", digits, f"{int(digits):,}")
    for m in _UNIT.finditer(text):
        spans.add(m.start(1), m.end(1), "unit", "", " ")
    for m in _SPACING.finditer(text):
        group = 1 if m.group(1) is not None else 2
        spans.add(m.start(group), m.end(group), "spacing", "", " ")


def _phrase_pattern(pairs: Sequence[tuple[str, str]], latin: bool) -> re.Pattern[str]:
    words = sorted({w for pair in pairs for w in pair}, key=len, reverse=True)
    body = "|".join(re.escape(w) for w in words)
    return re.compile(rf"\b({body})\b" if latin else f"({body})", re.IGNORECASE if latin else 0)


_EN_PATTERN = _phrase_pattern(PHRASES_EN, latin=True)
_ZH_PATTERN = _phrase_pattern(PHRASES_ZH, latin=False)
_PAIR_OF = {w.casefold(): pair for pair in PHRASES for w in pair}


def _phrases(text: str, spans: _Spans) -> None:
    for pattern in (_EN_PATTERN, _ZH_PATTERN):
        for m in pattern.finditer(text):
            first, second = _PAIR_OF[m.group(1).casefold()]
            if m.group(1)[0].isupper():
                first, second = first[0].upper() + first[1:], second[0].upper() + second[1:]
            spans.add(m.start(), m.end(), "phrase", first, second)


_SPELLING_PATTERN = _phrase_pattern(SPELLINGS, latin=True)
_SPELLING_OF = {w.casefold(): pair for pair in SPELLINGS for w in pair}


def _spellings(text: str, spans: _Spans) -> None:
    for m in _SPELLING_PATTERN.finditer(text):
        word = m.group(1)
        if not (word.islower() or (word[0].isupper() and word[1:].islower())):
            continue  # all capitals or mixed case: a name or a heading, left alone
        first, second = _SPELLING_OF[word.casefold()]
        if word[0].isupper():
            first, second = first.capitalize(), second.capitalize()
        spans.add(m.start(), m.end(), "spelling", first, second)


def _counts(text: str, spans: _Spans) -> None:
    for m in _COUNT.finditer(text):
        if _chinese_near(text, m.start(), m.end()) or _COUNT_LABEL.search(text, max(0, m.start() - 12), m.start()):
            continue
        token = m.group(1)
        digit = token if token.isdigit() else str(_COUNT_WORDS.index(token) + 2)
        word = _COUNT_WORDS[int(digit) - 2]
        spans.add(m.start(), m.end(), "count", digit, word)


def find_sites(text: str) -> list[Site]:
    """The choice sites of a registered text, in text order (deterministic: the trace re-derives them)."""
    if not isinstance(text, str):
        raise _bad(f"text must be str, got {type(text).__name__}", "text")
    spans = _Spans()
    _dates(text, spans)
    _numbers(text, spans)
    _phrases(text, spans)
    _spellings(text, spans)
    _counts(text, spans)
    return sorted(spans.sites, key=lambda s: (s.start, s.end))


def render(text: str, sites: Sequence[Site], bits: Sequence[int]) -> str:
    """The text with site ``i`` rendered as its variant ``bits[i]``."""
    if len(bits) != len(sites):
        raise _bad(f"{len(sites)} sites need {len(sites)} bits, got {len(bits)}", "bits")
    out, at = [], 0
    for site, bit in zip(sites, bits, strict=True):
        if bit not in (0, 1):
            raise _bad(f"a bit must be 0 or 1, got {bit!r}", "bits")
        out += [text[at:site.start], site.variants[bit]]
        at = site.end
    out.append(text[at:])
    return "".join(out)


@dataclass(frozen=True)
class Reading:
    """Per site: 0, 1 or ERASED; and how many sites the excerpt covered."""

    bits: list[int]
    covered: int

    @property
    def read(self) -> int:
        return sum(1 for b in self.bits if b != ERASED)


def _literals(text: str, sites: Sequence[Site]) -> list[str]:
    """The text between sites in the channel's form (edge spaces kept): literal ``k`` precedes site ``k``."""
    out, at = [], 0
    for site in [*sites, None]:
        piece = text[at:] if site is None else text[at:site.start]
        visible = "".join(ch for ch in unicodedata.normalize("NFKC", piece) if unicodedata.category(ch) != "Cf")
        out.append(_WS.sub(" ", visible))
        if site is not None:
            at = site.end
    return out


class _Walk:
    """Parse the excerpt as literal, variant, literal, ... from an anchor; stop at the first mismatch."""

    def __init__(self, sites: Sequence[Site], literals: Sequence[str], seen: str) -> None:
        self.sites, self.literals, self.seen = sites, literals, seen

    def _fits(self, k: int, at: int, depth: int = 0) -> bool:
        """Does the excerpt from ``at`` continue with literal ``k`` (at least one character of it, or the sites
        after an empty literal)? The end of the excerpt right here proves nothing."""
        rest = len(self.seen) - at
        if rest <= 0:
            return False
        literal = self.literals[k]
        if literal:
            return self.seen.startswith(literal[:rest], at)
        if k >= len(self.sites) or depth > 4:
            return False
        return any(self.seen.startswith(v, at) and self._fits(k + 1, at + len(v), depth + 1)
                   for v in self.sites[k].variants)

    def run(self, k: int, at: int) -> tuple[dict[int, int], int]:
        """From literal ``k`` starting at ``at``: the bits read and where the parse stopped."""
        bits: dict[int, int] = {}
        while True:
            literal = self.literals[k]
            if not self.seen.startswith(literal, at):
                return bits, at + len(_common_prefix(literal, self.seen[at:]))
            at += len(literal)
            if k >= len(self.sites):
                return bits, at
            hits = [(bit, v) for bit, v in enumerate(self.sites[k].variants)
                    if self.seen.startswith(v, at) and self._fits(k + 1, at + len(v))]
            if len(hits) != 1:
                return bits, at
            bits[k] = hits[0][0]
            at += len(hits[0][1])
            k += 1


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


ANCHOR = 4  # characters a literal needs to anchor the parse


def read_marks(text: str, sites: Sequence[Site], excerpt: str) -> Reading:
    """Read every site of ``text`` that the excerpt (after the channel) shows unambiguously; the rest are erased.

    The excerpt is parsed left to right from an anchor (the earliest literal of at least :data:`ANCHOR` characters
    found in it), alternating literal text and one of the two variants; an edit stops the parse, which re-anchors
    after it on a later literal. Where the text repeats, every candidate anchor is parsed and the one reaching
    furthest wins; a tie between different places reads nothing there.
    """
    if not isinstance(excerpt, str):
        raise _bad(f"the excerpt must be text, got {type(excerpt).__name__}", "excerpt")
    literals = _literals(text, sites)
    seen = channel(excerpt)
    walk = _Walk(sites, literals, seen)
    bits = [ERASED] * len(sites)
    covered: set[int] = set()
    at, after = 0, 0
    while at < len(seen):
        starts = [(seen.find(lit, at), k) for k, lit in enumerate(literals) if k >= after and len(lit) >= ANCHOR]
        starts = [(q, k) for q, k in starts if q >= 0]
        if not starts:
            break
        first = min(q for q, _ in starts)
        parses = sorted(((*walk.run(k, first), k) for q, k in starts if q == first), key=lambda r: -r[1])
        best, end, k = parses[0]
        if len(parses) == 1 or parses[1][1] < end:
            for i, bit in best.items():
                bits[i] = bit
            covered.update(best)
            after = max(best, default=k) + 1
        at = max(end, first + 1)
    return Reading(bits, len(covered))
