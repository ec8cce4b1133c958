"""Phonetic keys for name tokens: a consonant skeleton that survives transliteration.

Arabic, Hebrew, Persian and Thai are written without (most) vowels, and their romanisations differ mostly in the
vowels ("mhmd" / "Mohamed" / "Muhammad", "dvd" / "David", "smchay" / "Somchai"); Latin spellings of one name differ
in voicing and doubling ("Hasan" / "Hassan", "Gasprom" / "Gazprom"). The key keeps the consonants, merges voiced and
unvoiced pairs and common digraphs, drops vowels (and the half-vowels w and y inside a word) and collapses doubled
letters. Two tokens with the same key (of at least two consonants, or one for a vowel-less token) sound alike.
"""

from __future__ import annotations

from functools import lru_cache

_DIGRAPHS = (("sch", "s"), ("tch", "c"), ("ph", "f"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("dh", "t"),
             ("sh", "s"), ("zh", "j"), ("ch", "c"), ("ck", "k"), ("dj", "j"), ("dzh", "j"), ("ts", "s"))
_LETTERS = str.maketrans({"q": "k", "c": "k", "g": "k", "b": "p", "d": "t", "v": "f", "w": "f", "z": "s",
                          "x": "ks", "j": "j"})
_VOWELS = frozenset("aeiouy")


def is_vowelless(token: str) -> bool:
    """A romanised token without written vowels ("mhmd", "ly"), as abjad scripts give."""
    return len(token) >= 2 and token.isalpha() and not any(ch in "aeiou" for ch in token)


@lru_cache(maxsize=262144)
def phonetic_key(token: str) -> str:
    """The consonant skeleton of a lower-case ASCII token ("" for a token with no letters)."""
    if not token.isalpha():
        return ""
    text = token
    for digraph, sound in _DIGRAPHS:
        text = text.replace(digraph, sound)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _VOWELS or (ch == "w" and i > 0):
            continue
        mapped = ch.translate(_LETTERS)
        if out and out[-1] == mapped:
            continue
        out.append(mapped)
    return "".join(out)


def sounds_alike(a: str, b: str) -> bool:
    """Whether two tokens share a phonetic key long enough to mean something."""
    ka, kb = phonetic_key(a), phonetic_key(b)
    if not ka or ka != kb:
        return False
    return len(ka) >= 2 or is_vowelless(a) or is_vowelless(b)
