"""Chinese names in other romanisations, read back as pinyin: Wade-Giles and the spellings Hong Kong and Taiwan use.

One Chinese name has several Latin spellings: 习近平 is "Xi Jinping" in pinyin and "Hsi Chin-p'ing" in Wade-Giles,
许 is "Xu" and "Hsu", 张 "Zhang" and "Chang", 蔡 "Cai" and "Tsai", 毛泽东 "Mao Tse-tung". Wade-Giles is derived
here from the pinyin syllable inventory (pypinyin's) by its published rules, apostrophes dropped as names drop them,
so a Wade-Giles syllable reads back as every pinyin syllable it can stand for ("chang": chang or zhang); a small table
adds the Cantonese spellings of common surnames (Chan, Wong, Cheung, Ng, ...). :func:`readings` gives those pinyin
readings of one token, syllables run together or not ("chinping" -> "jinping"); :func:`is_sinitic` says whether a
whole name could be a romanised Chinese name, since only then do readings apply ("Tan Smith" is not "Dan Smith").
"""

from __future__ import annotations

from functools import lru_cache

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c",
             "s", "y", "w")
_WG_INITIAL = {"b": "p", "p": "p", "d": "t", "t": "t", "g": "k", "k": "k", "zh": "ch", "ch": "ch", "r": "j",
               "z": "ts", "c": "ts", "j": "ch", "q": "ch", "x": "hs"}
# Cantonese (Hong Kong, Macau, overseas) spellings of common surnames, and the pinyin of the same character.
CANTONESE = {
    "chan": ("chen",), "wong": ("wang", "huang"), "cheung": ("zhang",), "leung": ("liang",), "lau": ("liu",),
    "lam": ("lin",), "ng": ("wu",), "tse": ("xie",), "ho": ("he",), "yip": ("ye",), "kwok": ("guo",),
    "tsang": ("zeng",), "lee": ("li",), "hui": ("xu",), "fung": ("feng",), "chow": ("zhou",), "yeung": ("yang",),
    "lai": ("li",), "mak": ("mai",), "tang": ("deng",), "tong": ("tang",), "kwan": ("guan",), "law": ("luo",),
    "choi": ("cai",), "chu": ("zhu",), "siu": ("xiao",), "tsui": ("xu",), "kong": ("jiang",), "yuen": ("yuan",),
    "chiu": ("zhao",), "szeto": ("situ",), "au": ("ou",), "mok": ("mo",), "shum": ("cen",), "kam": ("jin",),
}


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü written u), from pypinyin's character readings."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    out = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            syllable = convert(reading, Style.NORMAL, strict=False).replace("ü", "u").replace("v", "u")
            if syllable.isascii() and syllable.isalpha() and any(v in syllable for v in "aeiou"):  # not "n", "hm"
                out.add(syllable)
    return frozenset(out)


def wade_giles(syllable: str) -> str:
    """One pinyin syllable in Wade-Giles, without apostrophes or umlauts ("jin" -> "chin", "zhe" -> "che")."""
    initial = next((i for i in _INITIALS if syllable.startswith(i) and len(syllable) > len(i)), "")
    final = syllable[len(initial):]
    if initial in ("z", "c", "s") and final == "i":
        return {"z": "tzu", "c": "tzu", "s": "ssu"}[initial]
    if initial in ("zh", "ch", "sh", "r") and final == "i":
        return {"zh": "chih", "ch": "chih", "sh": "shih", "r": "jih"}[initial]
    if initial == "y":
        final = {"i": "i", "in": "in", "ing": "ing", "ou": "u", "an": "en", "e": "eh", "ong": "ung", "u": "u",
                 "uan": "uan", "ue": "ueh", "un": "un"}.get(final, final)
        return final if syllable in ("yi", "yin", "ying") else "y" + final
    if initial == "w":
        return "w" + final if final != "u" else "wu"
    if (final == "e" and initial in ("g", "k", "h")) or (final == "uo" and initial not in ("g", "k", "h", "sh")):
        final = "o"
    elif final.endswith("ong"):
        final = final[:-3] + "ung"
    elif final in ("ian", "ie", "ue", "ui"):
        final = {"ian": "ien", "ie": "ieh", "ue": "ueh", "ui": "uei"}[final]
    if syllable == "er":
        return "erh"
    return _WG_INITIAL.get(initial, initial) + final


@lru_cache(maxsize=1)
def _wg_to_pinyin() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for syllable in pinyin_syllables():
        table.setdefault(wade_giles(syllable), set()).add(syllable)
        table.setdefault(syllable, set()).add(syllable)
    for canto, pinyin in CANTONESE.items():
        table.setdefault(canto, set()).update(pinyin)
    return {k: frozenset(v) for k, v in table.items()}


@lru_cache(maxsize=65536)
def segmentations(token: str) -> tuple[tuple[str, ...], ...]:
    """Ways to read ``token`` as one to four romanised syllables (pinyin, Wade-Giles, Cantonese); none when it
    cannot be ("smith")."""
    table = _wg_to_pinyin()
    if token in table:
        return ((token,),)
    out: list[tuple[str, ...]] = []
    for cut in range(1, len(token)):
        head = token[:cut]
        if head in table:
            out.extend((head, *rest) for rest in segmentations(token[cut:]) if len(rest) < 4)
    return tuple(out[:8])


@lru_cache(maxsize=65536)
def readings(token: str) -> frozenset[str]:
    """The pinyin spellings ``token`` can stand for, its syllables run together (empty when it is not Chinese)."""
    table = _wg_to_pinyin()
    out: set[str] = set()
    for parts in segmentations(token):
        joined = {""}
        for part in parts:
            joined = {a + b for a in joined for b in table[part]}
            if len(joined) > 64:
                break
        out |= joined
    return frozenset(out)


@lru_cache(maxsize=65536)
def is_sinitic(tokens: tuple[str, ...]) -> bool:
    """Whether every token of a name reads as one or two romanised Chinese syllables, as Chinese surnames and given
    names do ("hsi chin ping", "mao zedong"; not "maria", read ma-ri-a)."""
    return bool(tokens) and all(any(len(parts) <= 2 for parts in segmentations(t)) for t in tokens)
