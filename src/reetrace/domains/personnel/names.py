"""Name variants for matching people across scripts and spellings.

A person has a name in Chinese characters and/or in Latin script. :func:`name_keys` turns them into a set of
normalised keys; two names that may be the same person share at least one key:

- the Han characters as written (NFKC, spaces and middle dots removed): ``张伟``;
- their Hanyu Pinyin, toneless, with surname readings for characters that read differently as a surname
  (单 -> shan, 曾 -> zeng; see :data:`SURNAME_READINGS`, every reading one that ``pypinyin`` offers for the
  character) and compound surnames (欧阳 -> ouyang); the given name written as one word (小平 -> xiaoping), in
  surname-first and given-name-first order, with and without spaces: ``zhang wei``, ``wei zhang``, ``zhangwei``,
  ``weizhang``; ü also as ``v``, ``u`` and ``yu`` (the passport spelling LYU);
- the Latin name casefolded, diacritics removed, hyphens, apostrophes and full stops removed (``Xiao-Ping`` ->
  ``xiaoping``), other punctuation as a word break, in every word order (up to four words; longer names: as
  written, reversed and sorted), with and without spaces: "ZHANG, Wei", "Wei Zhang" and "zhang wei" share keys.

The keys are plain strings, so a caller may store keyed hashes of them (a blind index) and match without the clear
names. Wade-Giles and other romanisations are not generated.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pypinyin import Style, lazy_pinyin

# Characters whose reading as a surname differs from their everyday reading; the first reading is the usual
# one (used by romanise), all are matched. Each reading is one pypinyin lists for the character (a test checks).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "曾": ("zeng",), "解": ("xie",), "仇": ("qiu",), "朴": ("piao",), "区": ("ou",),
    "查": ("zha",), "盖": ("ge", "gai"), "乐": ("yue", "le"), "覃": ("qin",), "召": ("shao",), "缪": ("miao",),
    "翟": ("zhai",), "繁": ("po",), "员": ("yun",), "折": ("she",), "秘": ("bi",), "种": ("chong",),
    "阚": ("kan",), "句": ("gou",), "洗": ("xian",), "隗": ("wei",), "薄": ("bo",), "重": ("chong",),
    "能": ("nai",), "都": ("du",), "藏": ("zang",), "蕃": ("pi",), "粘": ("nian",), "适": ("kuo",),
    "祭": ("zhai",), "尉": ("wei", "yu"),
}

# Compound (two-character) surnames and their readings.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ouyang", "司马": "sima", "诸葛": "zhuge", "上官": "shangguan", "东方": "dongfang",
    "皇甫": "huangfu", "尉迟": "yuchi", "公孙": "gongsun", "慕容": "murong", "令狐": "linghu", "司徒": "situ",
    "夏侯": "xiahou", "万俟": "moqi", "长孙": "zhangsun", "宇文": "yuwen", "澹台": "tantai", "端木": "duanmu",
    "呼延": "huyan", "轩辕": "xuanyuan", "单于": "chanyu", "闻人": "wenren", "申屠": "shentu", "南宫": "nangong",
    "西门": "ximen", "独孤": "dugu", "钟离": "zhongli", "拓跋": "tuoba", "司空": "sikong", "濮阳": "puyang",
    "公冶": "gongye", "太史": "taishi", "第五": "diwu",
}

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_MIDDLE_DOTS = "·•‧・･"
_JOINERS = re.compile(r"[\-\u2010-\u2015\u2212'\u2018\u2019\u02bc.\u00b7]")  # hyphens, apostrophes, full stops
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_MAX_PERMUTED = 4

How = Literal["exact", "pinyin", "latin"]


@dataclass(frozen=True)
class NameMatch:
    key: str  # the candidate's key (e.g. a person id)
    how: How
    variant: str  # the form that matched: the candidate's name (exact) or the shared key


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def name_keys(name_zh: str | None, name_latin: str | None) -> frozenset[str]:
    """Every normalised key of a person's names (Han, pinyin and Latin variants)."""
    return frozenset(han_keys(name_zh)) | pinyin_keys(name_zh) | latin_keys(name_latin)


def query_keys(query: str) -> frozenset[str]:
    """The keys of a name typed by an analyst, in either script."""
    return name_keys(query, None) if has_han(query) else latin_keys(query)


def han_keys(name_zh: str | None) -> frozenset[str]:
    if not name_zh or not has_han(name_zh):
        return frozenset()
    text = unicodedata.normalize("NFKC", name_zh)
    return frozenset({"".join(ch for ch in text if not ch.isspace() and ch not in _MIDDLE_DOTS)})


def pinyin_keys(name_zh: str | None) -> frozenset[str]:
    """Pinyin keys of a name in Han characters; a name without Han characters counts as Latin script."""
    if not name_zh:
        return frozenset()
    if not has_han(name_zh):
        return latin_keys(name_zh)
    keys: set[str] = set()
    for words in _pinyin_word_lists(name_zh):
        for spelled in _u_variants(words):
            keys |= _order_keys(spelled)
    return frozenset(keys)


def latin_keys(name_latin: str | None) -> frozenset[str]:
    if not name_latin:
        return frozenset()
    words = latin_words(name_latin)
    return frozenset(_order_keys(words)) if words else frozenset()


def latin_words(name: str) -> list[str]:
    """Casefolded words without diacritics or punctuation: "ZHANG, Xiao-Ping" -> ["zhang", "xiaoping"]."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPECIAL)
    text = _JOINERS.sub("", text)
    return [w for w in _NOT_WORD.split(text) if w]


def romanise(name_zh: str) -> str:
    """Display form in Hanyu Pinyin, surname first: 张伟 -> "Zhang Wei", 欧阳小平 -> "Ouyang Xiaoping"."""
    if not has_han(name_zh):
        return " ".join(name_zh.split())
    parts = _split_parts(name_zh)
    if parts is None:
        segments = [seg for seg in re.split(f"[{_MIDDLE_DOTS}\\s]+", name_zh) if seg]
        return " ".join(_join_syllables(_syllables(seg)).capitalize() for seg in segments)
    surname, given = parts
    words = [_surname_readings(surname)[0].capitalize()]
    if given:
        words.append(_join_syllables(_syllables(given)).capitalize())
    return " ".join(words)


def match_name(query: str, candidates: Iterable[tuple[str, str | None, str | None]]) -> list[NameMatch]:
    """Candidates (key, name_zh, name_latin) that the query may name, exact matches first, then by key.

    exact: the query is the candidate's Han name (ignoring spaces) or its Latin name (ignoring case and spacing);
    latin: a Latin query shares a key with the candidate's Latin name (order, case, diacritics, hyphens);
    pinyin: the pinyin of one side shares a key with the other side (a Latin query against a Han name, a Han
    query against a Latin name, or two Han names that read the same).
    """
    query_han = has_han(query)
    q_exact = _exact_form(query)
    q_han = han_keys(query) if query_han else frozenset()
    q_latin = latin_keys(query) if not query_han else frozenset()
    q_pinyin = pinyin_keys(query) if query_han else frozenset()
    found: list[NameMatch] = []
    for key, name_zh, name_latin in candidates:
        match = _match_one(key, name_zh, name_latin, query_han, q_exact, q_han, q_latin, q_pinyin)
        if match is not None:
            found.append(match)
    found.sort(key=lambda m: (m.how != "exact", m.key, m.how, m.variant))
    return found


def _match_one(key: str, name_zh: str | None, name_latin: str | None, query_han: bool, q_exact: str,
               q_han: frozenset[str], q_latin: frozenset[str], q_pinyin: frozenset[str]) -> NameMatch | None:
    if query_han and name_zh and q_han & han_keys(name_zh):
        return NameMatch(key, "exact", name_zh)
    if not query_han and name_latin and _exact_form(name_latin) == q_exact:
        return NameMatch(key, "exact", name_latin)
    cand_latin = latin_keys(name_latin)
    if not query_han:
        common = q_latin & cand_latin
        if common:
            return NameMatch(key, "latin", min(common))
        common = q_latin & pinyin_keys(name_zh)
        if common:
            return NameMatch(key, "pinyin", min(common))
        return None
    common = q_pinyin & (cand_latin | pinyin_keys(name_zh))
    if common:
        return NameMatch(key, "pinyin", min(common))
    return None


def _exact_form(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _split_parts(name_zh: str) -> tuple[str, str] | None:
    """(surname, given name) in Han characters, or None for a transliterated foreign name (with middle dots)."""
    text = unicodedata.normalize("NFKC", name_zh)
    if any(dot in text for dot in _MIDDLE_DOTS):
        return None
    han = "".join(_HAN.findall(text))
    if not han:
        return None
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        return han[:2], han[2:]
    return han[:1], han[1:]


def _surname_readings(surname: str) -> tuple[str, ...]:
    if surname in COMPOUND_SURNAMES:
        return (COMPOUND_SURNAMES[surname],)
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    return ("".join(_syllables(surname)),)


def _syllables(han: str) -> list[str]:
    """Toneless pinyin syllables of the Han characters in a string (ü kept), others ignored."""
    only_han = "".join(_HAN.findall(han))
    if not only_han:
        return []
    return [s for s in lazy_pinyin(only_han, style=Style.NORMAL, v_to_u=True, errors="ignore") if s]


def _join_syllables(syllables: list[str]) -> str:
    """One written word, with an apostrophe before a syllable starting with a, o or e (xi'an)."""
    out = ""
    for syl in syllables:
        if out and syl[:1] in ("a", "o", "e"):
            out += "'"
        out += syl
    return out


def _pinyin_word_lists(name_zh: str) -> list[list[str]]:
    """The name as pinyin words (surname, given name), one list per surname reading."""
    parts = _split_parts(name_zh)
    if parts is None:
        segments = [seg for seg in re.split(f"[{_MIDDLE_DOTS}\\s]+", unicodedata.normalize("NFKC", name_zh))]
        words = ["".join(_syllables(seg)) for seg in segments]
        return [[w for w in words if w]]
    surname, given = parts
    given_word = "".join(_syllables(given))
    return [[reading, given_word] if given_word else [reading] for reading in _surname_readings(surname)]


def _u_variants(words: list[str]) -> list[list[str]]:
    """ü spelled as v, u and yu (lü -> lv, lu, lyu); at most 9 spellings."""
    if not any("ü" in w for w in words):
        return [words]
    options = [[w.replace("ü", rep) for rep in ("v", "u", "yu")] if "ü" in w else [w] for w in words]
    return [list(combo) for combo in itertools.islice(itertools.product(*options), 9)]


def _order_keys(words: list[str]) -> set[str]:
    if not words:
        return set()
    if len(words) <= _MAX_PERMUTED:
        orders = set(itertools.permutations(words))
    else:
        orders = {tuple(words), tuple(reversed(words)), tuple(sorted(words))}
    return {sep.join(order) for order in orders for sep in (" ", "")}
