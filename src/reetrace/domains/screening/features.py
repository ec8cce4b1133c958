"""What two name forms have in common, as features a small logistic-regression scorer turns into a score.

Tokens are aligned one-to-one, best pairs first (equal, same spelling within an edit distance, same sound by the
consonant skeleton of :mod:`.phonetic`, or an initial); what is left over on each side is then told apart: a token
*substituted* (left over on both sides: "Abdul Hamid" / "Abdul Ghani" are two people) weighs against a match much more
than a token *missing* on one side (an extra middle name, a patronymic). Beyond spelling and sound, a token matches
its usual short form ("Ted" / "Theodore", from ``nicknames.toml``), "bin" matches "ibn", and when both names read as
romanised Chinese (:mod:`.romanise`) a Wade-Giles or Cantonese spelling matches its pinyin ("Hsu" / "Xu",
"Tse-tung" / "Zedong"). Two adjacent tokens left over on one side may match one token on the other run together
("Patr ushev" / "Patrushev"), and a two- or three-letter word one letter off the other side's matches it when at
least two other words are equal ("CVC Health Corp" / "CVS Health Corp", "Kim Jong On" / "Kim Jong Un"; never in
romanised Chinese, where one letter is another syllable). Numbers and generational numerals (II, XIV) must agree.
Each feature is a number in 0..1; the scorer's weights are data (``scorer.toml``), trained on the dev half of the
benchmark by ``bench/screening.py --train``, and every score lists each feature's contribution.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .normalise import ROMAN_VALUE, NameForm, is_number
from .phonetic import is_vowelless, phonetic_key, sounds_alike
from .romanise import readings

TOKEN_FLOOR = 0.7  # below this edit similarity two tokens do not match (unless they sound alike)
SHORT_TOKEN = 3  # tokens this short match only when equal, sounding alike, or as an initial
PHONETIC = 0.9  # similarity given to two tokens that sound alike but are spelled apart
UNWRITTEN_VOWELS = 0.95  # ... when one of them is written without vowels (Arabic, Hebrew): the best evidence there is
INITIAL = 0.8
NICKNAME = 0.9  # "Ted" / "Theodore"
ROMANISED = 0.95  # "Hsu" / "Xu": one Chinese syllable in two romanisations
SOUND_KINDS = frozenset({"phonetic", "nickname", "romanised"})  # matched by sound or usage, not by spelling
_SAME_WORD = {"ibn": "bin", "ben": "bin", "bint": "binti", "el": "al", "ul": "al"}  # particles spelled two ways
_PARTICLES = frozenset(_SAME_WORD) | frozenset(_SAME_WORD.values())

FEATURES = ("similarity", "substituted", "substituted_any", "missing", "spelling", "rewritten", "phonetic", "initials",
            "order", "common", "numbers_conflict", "number_is_name", "numbers_missing", "lone_token",
            "lineage_swapped", "initial_unsupported", "forms_differ", "spacing", "cross_script")
# Guards whose weights are set, not learned. Numbers and generational numerals that differ lower the score below
# every list's threshold, even where the benchmark's labels call "Trust 2004-1" and "Trust 2005-1" one party (fitted,
# the weight comes out near zero: see scorer.toml); numbers left over are not counted again as name words left over,
# so such a pair scores as a near miss ("numbers differ"), not as two unrelated names. Where the number is most of
# the name ("Unit 8200" / "Unit 8201", "Louis XIV" / "Louis XV") it counts twice. A one-word name ("Christina",
# "Daksha") is weak evidence against a longer one, though the benchmark has too few such pairs to learn it from.
# Around "bin"/"ibn" the order of the names says whose son: "Ahmad bin Hasan" is not "Hasan bin Ahmad".
# An initial counts only when nothing else is left over ("V. Putin" / "Vladimir Putin", not "Christopher J. Brady" /
# "Christopher Johnson").
GUARDS = {"numbers_conflict": -2.0, "number_is_name": -2.0, "numbers_missing": -1.5, "lone_token": -2.0,
          "lineage_swapped": -3.0, "initial_unsupported": -2.0}
COMMON = 25  # a token in at least this many listed names is a common name part (Mohammed, Martinez, Trading)
PATRONYMIC = frozenset({"bin", "ben", "ibn", "bint", "binti", "ould", "abu", "ap"})
# A patronymic left over on one side is optional: "Vladimir Putin" / "Vladimir Vladimirovich Putin".
_PATRONYMIC_WORD = re.compile(r"..(?:ovich|evich|yevich|ovna|evna|yevna|ichna|ogly|oglu|kyzy|qizi|uly)$")
_ROMAN = frozenset(ROMAN_VALUE)
_NUMERIC = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class TokenMatch:
    query: str
    candidate: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Alignment:
    matched: tuple[TokenMatch, ...]
    unmatched_query: tuple[str, ...]
    unmatched_candidate: tuple[str, ...]
    how: tuple[str, ...]  # per matched pair: exact | edit | phonetic | initial | nickname | romanised | joined | typo
    crossed: bool  # the matched pairs are not in the same order on both sides


@lru_cache(maxsize=262144)
def token_similarity(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if a in _PARTICLES and b in _PARTICLES and _SAME_WORD.get(a, a) == _SAME_WORD.get(b, b):
        return ROMANISED, "edit"
    if ((not a.isalpha() and _NUMERIC.search(a)) or (not b.isalpha() and _NUMERIC.search(b)) or a in _ROMAN
            or b in _ROMAN):
        return (1.0, "edit") if ROMAN_VALUE.get(a, a) == ROMAN_VALUE.get(b, b) else (0.0, "")  # "III" / "3"
    if len(a) == 1 or len(b) == 1:
        short, long_ = (a, b) if len(a) == 1 else (b, a)
        return (INITIAL, "initial") if len(long_) > 1 and long_[0] == short and short.isalpha() else (0.0, "")
    sim = 0.0 if min(len(a), len(b)) <= SHORT_TOKEN else Levenshtein.normalized_similarity(a, b, score_cutoff=0.5)
    if sim < PHONETIC and phonetic_key(a) == phonetic_key(b) and sounds_alike(a, b):  # "phonetic" only when the
        # spelling alone would not have matched
        unwritten = is_vowelless(a) or is_vowelless(b)
        if sim >= TOKEN_FLOOR or unwritten or a[0] == b[0]:  # by sound alone: from the same first letter
            return (UNWRITTEN_VOWELS if unwritten else PHONETIC), "edit" if sim >= TOKEN_FLOOR else "phonetic"
    if sim < NICKNAME:
        short_forms = nicknames().get(a)
        if short_forms is not None and b in short_forms:
            return NICKNAME, "nickname"
    return (sim, "edit") if sim >= TOKEN_FLOOR else (0.0, "")


@lru_cache(maxsize=262144)
def rewritten(a: str, b: str) -> bool:
    """Two tokens spelled alike only around a different core: with their common beginning and end taken off, what
    is left has other consonants ("Hamid|ullah" / "Wali|ullah", "Abdurrah|im" / "Abdurrah|man"); a typo or another
    romanisation keeps them ("Sch|ulze" / "Sch|olz", "Ale|ksand|r" / "Ale|xande|r")."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    core_a, core_b = a[start:len(a) - end], b[start:len(b) - end]
    return (max(len(core_a), len(core_b)) >= 2 and phonetic_key(core_a) != phonetic_key(core_b)
            and phonetic_key(a) != phonetic_key(b))


@lru_cache(maxsize=262144)
def sinitic_similarity(a: str, b: str) -> tuple[float, str]:
    """:func:`token_similarity`, or two romanisations of the same Chinese syllables (for two Chinese names)."""
    sim, how = token_similarity(a, b)
    if sim < ROMANISED and readings(a) & readings(b):
        return ROMANISED, "romanised"
    return sim, how


@lru_cache(maxsize=1)
def nicknames() -> dict[str, frozenset[str]]:
    """Each given name with its short forms, and each short form with its full names (``nicknames.toml``)."""
    data = tomllib.loads(resources.files("reetrace.domains.screening").joinpath("nicknames.toml")
                         .read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for full, shorts in data["names"].items():
        for short in shorts:
            out.setdefault(str(full), set()).add(str(short))
            out.setdefault(str(short), set()).add(str(full))
    return {k: frozenset(v) for k, v in out.items()}


Row = tuple[tuple[int, float, str], ...]  # (i, similarity, how) of each query token q[i] that matches one token


def align(q: Sequence[str], c: Sequence[str], sinitic: bool = False, rows: dict[str, Row] | None = None,
          shared_forms: int = 0) -> Alignment:
    """Tokens paired one-to-one, best first; then a short word one letter off the other side's when everything else
    agrees (at least two other words equal, a shared company form counting as one: "CVC Health Corp" / "CVS Health
    Corp", not "Mohammed Ali" / "Mohammed Ala"); then two adjacent leftover tokens of one side run together against a
    leftover token of the other. ``sinitic``: both names read as romanised Chinese (see :mod:`.romanise`), where a
    letter changes the syllable ("Wang Wei" / "Wang Lei").
    ``rows``: a memo for one query (the same ``q`` and ``sinitic``) of which query tokens match a candidate token;
    screening compares one query with many listed names that share tokens."""
    similar = sinitic_similarity if sinitic else token_similarity
    pairs = []
    for j, b in enumerate(c):
        row = rows.get(b) if rows is not None else None
        if row is None:
            row = tuple((i, sim, how) for i, a in enumerate(q) for sim, how in (similar(a, b),) if sim > 0)
            if rows is not None:
                rows[b] = row
        for i, sim, how in row:
            pairs.append((sim, min(len(q[i]), len(b)), -abs(i - j), i, j, how))
    if not pairs:
        return Alignment((), tuple(q), tuple(c), (), False)
    pairs.sort(reverse=True)  # (i, j) are unique, so the order does not depend on the order pairs were found in
    used_q: dict[int, int] = {}
    used_c: set[int] = set()
    matched, hows = [], []
    for sim, _, _, i, j, how in pairs:
        if i in used_q or j in used_c:
            continue
        used_q[i] = j
        used_c.add(j)
        matched.append(TokenMatch(q[i], c[j], sim))
        hows.append(how)
    left_q, left_c = len(q) - len(used_q), len(c) - len(used_c)
    if (left_q == left_c == 1 and len(matched) + shared_forms >= 2 and not sinitic
            and all(x.similarity == 1.0 for x in matched)):
        i = next(k for k in range(len(q)) if k not in used_q)
        j = next(k for k in range(len(c)) if k not in used_c)
        if _short_typo(q[i], c[j]):  # "CVC" / "CVS Health", "Kim Jong On" / "Kim Jong Un"
            used_q[i] = j
            used_c.add(j)
            matched.append(TokenMatch(q[i], c[j], (len(q[i]) - 1) / len(q[i])))
            hows.append("typo")
    if matched and left_q and left_c and left_q + left_c >= 3:  # next to a matched word, two leftovers on one side
        if left_q >= 2:
            for i, j, sim, how in _join_leftovers(q, c, set(used_q), used_c, sinitic):
                used_q[i] = used_q[i + 1] = j
                used_c.add(j)
                matched.append(TokenMatch(q[i] + q[i + 1], c[j], sim))
                hows.append(how)
        for j, i, sim, how in _join_leftovers(c, q, used_c, set(used_q), sinitic) if len(c) - len(used_c) >= 2 else ():
            used_c.update((j, j + 1))
            used_q[i] = j
            matched.append(TokenMatch(q[i], c[j] + c[j + 1], sim))
            hows.append(how)
    order = [used_q[i] for i in sorted(used_q)]
    return Alignment(tuple(matched), tuple(t for i, t in enumerate(q) if i not in used_q),
                     tuple(t for j, t in enumerate(c) if j not in used_c), tuple(hows), order != sorted(order))


def _join_leftovers(a: Sequence[str], b: Sequence[str], used_a: set[int], used_b: set[int],
                    sinitic: bool) -> list[tuple[int, int, float, str]]:
    """(i, j, similarity, how): unmatched tokens ``a[i]`` and ``a[i + 1]`` run together are spelled like unmatched
    ``b[j]`` ("patr ushev" / "patrushev"), or read as the same Chinese syllables ("chin ping" / "jinping")."""
    if not any(i not in used_a and i + 1 not in used_a for i in range(len(a) - 1)):
        return []
    free_b = [(j, t) for j, t in enumerate(b) if j not in used_b]
    if not free_b:
        return []
    longest = max(len(t) for _, t in free_b)
    reach = 1.6 * longest if sinitic else 1.3 * longest  # Wade-Giles spellings run longer than pinyin
    pairs = [i for i in range(len(a) - 1) if i not in used_a and i + 1 not in used_a
             and len(a[i]) + len(a[i + 1]) <= reach]
    out: list[tuple[int, int, float, str]] = []
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    for i in pairs:
        if i in taken_a or i + 1 in taken_a:
            continue
        joined = a[i] + a[i + 1]
        best = (0.0, -1, "")
        for j, token in free_b:
            if j in taken_b:
                continue
            if abs(len(joined) - len(token)) <= 0.3 * len(token):
                sim = 1.0 if joined == token else Levenshtein.normalized_similarity(joined, token)
                if sim >= TOKEN_FLOOR and sim > best[0]:
                    best = (sim, j, "joined")
            if sinitic and best[0] < ROMANISED and readings(joined) & readings(token):
                best = (ROMANISED, j, "romanised")
        sim, j, how = best
        if j >= 0:
            taken_a.update((i, i + 1))
            taken_b.add(j)
            out.append((i, j, sim, how))
    return out


def _short_typo(a: str, b: str) -> bool:
    """Two short words (two or three letters) one letter apart, in the same place ("cvc" / "cvs", "on" / "un")."""
    return (len(a) == len(b) and 2 <= len(a) <= SHORT_TOKEN and a.isalpha() and b.isalpha()
            and sum(x != y for x, y in zip(a, b, strict=True)) == 1)


def _compared_by_hand(token: str) -> bool:
    """Tokens :func:`prefill` leaves to :func:`token_similarity` against every other token: initials, particles,
    numbers and numerals (they match by rules, not by spelling or sound)."""
    return len(token) == 1 or token in _PARTICLES or token in _ROMAN or not token.isalpha()


def prefill(q: Sequence[str], tokens: Iterable[str], rows: dict[str, Row]) -> None:
    """Fill the memo ``rows`` of :func:`align` (without Chinese readings) for query tokens ``q`` and many candidate
    tokens at once. :func:`token_similarity` is non-zero only for tokens that are equal or within edit similarity
    :data:`TOKEN_FLOOR`, share a consonant skeleton, are nicknames of each other, or are compared by rule (see
    :func:`_compared_by_hand`); the edit similarities of all pairs come from one call into rapidfuzz, the
    skeletons and nicknames from dictionaries, and only the pairs left are scored one by one, by
    :func:`token_similarity` itself, so the rows are exactly those :func:`align` would make."""
    todo = list(dict.fromkeys(b for b in tokens if b not in rows))
    if not todo or not q:
        return
    by_hand = [i for i, a in enumerate(q) if _compared_by_hand(a)]
    plain = []
    for b in todo:
        if len(b) == 1 or b in _PARTICLES or b in _ROMAN or not b.isalpha():  # _compared_by_hand(b), inlined
            rows[b] = tuple((i, sim, how) for i, a in enumerate(q) for sim, how in (token_similarity(a, b),)
                            if sim > 0)
        else:
            plain.append(b)
    if not plain:
        return
    near: dict[int, set[int]] = {}
    matrix = process.cdist(q, plain, scorer=Levenshtein.normalized_similarity, score_cutoff=TOKEN_FLOOR - 0.01)
    for i, j in zip(*matrix.nonzero(), strict=True):
        near.setdefault(int(j), set()).add(int(i))
    skeletons: dict[str, list[int]] = {}
    position = {}
    for j, b in enumerate(plain):
        position[b] = j
        key = phonetic_key(b)
        if key:
            skeletons.setdefault(key, []).append(j)
    short_forms = nicknames()
    for i, a in enumerate(q):
        key = phonetic_key(a)
        for j in skeletons.get(key, ()) if key else ():
            near.setdefault(j, set()).add(i)
        for other in short_forms.get(a, ()):
            j = position.get(other, -1)
            if j >= 0:
                near.setdefault(j, set()).add(i)
    for j, b in enumerate(plain):
        found = near.get(j)
        if found is None and not by_hand:
            rows[b] = ()
            continue
        ids = sorted((found or set()).union(by_hand))
        rows[b] = tuple((i, sim, how) for i in ids for sim, how in (token_similarity(q[i], b),) if sim > 0)


def align_forms(q: NameForm, c: NameForm, memo: tuple[dict[str, Row], dict[str, Row]] | None = None) -> Alignment:
    """:func:`align` of two forms' tokens, with romanised-Chinese readings when both read as Chinese (``memo``: the
    query form's rows for :func:`align`, without and with those readings)."""
    sinitic = q.sinitic() and c.sinitic()
    return align(q.tokens, c.tokens, sinitic, None if memo is None else memo[sinitic],
                 len(q.legal_forms & c.legal_forms))


def _words(tokens: Sequence[str]) -> int:
    """How many of ``tokens`` are words, not numbers or numerals."""
    return sum(not is_number(t) for t in tokens)


def _optional(leftover: Sequence[str]) -> int:
    """The letters of the one leftover token that reads as a patronymic (at most one: in "Valentina Nikolaevna
    Zenkevich" the surname ends like a patronymic too, and only "Nikolaevna" may be missing)."""
    return next((len(t) for t in leftover if _PATRONYMIC_WORD.search(t)), 0)


def leftovers(q: NameForm, c: NameForm, alignment: Alignment) -> tuple[float, float, int, int]:
    """The shares of each side's letters in name words left over, and each side's letters: a patronymic that one
    side gives and the other omits is not counted, nor are numbers, which the numbers features judge ("Trust
    2004-1" / "Trust 2005-1")."""
    un_q, un_c = alignment.unmatched_query, alignment.unmatched_candidate
    optional_q, optional_c = _optional(un_q), _optional(un_c)
    if optional_q and optional_c:  # a patronymic on each side, and they differ: two people
        optional_q = optional_c = 0
    numeric_q = sum(len(t) for t in un_q if is_number(t))
    numeric_c = sum(len(t) for t in un_c if is_number(t))
    len_q, len_c = q.letters - optional_q - numeric_q or 1, c.letters - optional_c - numeric_c or 1
    left_q = (sum(map(len, un_q)) - optional_q - numeric_q) / len_q
    return left_q, (sum(map(len, un_c)) - optional_c - numeric_c) / len_c, len_q, len_c


def name_features(q: NameForm, c: NameForm, alignment: Alignment, spacing: float) -> dict[str, float]:
    """The features of one aligned pair of forms (``spacing``: similarity of the letters run together, when the
    comparison rests on it instead of the tokens)."""
    left_q, left_c, len_q, len_c = leftovers(q, c, alignment)
    m = alignment.matched
    frequent = common_tokens()
    chars, common_chars, alike, apart, changed = 0, 0, 0.0, 0.0, False  # one pass over the matched pairs
    for x, how in zip(m, alignment.how, strict=True):
        size = len(x.query) + len(x.candidate)
        chars += size
        alike += x.similarity * size
        apart += (1 - x.similarity) * size
        if frequent.get(x.candidate, 0) >= COMMON:
            common_chars += size
        if not changed and how in ("edit", "joined") and x.similarity < 1.0 and rewritten(x.query, x.candidate):
            changed = True
    chars = chars or 1
    similarity = min(1.0, alike / (len_q + len_c))
    spelling = apart / chars
    q_num, c_num = q.numbers, c.numbers
    conflict = bool(q_num and c_num and q_num != c_num)
    fq, fc = q.legal_forms, c.legal_forms
    if spacing:
        similarity, spelling, left_q, left_c = spacing, 1 - spacing, 0.0, 0.0
    n = len(m) or 1
    common = common_chars / chars
    initials = "initial" in alignment.how
    return {
        "similarity": similarity,
        "substituted": min(left_q, left_c),
        "substituted_any": 1.0 if min(left_q, left_c) > 0 else 0.0,
        "missing": abs(left_q - left_c),
        "spelling": spelling,
        "rewritten": 1.0 if changed and not spacing else 0.0,
        "phonetic": 0.0 if spacing else sum(h in SOUND_KINDS for h in alignment.how) / n,
        "initials": 0.0 if spacing else sum(h == "initial" for h in alignment.how) / n,
        "order": 1.0 if alignment.crossed and not spacing else 0.0,
        "common": 0.0 if spacing else common,
        "numbers_conflict": 1.0 if conflict else 0.0,
        "number_is_name": 1.0 if conflict and min(_words(q.tokens), _words(c.tokens)) < 2 else 0.0,
        "numbers_missing": 1.0 if bool(q_num) != bool(c_num) else 0.0,
        "lone_token": 1.0 if not spacing and min(len(q.tokens), len(c.tokens)) == 1 < max(len(q.tokens),
                                                                                         len(c.tokens)) else 0.0,
        "lineage_swapped": 1.0 if alignment.crossed and not spacing and PATRONYMIC & set(q.tokens) & set(c.tokens)
        else 0.0,
        "initial_unsupported": 1.0 if initials and (alignment.unmatched_query or alignment.unmatched_candidate)
        else 0.0,
        "forms_differ": 1.0 if fq and fc and not fq & fc else 0.0,
        "spacing": 1.0 if spacing else 0.0,
        "cross_script": 1.0 if "pinyin" in (q.transform, c.transform) or "transliteration" in (
            q.transform, c.transform) else 0.0,
    }


@dataclass(frozen=True)
class Scorer:
    """Logistic regression over :data:`FEATURES`: score = sigmoid(bias + sum(weight * feature))."""

    bias: float
    weights: dict[str, float]
    source: str = ""
    fitted: dict[str, float] = field(default_factory=dict)  # what the fit gave the guards, whose weights are set

    def contributions(self, features: dict[str, float]) -> tuple[tuple[str, float, float], ...]:
        """(feature, value, contribution to the log-odds) for each feature, in :data:`FEATURES` order."""
        return tuple((k, round(features[k], 4), round(self.weights.get(k, 0.0) * features[k], 4)) for k in FEATURES)

    @cached_property
    def substituted_ceiling(self) -> float:
        """The highest score a pair with a name word left over on each side (feature ``substituted_any``) can get:
        every feature is in 0..1, so at most every positive weight counts in full."""
        z = self.bias + sum(w for w in self.weights.values() if w > 0)
        z += min(0.0, self.weights.get("substituted_any", 0.0))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def score(self, features: dict[str, float]) -> float:
        z = self.bias
        weights = self.weights
        for k, v in features.items():
            if v:
                z += weights.get(k, 0.0) * v
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def common_tokens() -> dict[str, int]:
    """How many listed names each frequent name part occurs in (``name_frequencies.toml``, written by
    ``bench/screening.py --train`` from the loaded lists)."""
    data = tomllib.loads(resources.files("reetrace.domains.screening").joinpath("name_frequencies.toml")
                         .read_text(encoding="utf-8"))
    return {str(k): int(v) for k, v in data["names"].items()}


@lru_cache(maxsize=1)
def load_scorer() -> Scorer:
    return parse_scorer(resources.files("reetrace.domains.screening").joinpath("scorer.toml")
                        .read_text(encoding="utf-8"), "scorer.toml")


def parse_scorer(text: str, where: str) -> Scorer:
    """A scorer from its TOML text (``bias``, ``[weights]`` by feature name); a clear error naming ``where``."""
    try:
        data = tomllib.loads(text)
        bias, raw = data["bias"], data["weights"]
        weights = {str(k): float(v) for k, v in raw.items()}
        bias = float(bias)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{where}: not a scorer ({type(exc).__name__}: {exc}); expected bias and [weights]") from exc
    unknown = sorted(set(weights) - set(FEATURES))
    if unknown:
        raise ValueError(f"{where}: unknown features {unknown}; known: {', '.join(FEATURES)}")
    return Scorer(bias, weights, str(data.get("source", "")))
