"""Names made comparable: Unicode folding, company-form words, transliteration and pinyin.

A name becomes one or more *forms*, each a list of lower-case ASCII tokens and how it was obtained (``exact`` for a
Latin name, ``transliteration`` for Cyrillic and other scripts, ``pinyin`` for Chinese characters). Company-form
words ("Ltd", "GmbH", "ООО", "有限公司", ...) are set aside for matching and kept for display; Chinese characters
also give a ``han`` form (the characters themselves, company-form suffixes removed), and a short personal name in
characters also its Japanese reading in Hepburn ("山田太郎" -> "yamada taro") when the optional ``pykakasi`` package
is installed (it is GPL-3.0, so it is an extra, ``reetrace[japanese]``, not a dependency; without it Japanese names
in kanji are read only as pinyin).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .models import Script

# Company-form and legal-form words, folded (lower-case ASCII, no dots). Cyrillic forms are listed transliterated.
_FORM_WORDS = """
llc ltd limited inc incorporated corp corporation co company cos gmbh mbh ag kg kgaa ohg gbr ug se sa sas sasu sarl
eurl snc spa srl sapa srls bv nv vof plc lp llp lllp pllc pc ooo oao zao pao ao tov pat jsc ojsc cjsc pjsc ltda eireli
epp kft zrt nyrt bt as asa ab oy oyj aps a/s hf ehf ks sro spol zoo sp doo dd ad ead ood jsc tdd tbk pt cv fze fzco
fzllc wll pte pty bhd sdn berhad kk gk yk jv sae saog qsc qpsc spc est establishment group holding holdings
aktiengesellschaft kommanditgesellschaft gesellschaft societe anonyme sociedad anonima obshchestvo
spzoo ano nko fgup pvt
gongsi youxian youxiangongsi jituan gufen konggu zeren youxianzerengongsi gufenyouxiangongsi kabushiki kaisha
"""
COMPANY_FORMS = frozenset(_FORM_WORDS.split())
# Legal forms written out in words, as their usual abbreviation (folded text, whole words).
_FORM_PHRASES = (
    ("limited liability company", "llc"), ("limited liability partnership", "llp"),
    ("open joint stock company", "ojsc"), ("closed joint stock company", "cjsc"),
    ("public joint stock company", "pjsc"), ("joint stock company", "jsc"), ("public limited company", "plc"),
    ("gesellschaft mit beschrankter haftung", "gmbh"), ("aktiengeselschaft", "ag"), ("aktiengesellschaft", "ag"),
    ("societatea cu raspundere limitata", "srl"), ("societa a responsabilita limitata", "srl"),
    ("sociedad de responsabilidad limitada", "srl"), ("societe a responsabilite limitee", "sarl"),
    ("obshchestvo s ogranichennoy otvetstvennostyu", "ooo"), ("private limited", "ltd"),
    ("spolka z ograniczona odpowiedzialnoscia", "spzoo"), ("sp z oo", "spzoo"), ("spolka akcyjna", "sa"),
    ("avtonomnaya nekommercheskaya organizatsiya", "ano"),
)
_FORM_PHRASE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p, _ in _FORM_PHRASES) + r")\b")
_FORM_ABBREVIATION = dict(_FORM_PHRASES)
# Chinese company-form suffixes, longest first; removed from the end of a name (repeatedly).
HAN_COMPANY_FORMS = ("股份有限公司", "株式会社", "有限责任公司", "集团有限公司", "控股有限公司", "有限公司",
                     "集团公司", "股份公司", "控股集团", "责任公司", "集团", "公司", "控股", "股份")
STOPWORDS = frozenset({"the", "of", "and", "for", "de", "la", "del", "der", "und", "et"})
# Titles and honorifics set aside when they lead a name ("Dr. John Smith", "Mr Li Wei"); none that is also a name
# part a surname-first list may lead with ("Hon Hai", "SEN, Amartya", "Gen" as a given name).
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mister", "dr", "doctor", "prof", "professor", "sir", "dame", "madam",
                    "mme", "mlle", "herr", "frau", "rev", "senator", "capt", "maj", "lt", "sgt", "president",
                    "minister"})

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c",
    "ђ": "dj", "џ": "dz", "ѓ": "g", "ќ": "k", "ѕ": "dz", "қ": "k", "ғ": "g", "ү": "u", "ұ": "u", "ң": "n",
    "ө": "o", "һ": "h", "ә": "a",
}
# Korean surnames as they are usually written in Latin letters (Revised Romanisation differs: Gim, Bak, I).
KOREAN_SURNAMES = {
    "김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang", "조": "cho", "윤": "yoon",
    "장": "jang", "임": "lim", "한": "han", "오": "oh", "서": "seo", "신": "shin", "권": "kwon", "황": "hwang",
    "안": "ahn", "송": "song", "류": "ryu", "유": "yoo", "홍": "hong", "전": "jeon", "고": "ko", "문": "moon",
    "양": "yang", "손": "son", "배": "bae", "백": "baek", "허": "heo", "노": "roh", "남": "nam", "심": "shim",
    "곽": "kwak", "성": "sung", "차": "cha", "주": "joo", "우": "woo", "구": "koo", "리": "ri",
}
_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen")
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS.split())}
_ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_NUMBER_WORDS.update({w: i + 1 for i, w in enumerate(_ORDINAL_WORDS.split())})
_NUMBER_WORDS.update({"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
                      "seventy": 70, "eighty": 80, "ninety": 90})
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
_TENS_DIGITS = frozenset({"20", "30", "40", "50", "60", "70", "80", "90"})
_TONE_SYLLABLE = re.compile(r"^[a-z]+[1-5]$")
# A digit written for a letter inside a word ("I9or Sech1n"), only between letters: "AHL1", "2004" keep theirs.
_LEET = re.compile(r"(?<=[a-z])[0134579](?=[a-z])")
_LEET_LETTER = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"}
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_DOTTED = re.compile(r"\b(?:\w\.){2,}", re.UNICODE)  # S.A., a.s., O.O.O. -> sa, as, ooo


# Generational and series numerals; "i", "v" and "x" are initials as often, and "xi" is a Chinese name.
ROMAN_VALUE = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "xii": "12",
               "xiii": "13", "xiv": "14", "xv": "15", "xvi": "16", "xvii": "17", "xviii": "18", "xix": "19",
               "xx": "20"}
_DIGIT = re.compile(r"\d")
# Company-form words that mean the same legal form (for the feature "forms_differ").
_SAME_FORM = {"limited": "ltd", "company": "co", "corporation": "corp", "incorporated": "inc", "cos": "co",
              "holdings": "holding", "youxiangongsi": "youxian", "gongsi": "youxian", "oao": "ojsc", "ooo": "llc",
              "zao": "cjsc", "pao": "pjsc", "tov": "llc", "mbh": "gmbh"}


def is_number(token: str) -> bool:
    """A number ("2004", "ahl1") or a generational or series numeral (II .. XX, not XI)."""
    return token in ROMAN_VALUE or bool(_DIGIT.search(token))


def numbers_of(tokens: tuple[str, ...]) -> frozenset[str]:
    """Numbers and generational numerals (II .. XX, not XI) among ``tokens``, numerals as digits."""
    return frozenset(ROMAN_VALUE.get(t, t) for t in tokens if is_number(t))


@dataclass(frozen=True, slots=True)
class NameForm:
    """One way of reading a name: tokens for matching, company-form words set aside, and how it was obtained.

    What the matcher needs of a form again and again is worked out once, when the form is made (``compact``,
    ``letters``, ``numbers``, ``legal_forms``), or the first time it is asked for (:meth:`sinitic`)."""

    transform: str  # exact | transliteration | pinyin | han | hangul
    tokens: tuple[str, ...]
    forms: tuple[str, ...] = ()  # company-form words removed from ``tokens``
    compact: str = field(default="", init=False, compare=False, repr=False)  # the tokens run together
    letters: int = field(default=0, init=False, compare=False, repr=False)  # len(compact)
    sorted_compact: str = field(default="", init=False, compare=False, repr=False)  # the tokens sorted, run together
    numbers: frozenset[str] = field(default=frozenset(), init=False, compare=False, repr=False)
    legal_forms: frozenset[str] = field(default=frozenset(), init=False, compare=False, repr=False)  # Latin, one
    # spelling per legal form (Chinese ones are not compared with Latin ones)
    _sinitic: int = field(default=-1, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        compact = "".join(self.tokens)
        object.__setattr__(self, "compact", compact)
        object.__setattr__(self, "letters", len(compact))
        object.__setattr__(self, "sorted_compact", "".join(sorted(self.tokens)))
        object.__setattr__(self, "numbers", numbers_of(self.tokens))
        object.__setattr__(self, "legal_forms", frozenset(_SAME_FORM.get(t, t) for t in self.forms if t.isascii()))

    def sinitic(self) -> bool:
        """Whether the tokens could be a romanised Chinese name (:func:`.romanise.is_sinitic`), asked once."""
        if self._sinitic < 0:
            from .romanise import is_sinitic

            object.__setattr__(self, "_sinitic", int(is_sinitic(self.tokens)))
        return bool(self._sinitic)


def is_han(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


def script_of(text: str) -> Script:
    """The script most letters of ``text`` are written in."""
    counts = {"latin": 0, "han": 0, "cyrillic": 0, "other": 0}
    for char in text:
        if not char.isalpha():
            continue
        if is_han(char):
            counts["han"] += 1
        elif "\u0400" <= char <= "\u052f":
            counts["cyrillic"] += 1
        elif char.isascii() or unicodedata.name(char, "").startswith("LATIN"):
            counts["latin"] += 1
        else:
            counts["other"] += 1
    if counts["han"] >= 2:
        return "han"  # a Chinese name with a Latin brand in it ("VSE公司") is read as Chinese
    best = max(("cyrillic", "other", "latin"), key=lambda k: counts[k])  # ties go to the first
    return best if counts[best] else "latin"  # type: ignore[return-value]


def strip_marks(text: str) -> str:
    """Remove accents and tone marks from Latin and Greek letters (Cyrillic й, ё keep theirs until transliterated)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        code = ord(char)
        if code < 0x0400 or 0x1E00 <= code <= 0x1FFF:
            out.append("".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)))
        else:
            out.append(char)
    return "".join(out)


def fold(text: str) -> str:
    """NFKC, case-fold, accents off, punctuation to spaces, whitespace collapsed (any script)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    text = text.replace("'", "").replace("’", "").replace("ʼ", "").replace("`", "")
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), strip_marks(text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


_CYRILLIC_ENDINGS = re.compile(r"(?:ий|ый)\b")


def transliterate_cyrillic(text: str) -> str:
    """Cyrillic in Latin letters as English usually writes it (Дмитрий -> dmitry)."""
    text = _CYRILLIC_ENDINGS.sub("y", text.casefold())
    return "".join(_CYRILLIC.get(c, c) for c in text)


@lru_cache(maxsize=65536)
def pinyin_syllables(han: str) -> tuple[str, ...]:
    """Chinese characters as toneless pinyin syllables (other characters pass through as their own tokens)."""
    from pypinyin import Style, lazy_pinyin

    return tuple(s for s in lazy_pinyin(han, style=Style.NORMAL, v_to_u=False, errors="default")
                 for s in fold(s).split())


def other_to_latin(text: str) -> str:
    from anyascii import anyascii

    return anyascii(text)


def split_company_forms(tokens: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(name tokens, company-form tokens); a name made only of company-form words keeps them as its tokens."""
    while len(tokens) > 1 and tokens[0] in TITLES:
        tokens = tokens[1:]
    kept = [t for t in tokens if t not in COMPANY_FORMS and t not in STOPWORDS]
    forms = [t for t in tokens if t in COMPANY_FORMS]
    if not kept:
        return tuple(t for t in tokens if t not in STOPWORDS) or tuple(tokens), ()
    return tuple(kept), tuple(forms)


def strip_han_company_forms(text: str) -> tuple[str, tuple[str, ...]]:
    removed: list[str] = []
    changed = True
    while changed:
        changed = False
        for suffix in HAN_COMPANY_FORMS:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text, changed = text[: -len(suffix)], True
                removed.append(suffix)
                break
    return text, tuple(removed)


def _drop_tone_numbers(tokens: list[str]) -> list[str]:
    if tokens and all(_TONE_SYLLABLE.match(t) for t in tokens):
        return [t[:-1] for t in tokens]
    return tokens


@lru_cache(maxsize=131072)
def name_forms(name: str) -> tuple[NameForm, ...]:
    """Every form of ``name`` used for matching (at least one, possibly with no tokens for an empty name)."""
    folded = fold(name)
    script = script_of(folded)
    if script == "han":
        return _han_forms(folded)
    if script == "cyrillic":
        transform, text = "transliteration", fold(transliterate_cyrillic(folded))
    elif script == "other":
        if any(is_hangul(c) for c in folded):
            return _hangul_forms(folded)
        transform, text = "transliteration", fold(other_to_latin(folded))
        if any("\u0370" <= c <= "\u03ff" for c in folded) and re.search(r"os\b", text):
            tokens, forms = split_company_forms(text.split())
            plain = tuple(t[:-2] if t.endswith("os") and len(t) > 5 else t for t in tokens)
            return NameForm(transform, tokens, forms), NameForm(transform, plain, forms)  # Αλέξανδρος: Alexander
    else:
        transform, text = "exact", folded
        if not text.isascii():
            text = fold(other_to_latin(text))
    text = _FORM_PHRASE.sub(lambda m: _FORM_ABBREVIATION[m.group(0)], text)
    text = _LEET.sub(lambda m: _LEET_LETTER[m.group(0)], text)
    tokens, forms = split_company_forms(numbers_from_words(_drop_tone_numbers(text.split())))
    return (NameForm(transform, tokens, forms),)


def numbers_from_words(tokens: list[str]) -> list[str]:
    """English number words as digits ("forty four" and "forty 4" -> "44", "three" -> "3")."""
    out: list[str] = []
    for token in tokens:
        value = _NUMBER_WORDS.get(token)
        if value is None and _ORDINAL.match(token):
            value = int(token[:-2])
        if value is None and token.isdigit() and len(token) == 1 and out and out[-1] in _TENS_DIGITS:
            value = int(token)
        if value is None:
            out.append(token)
        elif value < 10 and out and out[-1] in _TENS_DIGITS:
            out[-1] = str(int(out[-1]) + value)
        else:
            out.append(str(value))
    return out


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def _hangul_forms(folded: str) -> tuple[NameForm, ...]:
    """A Korean name: each syllable romanised (Revised Romanisation, and its simpler common spelling: eo -> o,
    eu -> u), the surname as usually written in English (김 -> Kim, 박 -> Park, 이 -> Lee), given-name syllables
    apart and run together."""
    words = folded.split()
    if len(words) != 1 or not all(is_hangul(c) for c in words[0]) or not 2 <= len(words[0]) <= 4:
        syllables = tuple(s for s in (fold(other_to_latin(c)) for word in words for c in word) if s)
        hangul = tuple(c for word in words for c in word if is_hangul(c))
        return (NameForm("hangul", hangul), NameForm("transliteration", syllables)) if hangul else (
            NameForm("transliteration", syllables),)
    word = words[0]
    native = NameForm("hangul", tuple(word))
    rr = [fold(other_to_latin(c)) for c in word]
    simple = [s.replace("eo", "o").replace("eu", "u") for s in rr]
    surname = KOREAN_SURNAMES.get(word[0], simple[0])
    given = simple[1:]
    out = [native, NameForm("transliteration", (surname, *given)),
           NameForm("transliteration", (surname, "".join(given)))]
    if rr != simple or surname != rr[0]:
        out.append(NameForm("transliteration", tuple(rr)))
    return tuple(out)


def _han_forms(folded: str) -> tuple[NameForm, ...]:
    compact = folded.replace(" ", "")
    han_text = "".join(c for c in compact if is_han(c))
    latin = fold("".join(" " if is_han(c) else c for c in folded)).split()
    if han_text in HAN_COMPANY_FORMS and latin:  # "Recorded Future公司": a Latin name with a Chinese company form
        tokens, forms = split_company_forms(latin)
        return (NameForm("exact", tokens, (han_text, *forms)),)
    core, removed = strip_han_company_forms(han_text)
    han = NameForm("han", tuple(core), removed)
    syllables = list(pinyin_syllables(core))
    latin_rest = [t for t in fold("".join(" " if is_han(c) else c for c in compact)).split()]
    tokens, forms = split_company_forms(syllables + latin_rest)
    out = [han, NameForm("pinyin", tokens, removed + forms)]
    if 2 < len(core) <= 4 and not removed and not latin_rest and len(syllables) == len(core):
        out.append(NameForm("pinyin", (syllables[0], "".join(syllables[1:]))))  # surname, given name joined
    if 2 <= len(core) <= 4 and not removed and not latin_rest:
        reading = japanese_reading(core)
        if reading:
            out.append(NameForm("transliteration", reading))
    return tuple(out)


LONG_VOWELS = (("ou", "o"), ("oo", "o"), ("uu", "u"))  # Hepburn as names write it, without macrons: Tarō -> Taro


@lru_cache(maxsize=1)
def kakasi() -> Any:
    """pykakasi's converter, or None when the optional package is not installed."""
    try:
        import pykakasi  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return pykakasi.kakasi()  # type: ignore[no-untyped-call,unused-ignore]


@lru_cache(maxsize=65536)
def japanese_reading(han: str) -> tuple[str, ...]:
    """A name in kanji read as Japanese, one token per word ("山田太郎" -> ("yamada", "taro")); () when a character
    has no Japanese reading or ``pykakasi`` is not installed."""
    converter = kakasi()
    if converter is None:
        return ()
    words = [str(part["hepburn"]) for part in converter.convert(han)]
    if not words or not all(w.isascii() and w.isalpha() for w in words):
        return ()
    out = []
    for word in words:
        for long, short in LONG_VOWELS:
            word = word.replace(long, short)
        out.append(word)
    return tuple(out)


def display_without_forms(name: str) -> str:
    """The name with company-form words removed (for explanations)."""
    return " ".join(name_forms(name)[-1].tokens)
