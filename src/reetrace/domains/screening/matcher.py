"""Name matching: an index over every loaded party, and scores that explain themselves.

Candidates come from blocking keys (tokens, token prefixes and suffixes, the name's letters run together, Chinese
character pairs); each candidate name is then compared form against form (:func:`compare`): tokens are aligned
(:mod:`.features`: spelling, sound, initials), the leftovers told apart (substituted or missing), numbers checked,
and a small logistic-regression scorer turns those features into a score. Names written in Chinese characters (or
Hangul) on both sides are compared by their characters, not by their sound. The explanation says which alias,
which transform, which tokens matched and which did not, and how much each feature added to or took from the score.

Speed: the index reads every listed name into its forms once (:attr:`PartyIndex.forms`); a query is read once, and
the similarities of its tokens with every token of its candidates are worked out in one pass
(:func:`.features.prefill`: edit similarities in one rapidfuzz call, sounds and nicknames from dictionaries), so
that each comparison only looks them up. The scores are the same as :func:`compare` gives pair by pair.
"""

from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz

from . import hanlatin
from .features import (
    PHONETIC,
    UNWRITTEN_VOWELS,
    Alignment,
    Row,
    TokenMatch,
    align_forms,
    leftovers,
    load_scorer,
    name_features,
    prefill,
    token_similarity,
)
from .models import ListedParty
from .normalise import NameForm, name_forms
from .phonetic import is_vowelless, phonetic_key, sounds_alike

__all__ = ["NO_MATCH", "Comparison", "Hit", "PartyIndex", "Thresholds", "TokenMatch", "compare", "compare_all",
           "compare_forms", "load_thresholds", "token_similarity"]

SHORT_NAME = 4  # names with fewer letters than this match only when equal
MAX_POSTINGS = 3000  # a blocking key this common is skipped (unless nothing else matched)
CANDIDATES = 20
ACROSS_POSTINGS = 400  # a key of :mod:`.hanlatin` this common does not tell candidates apart
ACROSS = 8  # candidates in the other script (Chinese characters / Latin letters), found by :mod:`.hanlatin`'s keys
NATIVE = ("han", "hangul")
SPACED = 0.85  # the letters run together this alike or more may be a spacing difference ("Sber bank")
TOKEN_SET = 0.95  # the same words in another order  # forms compared character by character, only with their own kind
Feature = tuple[str, float, float]  # name, value, contribution to the log-odds


@dataclass(frozen=True)
class Comparison:
    """How one query name compares with one listed name."""

    score: float
    transform: str  # exact | token-set | spacing | initials | fuzzy | phonetic | romanised | nickname | joined |
    # pinyin | transliteration | han | translation (Chinese characters against Latin letters: :mod:`.hanlatin`)
    matched: tuple[TokenMatch, ...] = ()
    unmatched_query: tuple[str, ...] = ()
    unmatched_candidate: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    evidence: tuple[tuple[str, float], ...] = ()  # feature values (learned features when ``learned``)
    learned: bool = False  # the score came from the scorer (else from a rule: equal characters, short names)

    @property
    def features(self) -> tuple[Feature, ...]:
        """Every feature the score rests on: (name, value, contribution to the scorer's log-odds)."""
        if self.learned:
            return load_scorer().contributions(dict(self.evidence))
        return tuple((name, value, 0.0) for name, value in self.evidence)


NO_MATCH = Comparison(0.0, "none")


@dataclass(frozen=True)
class Hit:
    """A listed party that matched, with the name that matched it and why."""

    party: ListedParty
    score: float
    threshold: float
    matched_name: str
    explanation: Comparison

    def as_dict(self) -> dict[str, object]:
        e = self.explanation
        return {"list_id": self.party.list_id, "record_id": self.party.record_id, "name": self.party.name,
                "kind": self.party.kind, "score": round(self.score, 4), "threshold": self.threshold,
                "matched_name": self.matched_name, "transform": e.transform,
                "matched_tokens": [[m.query, m.candidate, round(m.similarity, 3)] for m in e.matched],
                "unmatched_query_tokens": list(e.unmatched_query),
                "unmatched_listed_tokens": list(e.unmatched_candidate), "notes": list(e.notes),
                "features": [{"feature": f, "value": v, "contribution": c} for f, v, c in e.features],
                "countries": list(self.party.countries), "programmes": list(self.party.programmes)}


def _label(q: NameForm, c: NameForm, default: str) -> str:
    for transform in ("pinyin", "transliteration"):
        if transform in (q.transform, c.transform):
            return transform
    return default


Memo = tuple[dict[str, Row], dict[str, Row]]  # one query form's rows for :func:`.features.align`


def compare_forms(q: NameForm, c: NameForm, memo: Memo | None = None, at_least: float = 0.0) -> Comparison:
    """One form of the query against one form of a listed name (``memo``: see :func:`compare_all`). ``at_least``:
    a comparison that cannot reach this score may stop early and give :data:`NO_MATCH` (screening at a threshold:
    a name word left over on each side keeps the score under :attr:`.Scorer.substituted_ceiling`)."""
    native_q, native_c = q.transform in NATIVE, c.transform in NATIVE
    if native_q or native_c:
        return _compare_native(q, c) if q.transform == c.transform else NO_MATCH
    if not q.tokens or not c.tokens:
        return NO_MATCH
    q_compact, c_compact = q.compact, c.compact
    if len(q_compact) < SHORT_NAME or len(c_compact) < SHORT_NAME:
        return _compare_short(q, c)
    alignment = align_forms(q, c, memo)
    if not alignment.matched and q_compact[:1] != c_compact[:1] and not _unwritten_vowels(q, c):
        return NO_MATCH
    run = 1.0 if q_compact == c_compact or q.sorted_compact == c.sorted_compact else 0.0
    if not run and (len(q.tokens) == 1 or len(c.tokens) == 1 or "pinyin" in (q.transform, c.transform)):
        run = fuzz.ratio(q_compact, c_compact) / 100
        if run < UNWRITTEN_VOWELS and _unwritten_vowels(q, c) and phonetic_key(q_compact) == phonetic_key(c_compact):
            run = UNWRITTEN_VOWELS  # "bd llh" / "Abdullah": the consonants run together agree
    scorer = load_scorer()
    if (at_least > scorer.substituted_ceiling and run < SPACED and q.tokens != c.tokens
            and alignment.unmatched_query and alignment.unmatched_candidate
            and min(leftovers(q, c, alignment)[:2]) > 0):
        return NO_MATCH
    features = name_features(q, c, alignment, 0.0)
    score = scorer.score(features)
    matched, un_q, un_c = alignment.matched, alignment.unmatched_query, alignment.unmatched_candidate
    spacing = run >= SPACED and run > features["similarity"]
    if spacing:  # the letters run together match better than the tokens: a spacing difference
        spaced = name_features(q, c, alignment, run)
        spaced_score = scorer.score(spaced)
        if spaced_score > score:
            features, score = spaced, spaced_score
            matched, un_q, un_c = (TokenMatch(q_compact, c_compact, run),), (), ()
        else:
            spacing = False
    exact = q.tokens == c.tokens
    if exact:
        floor = 1.0
    elif spacing and run == 1.0:  # the same letters spaced otherwise ("Sber bank", "Xianggang Minzhu Weiyuanhui")
        floor = TOKEN_SET
    else:
        floor = 0.0 if features["lineage_swapped"] else _complete(
            alignment, features, spacing, "pinyin" in (q.transform, c.transform))
    notes = _notes(features)
    if floor > score:  # the scorer's contributions explain the evidence; the rule sets the score
        score = floor
        notes += ("the same words" if exact else f"the same letters: score set to {floor:.2f}" if spacing
                  else f"every word matched: score set to {floor:.2f}",)
    return Comparison(score, _label(q, c, _transform(alignment.how, exact, spacing, un_q or un_c)), matched, un_q,
                      un_c, notes, tuple(features.items()), learned=True)


def _complete(alignment: Alignment, features: dict[str, float], spacing: bool, pinyin: bool) -> float:
    """The floor for a complete match: every word on both sides matched, in any order, each equal or spelled as
    the other script writes it ("mhmd" / "Mohamed", "Aleksandr" / "Alexander")."""
    m = alignment.matched
    if spacing or not m or alignment.unmatched_query or alignment.unmatched_candidate or features["numbers_missing"]:
        return 0.0
    worst = min(x.similarity for x in m)
    if all(x.similarity == 1.0 for x in m):
        return TOKEN_SET  # "TAYLOR, Mark" / "Mark Taylor"
    floor = PHONETIC if features["cross_script"] and not pinyin else UNWRITTEN_VOWELS  # pinyin: vowels matter
    return worst if worst >= floor and "initial" not in alignment.how else 0.0


def _transform(how: Sequence[str], exact: bool, spacing: bool, leftover: object) -> str:
    if exact:
        return "exact"
    if spacing:
        return "spacing"
    if "initial" in how:
        return "initials"
    for kind in ("romanised", "nickname", "phonetic", "joined"):
        if kind in how:
            return kind
    return "fuzzy" if leftover or any(h != "exact" for h in how) else "token-set"


def _notes(features: dict[str, float]) -> tuple[str, ...]:
    notes = []
    if features["number_is_name"]:
        notes.append("numbers differ, and the number is most of the name")
    elif features["numbers_conflict"]:
        notes.append("numbers differ")
    elif features["numbers_missing"]:
        notes.append("a number on one side only")
    if features["substituted"]:
        notes.append("a name part differs on both sides")
    if features["forms_differ"]:
        notes.append("company forms differ")
    return tuple(notes)


def _unwritten_vowels(q: NameForm, c: NameForm) -> bool:
    """One side reads as a romanised abjad (Arabic, Hebrew, Persian): its words carry no vowels."""
    return any(f.transform == "transliteration" and all(map(is_vowelless, f.tokens)) for f in (q, c))


def _compare_short(q: NameForm, c: NameForm) -> Comparison:
    if len(q.tokens) == len(c.tokens) == 1 and _unwritten_vowels(q, c) and sounds_alike(q.tokens[0], c.tokens[0]):
        return Comparison(UNWRITTEN_VOWELS, "phonetic", (TokenMatch(q.tokens[0], c.tokens[0], UNWRITTEN_VOWELS),),
                          notes=("short name written without vowels: its consonants agree",),
                          evidence=(("consonants_equal", 1.0),))
    same = sorted(q.tokens) == sorted(c.tokens) or q.compact == c.compact
    if q.compact.isdigit():  # a bare number is a name only with its company form ("ME 1" is not "1")
        same = same and sorted(q.forms) == sorted(c.forms)
    return Comparison(1.0 if same else 0.0, "exact" if same else "none", notes=("short name: equal or nothing",),
                      evidence=(("short_name_equal", 1.0 if same else 0.0),))


def _compare_native(q: NameForm, c: NameForm) -> Comparison:
    a, b = q.compact, c.compact
    if a == b:
        return Comparison(1.0, q.transform, tuple(TokenMatch(ch, ch, 1.0) for ch in a),
                          evidence=(("characters_equal", 1.0),))
    if min(len(a), len(b)) < 2:
        return NO_MATCH
    ratio = fuzz.ratio(a, b) / 100
    score = max(0.0, 2 * ratio - 1)  # one character off in a four-character name is another name (0.5)
    if min(len(a), len(b)) <= 3:
        score *= 0.8
    common = [ch for ch in a if ch in b]
    return Comparison(score, q.transform, tuple(TokenMatch(ch, ch, 1.0) for ch in common),
                      tuple(ch for ch in a if ch not in b), tuple(ch for ch in b if ch not in a),
                      ("compared character by character",),
                      (("character_similarity", round(ratio, 4)),
                       ("short_name_discount", 1.0 if min(len(a), len(b)) <= 3 else 0.0)))


def compare(query: str, candidate: str) -> Comparison:
    """The best comparison of any form of ``query`` with any form of ``candidate``; two names both written in
    Chinese characters (or both in Hangul) are compared only by those characters (homophones are other names). A
    name in Chinese characters against one in Latin letters is also read word by word, by meaning and by sound
    (:func:`compare_translated`), and the better reading counts."""
    q_forms, c_forms = name_forms(query), name_forms(candidate)
    best = compare_all(q_forms, c_forms)
    q_han, c_han = is_han_name(q_forms), is_han_name(c_forms)
    if q_han != c_han:
        translated = compare_translated(query, candidate, q_han)
        if translated.score > best.score:
            return translated
    return best


def is_han_name(forms: Sequence[NameForm]) -> bool:
    """Whether a name (as its forms) is written in Chinese characters."""
    return any(f.transform == "han" for f in forms)


def compare_translated(query: str, candidate: str, query_is_han: bool) -> Comparison:
    """A name in Chinese characters against one in Latin letters (either may be the query), by :mod:`.hanlatin`:
    each Latin word matched to the characters that translate it (a dictionary gloss) or transliterate it (their
    sounds). The notes say which, word by word."""
    han, latin = (query, candidate) if query_is_han else (candidate, query)
    result = hanlatin.compare(han, latin)
    if result.score <= 0:
        return NO_MATCH
    if query_is_han:
        matched = tuple(TokenMatch(m.han, " ".join(m.latin), m.quality) for m in result.matches)
        un_q, un_c = tuple(result.unmatched_han), result.unmatched_latin
    else:
        matched = tuple(TokenMatch(" ".join(m.latin), m.han, m.quality) for m in result.matches)
        un_q, un_c = result.unmatched_latin, tuple(result.unmatched_han)
    notes = tuple(f"{' '.join(m.latin)} = {m.han} ({m.kind}: {m.evidence})" for m in result.matches)
    return Comparison(result.score, "translation", matched, un_q, un_c, notes,
                      (("latin_letters_matched", result.latin_covered), ("characters_matched", result.han_covered)))


def compare_all(q_forms: Sequence[NameForm], c_forms: Sequence[NameForm],
                memos: Sequence[Memo] | None = None, at_least: float = 0.0) -> Comparison:
    """:func:`compare` of two names already read as their forms (:func:`.normalise.name_forms`); ``memos``: one
    :data:`Memo` per query form, kept while one query is compared with many names (see :meth:`PartyIndex.screen`);
    ``at_least``: see :func:`compare_forms` (the result is exact at or above it)."""
    native = {f.transform for f in q_forms if f.transform in NATIVE}
    if native:
        native &= {f.transform for f in c_forms}
    best = NO_MATCH
    for k, q in enumerate(q_forms):
        memo = memos[k] if memos is not None else None
        for c in c_forms:
            if native and q.transform not in native:
                continue
            result = compare_forms(q, c, memo, at_least)
            if result.score > best.score:
                best = result
    return best


def blocking_keys(form: NameForm) -> set[str]:
    """Keys a name form is found by: its tokens, their prefixes and suffixes, its letters run together; Chinese
    characters by pairs."""
    if form.transform == "han":
        text = form.compact
        return {f"h:{text}"} if len(text) < 2 else {f"h:{text[i:i + 2]}" for i in range(len(text) - 1)}
    keys = {f"t:{t}" for t in form.tokens}
    keys |= {f"p:{t[:4]}" for t in form.tokens if len(t) >= 5}
    keys |= {f"s:{t[-4:]}" for t in form.tokens if len(t) >= 5}
    compact = form.compact
    if compact:
        keys.add(f"c:{compact[:6]}")
    return keys


@dataclass(frozen=True)
class Thresholds:
    default: float
    per_list: dict[str, float] = field(default_factory=dict)

    def of(self, list_id: str) -> float:
        return self.per_list.get(list_id, self.default)

    def lowest(self, lists: Iterable[str] | None = None) -> float:
        """The lowest threshold among ``lists`` (any list's, when not given)."""
        if lists is not None:
            return min((self.of(k) for k in lists), default=self.default)
        return min([self.default, *self.per_list.values()])


def load_thresholds() -> Thresholds:
    data = tomllib.loads(resources.files("reetrace.domains.screening").joinpath("thresholds.toml")
                         .read_text(encoding="utf-8"))
    return Thresholds(float(data["default"]), {k: float(v) for k, v in data.get("lists", {}).items()})


class PartyIndex:
    """Every name form of every listed party, with an inverted index of blocking keys."""

    def __init__(self, parties: Iterable[ListedParty], thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or load_thresholds()
        self.parties: list[ListedParty] = []
        self.entries: list[tuple[int, str, NameForm]] = []
        self.forms: dict[str, tuple[NameForm, ...]] = {}  # every listed name's forms, read once
        self.words: dict[str, frozenset[str]] = {}  # the tokens of those forms (not Chinese characters or Hangul)
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.han: dict[str, bool] = {}  # whether each listed name is written in Chinese characters
        for party in parties:
            self.add(party)

    def add(self, party: ListedParty) -> None:
        p = len(self.parties)
        self.parties.append(party)
        for name in party.all_names():
            forms = self.forms.get(name)
            if forms is None:
                forms = self.forms[name] = name_forms(name)
                self.words[name] = frozenset(t for f in forms if f.transform not in NATIVE for t in f.tokens)
                self.han[name] = is_han_name(forms)
            for k, form in enumerate(forms):
                e = len(self.entries)
                self.entries.append((p, name, form))
                keys = blocking_keys(form)
                if k == 0:  # found across scripts: by translated words and by sounds (see :mod:`.hanlatin`)
                    keys |= hanlatin.listed_keys(name) if self.han[name] else hanlatin.latin_keys(form.tokens)
                for key in keys:
                    self.postings[key].append(e)

    def candidates(self, query: str | Sequence[NameForm], limit: int = CANDIDATES) -> list[int]:
        """Entries sharing the most blocking keys with ``query`` (a name, or its forms); and, for a query given as a
        name, the :data:`ACROSS` entries in the other script (Chinese characters or Latin letters) sharing the most
        keys of :mod:`.hanlatin` with it (its translated words and sounds)."""
        counts: Counter[int] = Counter()
        skipped: list[str] = []
        forms = name_forms(query) if isinstance(query, str) else query
        keyed = []
        for form in forms:
            for key in blocking_keys(form):
                posting = self.postings.get(key)
                if not posting:
                    continue
                if len(posting) > MAX_POSTINGS:
                    skipped.append(key)
                    continue
                keyed.append((len(posting), key, posting))
        # Rarest keys first: the order entries are first counted in is kept and breaks ties, so among candidates
        # sharing as many keys, those sharing the rarer ones come first ("Hanson" before "Michael" for "Michael
        # Ashley Hanson"); and the order no longer follows a set's, which changed from one process to the next.
        keyed.sort(key=lambda k: k[:2])
        for _, key, posting in keyed:
            counts.update(posting)  # in C
            if key[0] in "th":  # a whole token or Chinese characters weigh double
                counts.update(posting)
        if not counts:
            for key in sorted(skipped):
                counts.update(self.postings[key][:limit])
        ranked = counts.most_common(limit)
        floor = ranked[0][1] / 3 if ranked else 0  # far weaker candidates than the best cannot outscore it
        found = [e for e, n in ranked if n >= floor]
        if isinstance(query, str) and forms:
            han = is_han_name(forms)
            keys = hanlatin.query_keys(query) if han else hanlatin.latin_query_keys(forms[0].tokens)
            found += self._across(keys, han, set(found))
        return found

    def _across(self, keys: Iterable[str], han: bool, found: set[int]) -> list[int]:
        """Entries in the other script than the query's (``han``: the query is in Chinese characters) sharing the
        most of ``keys`` with it, besides those ``found`` already."""
        counts: Counter[int] = Counter()
        keyed = sorted((len(posting), key, posting) for key in keys
                       if (posting := self.postings.get(key)) and len(posting) <= ACROSS_POSTINGS)
        for _, key, posting in keyed:  # rarest keys first, as in :meth:`candidates`
            counts.update(posting)
            if key[0] in "tgl" or len(key) > 5:  # a translated word or four sounds weigh double
                counts.update(posting)
            if key[0] == "l":  # a Latin word written inside a Chinese name, as the query writes it, weighs triple
                counts.update(posting)
        ranked = counts.most_common(4 * ACROSS + len(found))
        # a query in Latin letters (the usual one) takes fewer, each with two keys in common, one of them a
        # translated word or four sounds (every such candidate costs a comparison: see bench/README.md)
        least, most = (1, ACROSS) if han else (3, ACROSS // 3)
        return [e for e, n in ranked if n >= least and e not in found and self.han[self.entries[e][1]] != han][:most]

    def screen(self, query: str, lists: Sequence[str] | None = None, threshold: float | None = None,
               limit: int = 10) -> list[Hit]:
        """Listed parties whose names match ``query`` at or above their list's threshold, best first."""
        best: dict[int, Hit] = {}
        wanted = set(lists) if lists else None
        compared: dict[str, Comparison] = {}  # one name is often listed by several lists
        q_forms = name_forms(query)
        q_han = is_han_name(q_forms)
        memos: list[Memo] = [({}, {}) for _ in q_forms]
        found = self.candidates(query)
        # the lowest threshold a hit can be reported at: comparisons that cannot reach it may stop early
        least = threshold if threshold is not None else self.thresholds.lowest(wanted)
        tokens = frozenset().union(*(self.words[self.entries[e][1]] for e in found))
        for q, memo in zip(q_forms, memos, strict=True):
            if q.transform not in NATIVE:
                prefill(q.tokens, tokens, memo[0])
        for e in found:
            p, name, _ = self.entries[e]
            party = self.parties[p]
            if wanted is not None and party.list_id not in wanted:
                continue
            result = compared.get(name)
            if result is None:
                result = compare_all(q_forms, self.forms[name], memos, least)
                if q_han != self.han[name]:
                    translated = compare_translated(query, name, q_han)
                    if translated.score > result.score:
                        result = translated
                compared[name] = result
            cut = threshold if threshold is not None else self.thresholds.of(party.list_id)
            if result.score >= cut and (p not in best or result.score > best[p].score):
                best[p] = Hit(party, result.score, cut, name, result)
        return sorted(best.values(), key=lambda h: (-h.score, h.party.key))[:limit]
