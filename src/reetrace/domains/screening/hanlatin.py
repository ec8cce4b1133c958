"""A name in Chinese characters against a name in Latin letters: translated words and transliterated sounds.

China's lists give foreign parties in Chinese: translated ("Sierra Nevada Corporation" / 内华达山脉公司, "Red Cat
Holdings" / 红猫控股公司), transliterated by sound ("Yonah Diamond" / 约纳·戴蒙德, "FN Herstal" / 赫斯塔尔公司), or
both ("Raytheon Missiles & Defense" / 雷神导弹与防务公司). Reading the characters as pinyin (:mod:`.normalise`)
finds Chinese names written in Latin letters, not these. Here the Chinese name is segmented into dictionary words
with CC-CEDICT (through Lindera's embedded dictionary, ``lindera-python-cc-cedict``; the other dictionary words
inside it are looked up too), and each Latin word is matched to

- the words a small glossary of organisation vocabulary gives for it (``glossary.toml``: 通用 General, 重工 Heavy
  Industries), or a dictionary word or character whose English glosses contain it ("missiles" in 导弹's "guided
  missile/..."), or the same Latin letters inside the Chinese name ("OKI奈克斯泰克");
- the characters it spells in pinyin, Wade-Giles or Cantonese (:mod:`.romanise`; any reading of a character: 柏 is
  bai or bo), the whole name then syllable for syllable when both read as a Chinese name;
- a run of characters whose sounds transliterate it: the Latin word and the characters' pinyin are both reduced to
  consonant classes and aligned, with the costs of the usual transliteration habits (l for r, a vowel added after
  a consonant cluster, a final r or s dropped: 布朗巴克 "bu lang ba ke" for Brownback), the first sound kept and
  the vowels agreeing a little; one word so in each piece between separators (约纳·戴蒙德), in the words' order;
- two of the above run together in one Latin word ("Techsystems" 技术+系统, "L3Harris").

The matches that account for most of both names, no character or word used twice, are chosen exactly (dynamic
programming over the Latin words); the score (:func:`compare`) rests on how much of each side is covered and how
well, so a surname given alone in Chinese (奥布莱恩 for "Neil O'Brien") scores less than the whole name.
Explanations list every match with the gloss, the spelling or the sounds it rests on. :func:`query_keys` and
friends give a screening index the keys to find such names across scripts.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from . import normalise
from .normalise import COMPANY_FORMS, LONG_VOWELS, fold, is_han, pinyin_syllables, strip_han_company_forms
from .romanise import is_sinitic, readings
from .romanise import pinyin_syllables as pinyin_inventory

__all__ = ["HanLatin", "LatinMatch", "compare", "consonant_classes", "sound_similarity", "syllable_classes"]

# Words that join other words and carry no name: skipped on both sides.
LATIN_FUNCTION = frozenset({"and", "of", "the", "for", "de", "la", "le", "du", "des", "von", "van", "der", "den",
                            "und", "et", "y", "e", "a", "an", "in", "on", "at", "to"})
HAN_FUNCTION = frozenset("与和及的之暨")
# Company-form and branch words inside a Chinese name, besides the suffixes :mod:`.normalise` strips.
HAN_FORMS = ("有限公司", "株式会社", "分公司", "公司", "集团", "控股")
SEPARATORS = re.compile(r"[\s·・•‧．.\-‐,，、()（）&/]+")
MAX_WORDS = 16  # a Latin name of more words than this is not compared with a Chinese one (an address, a text)
MAX_CHARS = 48  # nor a Chinese name of more characters
MAX_WORD = 4  # the longest dictionary word looked for besides the segmentation's
MAX_RUN = 8  # characters transliterating one Latin word
CEILING = 0.9  # a translation or transliteration is never as sure as the same words
VOWEL_WEIGHT = 0.1  # the share of a sound match's quality that rests on the vowels agreeing
SOUND_FLOOR = 0.75  # a run of characters transliterates a word only this well or better


@dataclass(frozen=True)
class LatinMatch:
    """One Latin word (or two) and the characters that render it."""

    latin: tuple[str, ...]
    han: str
    kind: str  # gloss | latin | pinyin | japanese | sound | compound
    quality: float
    evidence: str  # the gloss, the spelling, the reading or the sounds


@dataclass(frozen=True)
class HanLatin:
    """How a name in Chinese characters compares with a name in Latin letters."""

    score: float
    matches: tuple[LatinMatch, ...]
    latin_covered: float  # share of the Latin letters matched (weighted by quality)
    han_covered: float  # share of the characters matched (weighted by quality)
    unmatched_latin: tuple[str, ...]
    unmatched_han: str


NO_MATCH = HanLatin(0.0, (), 0.0, 0.0, (), "")


# ---------------------------------------------------------------------------------------------------------------
# Sounds: Latin spelling and pinyin syllables, each as a string of consonant classes ("V" stands for a vowel onset).

_LATIN_RULES = (  # longest first, applied left to right
    ("tsch", "C"), ("sch", "X"), ("tch", "C"), ("ch", "C"), ("sh", "X"), ("ck", "K"), ("ph", "F"), ("th", "T"),
    ("gh", ""), ("ng", "N"), ("qu", "KW"), ("dg", "J"), ("ts", "S"), ("tz", "S"), ("zh", "J"), ("kh", "K"), ("wh", "W"),
    ("x", "KS"), ("q", "K"), ("k", "K"), ("b", "P"), ("p", "P"), ("d", "T"), ("t", "T"), ("f", "F"), ("v", "F"),
    ("m", "M"), ("n", "N"), ("l", "L"), ("r", "L"), ("s", "S"), ("z", "S"), ("j", "J"), ("w", "W"), ("h", "H"),
)
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=65_536)
def consonant_classes(word: str) -> str:
    """A Latin word as consonant classes: P (b p), T (d t th), K (k hard-c hard-g q ck), F (f v ph), M, N, L (l r),
    S (s z ts soft-c), X (sh), C (ch), J (j soft-g), W, H, Y; a leading vowel as V; doubled letters once."""
    word = re.sub(r"([a-z])\1+", r"\1", word.lower())  # doubled letters are one sound ("nn", "tt")
    out: list[str] = []
    i = 0
    if word[:1] in _VOWELS and word[:1] != "y":
        out.append("V")
    while i < len(word):
        ch = word[i]
        if ch in _VOWELS:
            if ch == "y" and (i == 0 or word[i - 1] in _VOWELS) and i + 1 < len(word) and word[i + 1] in _VOWELS:
                out.append("Y")
            i += 1
            continue
        if ch == "c" and word[i + 1:i + 2] == "k":
            out.append("K")
            i += 2
            continue
        if ch == "c":
            out.append("S" if word[i + 1:i + 2] in ("e", "i", "y") else "K" if word[i + 1:i + 2] != "h" else "")
            if word[i + 1:i + 2] == "h":
                out.append("C")
                i += 2
                continue
            i += 1
            continue
        if ch == "w" and i > 0 and word[i - 1] in _VOWELS and word[i + 1:i + 2] not in _VOWELS:
            i += 1  # "ew", "ow", "aw": a vowel
            continue
        if ch == "g" and word[i + 1:i + 2] != "h":
            out.append("J" if word[i + 1:i + 2] in ("e", "i", "y") else "K")  # 吉 ji renders "gi" either way
            i += 1
            continue
        for spelling, classes in _LATIN_RULES:
            if word.startswith(spelling, i):
                out.append(classes)
                i += len(spelling)
                break
        else:
            i += 1  # a digit or another sign: no sound
    text = "".join(out)
    if word.endswith("h") and text.endswith("H"):
        text = text[:-1]  # "Jonah", "Sarah": a final h is not said
    return text


_PINYIN_INITIALS = (("zh", "J"), ("ch", "C"), ("sh", "X"), ("b", "P"), ("p", "P"), ("d", "T"), ("t", "T"),
                    ("g", "K"), ("k", "K"), ("h", "H"), ("f", "F"), ("m", "M"), ("n", "N"), ("l", "L"), ("r", "L"),
                    ("z", "S"), ("c", "S"), ("s", "S"), ("j", "J"), ("q", "C"), ("x", "X"), ("y", "Y"), ("w", "W"))


@lru_cache(maxsize=4096)
def syllable_classes(syllable: str) -> str:
    """One toneless pinyin syllable as consonant classes: its initial, then N for a nasal final ("lang" -> "LN");
    尔 "er" stands for an r or l ("L"); a syllable without initial is a vowel ("V")."""
    if syllable in ("er", "r"):
        return "L"
    initial = next((c for s, c in _PINYIN_INITIALS if syllable.startswith(s) and len(syllable) > len(s)), "V")
    if initial == "Y" and syllable in ("yi", "yin", "ying", "yu", "yue", "yuan", "yun", "you"):
        initial = "Y" if syllable.startswith(("yue", "you", "yu")) else "V"
    coda = "N" if syllable.endswith("n") or syllable.endswith("ng") else ""
    return initial + coda


_NEAR = {  # classes that transliteration confuses, with the cost of taking one for the other
    frozenset("SX"): 0.3, frozenset("SC"): 0.35, frozenset("XC"): 0.25, frozenset("JC"): 0.2, frozenset("JX"): 0.35,
    frozenset("SJ"): 0.35, frozenset("JY"): 0.3, frozenset("HX"): 0.3, frozenset("HK"): 0.4, frozenset("KC"): 0.4,
    frozenset("FW"): 0.25, frozenset("FP"): 0.45, frozenset("WV"): 0.3, frozenset("YV"): 0.2, frozenset("TS"): 0.45,
    frozenset("NM"): 0.3, frozenset("NL"): 0.5, frozenset("KJ"): 0.3, frozenset("HV"): 0.3, frozenset("WH"): 0.4,
    frozenset("TC"): 0.4, frozenset("KW"): 0.5, frozenset("TX"): 0.4,
}
_DROP_LATIN = {"L": 0.2, "H": 0.25, "S": 0.45, "V": 0.25, "Y": 0.3, "W": 0.5, "N": 0.45, "M": 0.6}  # often not said
_DROP_HAN = {"V": 0.3, "N": 0.5, "L": 0.6, "Y": 0.6}  # added by the Chinese rendering (a vowel, a nasal, 尔 "er")


@lru_cache(maxsize=1024)
def _may_begin(latin: str, han: str) -> bool:
    """Whether a transliteration may begin with this class for that one (see :func:`sound_similarity`)."""
    return latin == han or _NEAR.get(frozenset((latin, han)), 1.0) <= 0.35


def _han_drop(b: str, j: int) -> float:
    """The cost of a class the Chinese rendering has and the Latin word does not: a nasal said twice across two
    syllables (安妮 "an ni" for "Anne") costs little."""
    if j > 0 and b[j] == b[j - 1] == "N":
        return 0.15
    return _DROP_HAN.get(b[j], 1.0)


def _substitute(a: str, b: str) -> float:
    return 0.0 if a == b else _NEAR.get(frozenset((a, b)), 1.0)


@lru_cache(maxsize=262_144)
def sound_similarity(syllables: tuple[str, ...], word: str) -> float:
    """How well these pinyin syllables transliterate the Latin word: 1 - the cheapest alignment's cost over the
    longer consonant string (0 when they share nothing)."""
    a = consonant_classes(word)
    b = "".join(syllable_classes(s) for s in syllables)
    if not a or not b or not _may_begin(a[0], b[0]):
        return 0.0  # a transliteration keeps the first sound
    n, m = len(a), len(b)
    prev = [0.0] * (m + 1)
    for j in range(1, m + 1):
        prev[j] = prev[j - 1] + _han_drop(b, j - 1)
    for i in range(1, n + 1):
        drop = _DROP_LATIN.get(a[i - 1], 1.0)
        if i == n and a[i - 1] in "STK":
            drop = min(drop, 0.5)  # a final s, t or k is often left unsaid
        row = [prev[0] + drop] + [0.0] * m
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + _substitute(a[i - 1], b[j - 1]), prev[j] + drop,
                         row[j - 1] + _han_drop(b, j - 1))
        prev = row
    return max(0.0, 1.0 - prev[m] / max(n, m))


_VOWELLESS = frozenset({"er", "si", "zi", "ci", "shi", "zhi", "chi", "ri"})  # 尔 斯 兹: a consonant alone


@lru_cache(maxsize=65_536)
def latin_vowels(word: str) -> str:
    """The vowel sounds of a Latin word in three classes: A, I (e, i, y), U (o, u); a final silent e dropped."""
    word = word.lower()
    if word.endswith("e") and len(word) > 3 and word[-2] not in _VOWELS:
        word = word[:-1]
    out = []
    for found in re.finditer(r"[aeiouy]+", word):
        group = found.group()
        if found.start() == 0 and group[0] == "y":
            group = group[1:]  # a leading y is a consonant ("Yashima")
        if not group:
            continue
        out.append("A" if group[0] == "a" and group not in ("au", "aw") else "U" if (group[0] in "ou" and
                   group not in ("ou",)) or group == "au" else "I")
    return "".join(out)


@lru_cache(maxsize=4096)
def syllable_vowel(syllable: str) -> str:
    """The vowel sound a pinyin syllable gives a transliteration ("" for 克 ke, 德 de, 斯 si: a consonant alone)."""
    initial = next((s for s, _ in _PINYIN_INITIALS if syllable.startswith(s) and len(syllable) > len(s)), "")
    final = syllable[len(initial):]
    if syllable in _VOWELLESS or (initial and final == "e"):
        return ""
    if final in ("ian", "uan") and initial in ("j", "q", "x", "y"):
        return "I"
    if "a" in final:
        return "A"
    if "o" in final or (final.startswith("u") and initial not in ("j", "q", "x", "y") and final != "ui"):
        return "U"
    return "I"


def vowel_agreement(syllables: tuple[str, ...], word: str) -> float:
    """How well the vowels agree (1 when either side has none to compare)."""
    a, b = latin_vowels(word), "".join(syllable_vowel(s) for s in syllables)
    if not a or not b:
        return 1.0
    return float(Levenshtein.normalized_similarity(a, b))


# ---------------------------------------------------------------------------------------------------------------
# Glosses: CC-CEDICT through Lindera.

@lru_cache(maxsize=1)
def glossary() -> dict[str, tuple[str, ...]]:
    """English organisation words and the Chinese words that render them (``glossary.toml``), by stem."""
    out: dict[str, tuple[str, ...]] = {}
    for word, renderings in _glossary_words().items():
        for key in {word, stem(word)}:
            out[key] = tuple(dict.fromkeys(out.get(key, ()) + tuple(renderings)))
    return out


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import lindera  # type: ignore[import-untyped]

    return lindera.Tokenizer(lindera.load_dictionary("embedded://cc-cedict"), mode="normal")


_STEM_ENDINGS = tuple(sorted((("ies", "y"), ("ses", "s"), ("s", ""), ("ing", ""), ("ed", ""), ("al", ""), ("ic", ""),
                              ("ics", ""), ("ion", ""), ("ions", ""), ("ation", ""), ("ance", ""), ("ence", "")),
                             key=lambda e: -len(e[0])))  # longest first


@lru_cache(maxsize=131_072)
def stem(word: str) -> str:
    """A rough English stem, enough to meet a gloss ("systems" / "system", "aeronautics" / "aeronautic")."""
    for ending, repl in _STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)] + repl
    return word


@dataclass(frozen=True)
class _Word:
    text: str  # the characters
    start: int  # position of its first character in the name's characters
    syllables: tuple[str, ...]  # one per character
    glosses: frozenset[str]  # stems of the English words of its glosses
    acronyms: frozenset[str]  # "(AI)" in a gloss


def _gloss_words(definitions: str) -> tuple[frozenset[str], frozenset[str]]:
    words: set[str] = set()
    acronyms = {a.lower() for a in re.findall(r"\(([A-Z0-9]{2,6})\)", definitions)}
    for sense in definitions.split("/"):
        sense = re.sub(r"CL:.*", "", sense)
        sense = re.sub(r"\[[^\]]*\]|\b(?:variant|old|classifier|surname|abbr|see|used in)\b.*", "", sense)
        for word in re.findall(r"[A-Za-z]+", sense):
            word = word.lower()
            if len(word) >= 2 and word not in LATIN_FUNCTION:
                words.add(stem(word))
    return frozenset(words), frozenset(acronyms)


@lru_cache(maxsize=8192)
def _lookup(text: str) -> tuple[tuple[str, str, str], ...]:
    """Lindera's segmentation of a run of characters: (word, pinyin with tone numbers, definitions)."""
    out = []
    for token in _tokenizer().tokenize(text):
        details = token.details
        pinyin = details[4] if len(details) > 4 else "*"
        definitions = ",".join(details[7:]) if len(details) > 7 else ""
        out.append((token.surface, pinyin, definitions))
    return tuple(out)


def _syllables(word: str, pinyin: str) -> tuple[str, ...]:
    spoken = tuple(re.sub(r"[0-9]", "", s).lower().replace("u:", "u") for s in pinyin.split())
    if len(spoken) == len(word) and all(s.isalpha() for s in spoken):
        return spoken
    own = pinyin_syllables(word)
    return own if len(own) == len(word) else tuple(own[:len(word)]) + ("",) * max(0, len(word) - len(own))


@dataclass(frozen=True)
class _Reading:
    chars: str  # the name's characters (company forms and function characters out)
    words: tuple[_Word, ...]  # the segmentation's words, each character of a longer one on its own, and the other
    # dictionary words inside the name
    latin: tuple[str, ...]  # Latin words and numbers written inside the Chinese name ("OKI奈克斯泰克")
    starts: frozenset[int]  # where a dictionary word starts (a transliteration does not split a word)
    pieces: tuple[int, ...]  # the piece (between separators: 约纳·戴蒙德 has two) of each character


@lru_cache(maxsize=16_384)
def read_han(name: str) -> _Reading:
    """The Chinese name's characters, dictionary words (with each character of a longer word also on its own: a
    name may use it for its sound or its own meaning) and any Latin words inside it."""
    text = unicodedata.normalize("NFKC", name)[:4 * MAX_CHARS]  # more is no name (see compare)
    latin = tuple(t for t in fold("".join(" " if is_han(c) else c for c in text)).split()
                  if t not in COMPANY_FORMS and t not in LATIN_FUNCTION)
    pieces = [p for p in SEPARATORS.split("".join(c if is_han(c) and c not in HAN_FUNCTION else " " for c in text))
              if p]
    chars: list[str] = []
    words: list[_Word] = []
    starts: set[int] = set()
    piece_of: list[int] = []
    for n, piece in enumerate(pieces):
        if n == len(pieces) - 1:
            piece, _ = strip_han_company_forms(piece)
        for form in HAN_FORMS:
            if piece.endswith(form) and (len(piece) > len(form) or latin):  # "TDK株式会社": all of it a form
                piece = piece[: -len(form)]
        if not piece:
            continue
        begin = len(chars)
        for word, pinyin, definitions in _lookup(piece):
            if word in HAN_FUNCTION:
                continue
            start = len(chars)
            starts.add(start)
            syllables = _syllables(word, pinyin)
            glosses, acronyms = _gloss_words(definitions)
            words.append(_Word(word, start, syllables, glosses, acronyms))
            if len(word) > 1:
                for k, char in enumerate(word):
                    g, a = _gloss_words(",".join(d for _, _, d in _lookup(char)))
                    words.append(_Word(char, start + k, syllables[k:k + 1], g, a))
            chars.extend(word)
            piece_of.extend([n] * len(word))
        segmented = {(w.start, len(w.text)) for w in words}
        for at in range(begin, len(chars)):  # other dictionary words the segmentation did not take (日本海|洋: 海洋)
            for size in range(2, min(MAX_WORD, len(chars) - at) + 1):
                inner = "".join(chars[at:at + size])
                found = _lookup(inner) if (at, size) not in segmented else ()
                if len(found) == 1 and found[0][0] == inner and found[0][1] != "*":
                    glosses, acronyms = _gloss_words(found[0][2])
                    words.append(_Word(inner, at, _syllables(inner, found[0][1]), glosses, acronyms))
    starts.add(len(chars))
    return _Reading("".join(chars), tuple(words), latin, frozenset(starts), tuple(piece_of))


@lru_cache(maxsize=65_536)
def _latin_words(name: str) -> tuple[str, ...]:
    return tuple(t for t in fold(name).split() if t not in COMPANY_FORMS and t not in LATIN_FUNCTION)


# ---------------------------------------------------------------------------------------------------------------

Candidate = tuple[float, frozenset[int], frozenset[int], LatinMatch]  # weight, characters, Latin words, match
WordMatch = tuple[frozenset[int], LatinMatch]  # characters, match of one Latin word


def _candidates(han_name: str, reading: _Reading, words: tuple[str, ...]) -> list[Candidate]:
    """Every way a part of the Chinese name may render a Latin word (or two), weighted by the shares of both names
    it would account for and its quality."""
    latin_total = sum(len(w) for w in words)
    han_total = max(1, len(reading.chars))
    out: list[Candidate] = []
    for j, word in enumerate(words):
        for span, match in word_matches(han_name, word) + compound_matches(han_name, word):
            extra = len(match.han) / 3 if match.kind == "latin" else 0.0  # a Latin word inside counts as a character
            weight = match.quality * (len(word) / latin_total + (len(span) + extra) / han_total)
            out.append((weight, span, frozenset((j,)), match))
        if j + 1 < len(words):
            first, second = stem(word), stem(words[j + 1])
            for w in reading.words:
                if len(w.text) > 1 and first in w.glosses and second in w.glosses:
                    span = frozenset(range(w.start, w.start + len(w.text)))
                    weight = (len(word) + len(words[j + 1])) / latin_total + len(span) / han_total
                    out.append((weight, span, frozenset((j, j + 1)), LatinMatch(
                        (word, words[j + 1]), w.text, "gloss", 1.0, _gloss_of(w.text, word))))
    return out


@lru_cache(maxsize=131_072)
def word_matches(han_name: str, word: str) -> tuple[WordMatch, ...]:
    """Every run of the Chinese name's characters that may render one Latin word: by the glossary, a Latin word
    inside the Chinese name, a dictionary gloss, the pinyin (or Wade-Giles) spelling, or the sounds."""
    reading = read_han(han_name)
    chars = reading.chars
    out: list[WordMatch] = []
    root = stem(word)
    renderings = glossary()
    for rendering in renderings.get(word, ()) + renderings.get(root, ()):
        at = chars.find(rendering)
        while at >= 0:
            out.append((frozenset(range(at, at + len(rendering))),
                        LatinMatch((word,), rendering, "gloss", 1.0 if len(rendering) > 1 else 0.85, "glossary")))
            at = chars.find(rendering, at + 1)
    for inner in reading.latin:
        if inner == word or (len(word) > 3 and inner == word.rstrip("s")):
            out.append((frozenset(), LatinMatch((word,), inner, "latin", 1.0, "written in Latin letters")))
    if word.isdigit():
        return tuple(out)
    for w in reading.words:
        if root in w.glosses or word in w.acronyms:
            quality = 1.0 if len(w.text) > 1 else 0.85  # one character's glosses are many and loose
            out.append((frozenset(range(w.start, w.start + len(w.text))),
                        LatinMatch((word,), w.text, "gloss", quality, _gloss_of(w.text, word))))
    out += pinyin_matches(han_name, word)
    if len(word) >= 3:  # a Japanese name in kanji ("Nitto Denko" / 日东电工), with the optional pykakasi
        for span, kanji, said in _japanese_runs(han_name):
            similarity = fuzz.ratio(said, word) / 100
            if similarity == 1.0 or (similarity >= JAPANESE_FLOOR and len(word) >= 5):
                out.append((span, LatinMatch((word,), kanji, "japanese", round(similarity, 3), said)))
    classes = consonant_classes(word)
    if word in pinyin_inventory() or (len(classes) < 2 and (len(word) < 3 or not classes)):
        return tuple(out)  # one pinyin syllable ("li", "wang") is matched by its pinyin only
    syllables = _char_syllables(han_name)
    lo, hi = max(2, (len(classes) + 1) // 3), min(MAX_RUN, len(classes) + 2, 2 if len(classes) < 2 else MAX_RUN)
    first = classes[0]
    for a in range(len(chars)):
        if a not in reading.starts or not syllables[a] or not _may_begin(first, syllable_classes(syllables[a])[0]):
            continue
        for b in range(a + lo, min(len(chars), a + hi) + 1):
            if b not in reading.starts or reading.pieces[b - 1] != reading.pieces[a]:
                continue
            run = syllables[a:b]
            if "" in run:
                continue
            similarity = sound_similarity(run, word)
            if similarity >= SOUND_FLOOR:
                similarity *= VOWEL_WEIGHT * vowel_agreement(run, word) + 1 - VOWEL_WEIGHT
            if similarity >= SOUND_FLOOR:
                out.append((frozenset(range(a, b)),
                            LatinMatch((word,), chars[a:b], "sound", round(similarity, 3), " ".join(run))))
    return tuple(out)


@lru_cache(maxsize=131_072)
def pinyin_matches(han_name: str, word: str) -> tuple[WordMatch, ...]:
    """The runs of characters a Latin word spells in pinyin, Wade-Giles or Cantonese ("Chien-ming" / 建铭), any
    reading of each character counting."""
    spellings = readings(word) | ({word} if word in pinyin_inventory() else set())
    if not spellings:
        return ()
    reading = read_han(han_name)
    chars = reading.chars
    out: list[WordMatch] = []
    for a in range(len(chars)):
        for b in range(a + 1, min(len(chars), a + 4) + 1):
            if reading.pieces[a] != reading.pieces[b - 1]:
                break
            spoken = _spelled(spellings, chars[a:b])
            if spoken:
                out.append((frozenset(range(a, b)), LatinMatch((word,), chars[a:b], "pinyin", 1.0, spoken)))
    return tuple(out)


JAPANESE_FLOOR = 0.85  # a Japanese reading matches a Latin word only this well or better (and equal if short)


@lru_cache(maxsize=16_384)
def _japanese_runs(han_name: str) -> tuple[tuple[frozenset[int], str, str], ...]:
    """Runs of the name's characters (one to four, within a piece) as pykakasi reads them in Japanese, of the
    characters as given and of their traditional forms (CC-CEDICT's: a Chinese list writes a Japanese name in
    simplified characters, 日东电工 for 日東電工 "nitto denko"), long vowels as names write them."""
    converter = normalise.kakasi()
    if converter is None:
        return ()
    reading = read_han(han_name)
    chars = reading.chars
    out: dict[tuple[frozenset[int], str], None] = {}
    start = 0
    while start < len(chars):
        end = start
        while end < len(chars) and reading.pieces[end] == reading.pieces[start]:
            end += 1
        piece = chars[start:end]
        for text in dict.fromkeys((piece, _traditional(piece))):
            if len(text) != len(piece):
                continue
            segments, at = [], start
            for part in converter.convert(text):
                size = len(str(part["orig"]))
                segments.append((at, size, str(part["hepburn"])))
                at += size
            for i in range(len(segments)):
                said, size = "", 0
                for first, length, hepburn in segments[i:]:
                    if not hepburn or not hepburn.isascii() or not hepburn.isalpha() or size + length > 4:
                        break
                    said, size = said + hepburn, size + length
                    for long, short in LONG_VOWELS:
                        said = said.replace(long, short)
                    span = frozenset(range(segments[i][0], first + length))
                    out[(span, said)] = None
        start = end
    return tuple((span, "".join(chars[k] for k in sorted(span)), said) for span, said in out)


@lru_cache(maxsize=65_536)
def _traditional(text: str) -> str:
    """The characters in their traditional forms, word by word as CC-CEDICT gives them."""
    out = []
    for token in _tokenizer().tokenize(text):
        details = token.details
        out.append(details[5] if len(details) > 5 and details[5] not in ("*", "") else token.surface)
    return "".join(out)


COMPOUND = 6  # a Latin word this long may be two words run together ("Aerotechnologies", "HavocAI", "L3Harris")


@lru_cache(maxsize=131_072)
def compound_matches(han_name: str, word: str) -> tuple[WordMatch, ...]:
    """A Latin word read as two words run together, when one of them is a word the Chinese name translates (a
    gloss, the glossary or Latin letters inside it) and the other is rendered too, by any means, elsewhere in it."""
    if len(word) < COMPOUND:
        return ()
    known = _translatable(han_name)
    out: list[WordMatch] = []
    for k in range(2, len(word) - 1):
        parts = (word[:k], word[k:])
        if not any(part in known or stem(part) in known for part in parts):
            continue
        for span1, m1 in word_matches(han_name, parts[0]):
            for span2, m2 in word_matches(han_name, parts[1]):
                if span1 & span2 or (m1.kind == "sound" and m2.kind == "sound"):
                    continue
                kind = m1.kind if m1.kind == m2.kind else "compound"
                out.append((span1 | span2, LatinMatch((word,), m1.han + "+" + m2.han, kind,
                                                      round(min(m1.quality, m2.quality) * 0.95, 3),
                                                      f"{parts[0]} = {m1.han}, {parts[1]} = {m2.han}")))
    return tuple(out)


@lru_cache(maxsize=16_384)
def _translatable(han_name: str) -> frozenset[str]:
    """English words the Chinese name has a rendering of: the glossary's, its dictionary words' glosses and
    acronyms, the Latin words inside it."""
    reading = read_han(han_name)
    known = set(glossary()) | {g for w in reading.words if len(w.text) > 1 for g in w.glosses} | set(reading.latin)
    return frozenset(known | {a for w in reading.words for a in w.acronyms})


@lru_cache(maxsize=16_384)
def char_readings(char: str) -> tuple[str, ...]:
    """Every toneless pinyin reading of one character (柏 is bai, bo and bo4 in names: "bai", "bo")."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(r.replace("ü", "u").replace("v", "u") for r in found[0])) if found else ()


def _spelled(spellings: frozenset[str] | set[str], chars: str) -> str:
    """The syllables (one reading of each character) that run together into one of ``spellings``, or ""."""

    def walk(spelling: str, k: int) -> list[str] | None:
        if k == len(chars):
            return [] if not spelling else None
        for syllable in char_readings(chars[k]):
            if spelling.startswith(syllable):
                rest = walk(spelling[len(syllable):], k + 1)
                if rest is not None:
                    return [syllable, *rest]
        return None

    for spelling in spellings:
        found = walk(spelling, 0)
        if found:
            return " ".join(found)
    return ""


@lru_cache(maxsize=16_384)
def _char_syllables(han_name: str) -> tuple[str, ...]:
    """The pinyin of each of the name's characters, as its dictionary word reads it (重 in 重庆 is chong)."""
    reading = read_han(han_name)
    out = [""] * len(reading.chars)
    for w in reading.words:
        if len(w.text) == 1 and w.syllables:
            out[w.start] = w.syllables[0] if not out[w.start] else out[w.start]
    for w in reading.words:
        for k, s in enumerate(w.syllables):
            if w.start + k < len(out) and s and len(w.text) > 1:
                out[w.start + k] = s  # a word's reading settles its characters' (重 in 重庆 is chong)
    return tuple(out)


def _gloss_of(text: str, word: str) -> str:
    for _, _, definitions in _lookup(text)[:1]:
        for sense in definitions.split("/"):
            if re.search(rf"\b{re.escape(word[:4])}", sense, re.IGNORECASE):
                return sense.strip()
        return definitions.split("/")[0].strip()
    return ""


def compare(han_name: str, latin_name: str) -> HanLatin:
    """A name in Chinese characters against a name in Latin letters. The score is the geometric mean of the share
    of Latin letters and the share of characters matched (each weighted by the quality of its match), so both names
    must be mostly accounted for, and at most :data:`CEILING`."""
    reading = read_han(han_name)
    words = _latin_words(latin_name)
    if (not reading.chars and not reading.latin) or not words:
        return NO_MATCH
    if len(words) > MAX_WORDS or len(reading.chars) > MAX_CHARS:
        return NO_MATCH  # not a name (an address, a description): left to the comparison of the same script
    chinese = len(words) > 1 and is_sinitic(words)  # a Chinese name in Latin letters: by its syllables only
    if chinese:
        spelled = [pinyin_matches(han_name, word) for word in words]
        if not all(spelled):
            return NO_MATCH  # every syllable or nothing (below)
        letters, characters = sum(len(w) for w in words), max(1, len(reading.chars))
        candidates = [((len(word) / letters + len(span) / characters), span, frozenset((j,)), match)
                      for j, (word, found) in enumerate(zip(words, spelled, strict=True)) for span, match in found]
    else:
        candidates = _candidates(han_name, reading, words)
    chosen = _assign(candidates, len(words), reading.pieces)
    kinds = {c[3].kind for c in chosen}
    if "pinyin" in kinds and "japanese" in kinds:  # a name is read in Chinese or in Japanese, not both
        chosen = max((_assign([c for c in candidates if c[3].kind != kind], len(words), reading.pieces)
                      for kind in ("pinyin", "japanese")), key=lambda cs: sum(c[0] for c in cs))
    used_chars = {k for c in chosen for k in c[1]}
    used_words = {j for c in chosen for j in c[2]}
    covered_latin = sum(len(words[j]) * c[3].quality for c in chosen for j in c[2])
    covered_han = sum(len(c[1]) * c[3].quality for c in chosen)
    latin_letters = sum(len(w) for w in words)
    han_total = len(reading.chars) + sum(len(t) for t in reading.latin) / 3  # a Latin word counts as a character
    covered_han += sum(len(t) / 3 for t in reading.latin if any(c[3].kind == "latin" and c[3].han == t for c in chosen))
    lat = covered_latin / latin_letters
    han = covered_han / han_total if han_total else 0.0
    score = min(CEILING, (lat * han) ** 0.5)
    if chinese and (lat < 1 or han < 1):
        score = 0.0  # every syllable must be there: 陈美珠 is not "Chen Zhu", 张伟 not "Zhang Wen"
    unmatched = tuple(w for j, w in enumerate(words) if j not in used_words)
    rest = "".join(c for k, c in enumerate(reading.chars) if k not in used_chars)
    return HanLatin(round(score, 4), tuple(c[3] for c in chosen), round(lat, 3), round(han, 3), unmatched, rest)


def _keep_best(states: dict[Any, tuple[float, Any]], key: Any, value: tuple[float, Any]) -> None:
    if key not in states or value[0] > states[key][0]:
        states[key] = value


TOP = 8  # candidates kept per Latin word for the assignment
BEAM = 64  # partial assignments kept from one Latin word to the next


def _assign(candidates: list[Candidate], words: int, pieces: tuple[int, ...]) -> tuple[Candidate, ...]:
    """The candidates that together account for most of both names: no character and no Latin word used twice,
    and at most one word matched by sound in each piece between separators, the pieces in the words' order
    (约纳·戴蒙德 is two words, 彼蒂科菲尔 one). Over the Latin words in order, keeping the :data:`BEAM` best partial
    choices (exact for names of a few words; bounded for long ones)."""
    by_word: list[list[tuple[Candidate, int, int]]] = [[] for _ in range(words)]
    for c in sorted(candidates, key=lambda c: -c[0]):
        j = min(c[2])
        if len(by_word[j]) < TOP:
            by_word[j].append((c, sum(1 << k for k in c[1]), sum(1 << k for k in c[2])))
    # state: (characters used, Latin words used, last piece matched by sound) -> (total weight, choices)
    states: dict[tuple[int, int, int], tuple[float, tuple[Candidate, ...]]] = {(0, 0, -1): (0.0, ())}
    for j in range(words):
        grown: dict[tuple[int, int, int], tuple[float, tuple[Candidate, ...]]] = {}
        keep = partial(_keep_best, grown)
        for (chars, used, last), (total, chosen) in states.items():
            keep((chars, used, last), (total, chosen))
            if used >> j & 1:
                continue  # taken with the word before it ("human rights" / 人权)
            for c, char_mask, word_mask in by_word[j]:
                if char_mask & chars or word_mask & used:
                    continue
                piece = last
                if c[3].kind == "sound":
                    piece = pieces[min(c[1])]
                    if piece <= last:
                        continue
                keep((chars | char_mask, used | word_mask, piece), (total + c[0], (*chosen, c)))
        states = dict(sorted(grown.items(), key=lambda item: -item[1][0])[:BEAM])
    return max(states.values(), key=lambda v: v[0])[1]


# ---------------------------------------------------------------------------------------------------------------
# Blocking keys: how a screening index finds a Latin name from a Chinese one and back (see matcher.PartyIndex).
# Sounds are keyed by their first three or four consonant classes, coarsened to what transliteration keeps apart
# ("k:" keys are posted by Latin names and looked up by Chinese queries, "j:" keys the other way round); meanings by
# the English words of the Chinese words' glosses ("t:" keys, a Latin name's own token keys; "g:" stems posted by
# Chinese names for Latin queries).

_COARSE = str.maketrans({"H": "S", "X": "S", "C": "S", "J": "S", "M": "N", "W": "F", "Y": "", "V": ""})


def _coarse(classes: str) -> str:
    return re.sub(r"(.)\1+", r"\1", classes.translate(_COARSE))


def _prefixes(classes: str) -> set[str]:
    return {classes[:n] for n in (3, 4) if len(classes) >= n}


@lru_cache(maxsize=65_536)
def _latin_sound_keys(word: str) -> frozenset[str]:
    full = consonant_classes(word)
    variants = {full, full[:1] + full[1:].replace("W", ""), full[:1] + full[1:3].replace("L", "", 1) + full[3:]}
    keys: set[str] = set()
    for variant in variants:
        coarse = _coarse(variant)
        if len(coarse) == 3 or len(coarse) >= 4:
            keys.add(coarse[:4] if len(coarse) >= 4 else coarse)
    return frozenset(keys)


def _han_sound_keys(han_name: str) -> set[str]:
    reading = read_han(han_name)
    syllables = _char_syllables(han_name)
    keys: set[str] = set()
    for a in range(len(reading.chars)):
        if a not in reading.starts or not syllables[a]:
            continue
        run = [s for k, s in enumerate(syllables[a:a + 5]) if s and reading.pieces[a + k] == reading.pieces[a]]
        with_coda = "".join(syllable_classes(s) for s in run)
        without = "".join(syllable_classes(s)[:1] for s in run)
        for classes in (with_coda, without):
            classes = classes[:1] + classes[1:].replace("V", "")
            keys |= _prefixes(_coarse(classes))
    return keys


def _english_words(reading: _Reading) -> set[str]:
    """English words the Chinese name's words may translate to: the glossary's, and the glosses of its dictionary
    words of two or more characters that are proper names (Lindera gives their pinyin capitalised: 马丁 Martin)."""
    reverse = _reverse_glossary()
    out: set[str] = set()
    for w in reading.words:
        if len(w.text) < 2:
            continue
        out |= reverse.get(w.text, set())
        for _, pinyin, definitions in _lookup(w.text)[:1]:
            if pinyin[:1].isupper():
                out |= {x.lower() for x in re.findall(r"\b[A-Z][a-z]{2,}", definitions.split("/")[0])}
    for rendering, words in reverse.items():
        if len(rendering) > 1 and rendering in reading.chars:
            out |= words
    return out


@lru_cache(maxsize=1)
def _glossary_words() -> dict[str, list[str]]:
    text = resources.files("reetrace.domains.screening").joinpath("glossary.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["words"])


@lru_cache(maxsize=1)
def _reverse_glossary() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for word, renderings in _glossary_words().items():
        for rendering in renderings:
            out.setdefault(rendering, set()).add(word)
    return out


@lru_cache(maxsize=16_384)
def query_keys(han_name: str) -> frozenset[str]:
    """Keys a query in Chinese characters looks up to find listed names in Latin letters."""
    reading = read_han(han_name)
    keys = {f"k:{k}" for k in _han_sound_keys(han_name)}
    keys |= {f"t:{w}" for w in _english_words(reading)} | {f"t:{t}" for t in reading.latin}
    return frozenset(keys)


def listed_keys(han_name: str) -> frozenset[str]:
    """Keys a listed name in Chinese characters is posted under, for queries in Latin letters."""
    reading = read_han(han_name)
    keys = {f"j:{k}" for k in _han_sound_keys(han_name)}
    keys |= {f"g:{stem(w)}" for w in _english_words(reading)}
    keys |= {f"l:{t}" for t in reading.latin if len(t) >= 2}  # Latin words written inside it ("IHI宇航株式会社")
    return frozenset(keys)


def latin_keys(tokens: tuple[str, ...]) -> frozenset[str]:
    """Keys a listed name in Latin letters (its words as :mod:`.normalise` reads them) is posted under, for queries
    in Chinese characters."""
    return frozenset(f"k:{k}" for w in tokens if not w.isdigit() for k in _latin_sound_keys(w))


@lru_cache(maxsize=16_384)
def latin_query_keys(tokens: tuple[str, ...]) -> frozenset[str]:
    """Keys a query in Latin letters (its words as :mod:`.normalise` reads them) looks up to find listed names in
    Chinese characters: four-class sound keys only (three classes find too many), gloss stems, and its words as
    written, for a listed name that writes them inside its characters ("IHI Aerospace" / "IHI宇航株式会社")."""
    words = [w for w in tokens if not w.isdigit()]
    return frozenset({f"j:{k}" for w in words for k in _latin_sound_keys(w) if len(k) == 4} |
                     {f"g:{stem(w)}" for w in words} | {f"l:{w}" for w in tokens if len(w) >= 2})
