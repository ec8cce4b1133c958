"""Name matching: an index over every loaded party, and scores that explain themselves.

Candidates come from blocking keys (tokens, token prefixes and suffixes, the name's letters run together, Chinese
character pairs); each candidate name is then scored form against form (:func:`compare`): a length-weighted Dice
over aligned tokens (edit similarity; initials; short tokens and numbers must be equal), or equality of the letters
run together (spacing). The explanation says which alias, which transform, which tokens matched and which did not.
"""

from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .models import ListedParty
from .normalise import NameForm, name_forms

TOKEN_FLOOR = 0.7  # below this edit similarity two tokens do not match
SHORT_TOKEN = 3  # tokens this short match only when equal (or as an initial)
SHORT_NAME = 4  # names with fewer letters than this match only when equal
MAX_POSTINGS = 3000  # a blocking key this common is skipped (unless nothing else matched)
CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class TokenMatch:
    query: str
    candidate: str
    similarity: float


@dataclass(frozen=True)
class Comparison:
    """How one query name compares with one listed name."""

    score: float
    transform: str  # exact | token-set | spacing | initials | pinyin | transliteration | han
    matched: tuple[TokenMatch, ...] = ()
    unmatched_query: tuple[str, ...] = ()
    unmatched_candidate: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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
                "countries": list(self.party.countries), "programmes": list(self.party.programmes)}


def token_similarity(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if len(a) == 1 or len(b) == 1:
        short, long_ = (a, b) if len(a) == 1 else (b, a)
        return (0.8, "initials") if len(long_) > 1 and long_[0] == short else (0.0, "")
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) <= SHORT_TOKEN:
        return 0.0, ""
    sim = Levenshtein.normalized_similarity(a, b)
    return (sim, "edit") if sim >= TOKEN_FLOOR else (0.0, "")


def _align(q: Sequence[str], c: Sequence[str]) -> tuple[list[TokenMatch], list[str], list[str], bool]:
    pairs = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            sim, how = token_similarity(a, b)
            if sim > 0:
                pairs.append((sim, min(len(a), len(b)), i, j, how))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched = []
    initials = False
    for sim, _, i, j, how in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        matched.append(TokenMatch(q[i], c[j], sim))
        initials |= how == "initials"
    return (matched, [t for i, t in enumerate(q) if i not in used_q], [t for j, t in enumerate(c) if j not in used_c],
            initials)


def _numbers(tokens: Iterable[str]) -> set[str]:
    return {t for t in tokens if any(ch.isdigit() for ch in t)}


def _label(q: NameForm, c: NameForm, default: str) -> str:
    for transform in ("pinyin", "transliteration"):
        if transform in (q.transform, c.transform):
            return transform
    return default


def compare_forms(q: NameForm, c: NameForm) -> Comparison:
    if (q.transform == "han") != (c.transform == "han"):
        return NO_MATCH
    if not q.tokens or not c.tokens:
        return NO_MATCH
    if q.transform == "han":
        return _compare_han(q, c)
    notes: list[str] = []
    if q.tokens == c.tokens:
        return Comparison(1.0, _label(q, c, "exact"), tuple(TokenMatch(t, t, 1.0) for t in q.tokens))
    q_compact, c_compact = q.compact, c.compact
    if len(q_compact) < SHORT_NAME or len(c_compact) < SHORT_NAME:
        same = sorted(q.tokens) == sorted(c.tokens) or q_compact == c_compact
        if q_compact.isdigit():  # a bare number is a name only with its company form ("ME 1" is not "1")
            same = same and sorted(q.forms) == sorted(c.forms)
        return Comparison(1.0 if same else 0.0, "exact" if same else "none", notes=("short name: equal or nothing",))
    matched, un_q, un_c, initials = _align(q.tokens, c.tokens)
    score = sum(m.similarity * (len(m.query) + len(m.candidate)) for m in matched)
    score /= sum(map(len, q.tokens)) + sum(map(len, c.tokens))
    exact_tokens = bool(matched) and all(m.similarity == 1.0 for m in matched) and not un_q and not un_c
    transform = "initials" if initials else ("token-set" if exact_tokens else "fuzzy")
    run = 1.0 if q_compact == c_compact or "".join(sorted(q.tokens)) == "".join(sorted(c.tokens)) else 0.0
    if not run and (len(q.tokens) == 1 or len(c.tokens) == 1 or "pinyin" in (q.transform, c.transform)):
        run = fuzz.ratio(q_compact, c_compact) / 100
    if run >= 0.85 and run * 0.97 > score:  # the letters run together match: a spacing difference
        score, transform = run * 0.97, "spacing"
        matched, un_q, un_c = [TokenMatch(q_compact, c_compact, run)], [], []
    q_num, c_num = _numbers(q.tokens), _numbers(c.tokens)
    if q_num != c_num:
        score *= 0.5 if q_num and c_num else 0.8
        notes.append(f"numbers differ: {sorted(q_num)} vs {sorted(c_num)}")
    return Comparison(score, _label(q, c, transform), tuple(matched), tuple(un_q), tuple(un_c), tuple(notes))


def _compare_han(q: NameForm, c: NameForm) -> Comparison:
    a, b = q.compact, c.compact
    if a == b:
        return Comparison(1.0, "han", tuple(TokenMatch(ch, ch, 1.0) for ch in a))
    if min(len(a), len(b)) < 2:
        return NO_MATCH
    score = fuzz.ratio(a, b) / 100
    if min(len(a), len(b)) <= 3:
        score *= 0.8  # a one-character difference in a short Chinese name is another name
    common = [ch for ch in a if ch in b]
    return Comparison(score, "han", tuple(TokenMatch(ch, ch, 1.0) for ch in common),
                      tuple(ch for ch in a if ch not in b), tuple(ch for ch in b if ch not in a))


def compare(query: str, candidate: str) -> Comparison:
    """The best comparison of any form of ``query`` with any form of ``candidate``."""
    best = NO_MATCH
    for q in name_forms(query):
        for c in name_forms(candidate):
            result = compare_forms(q, c)
            if result.score > best.score:
                best = result
    return best


def blocking_keys(form: NameForm) -> set[str]:
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
        self.postings: dict[str, list[int]] = defaultdict(list)
        for party in parties:
            self.add(party)

    def add(self, party: ListedParty) -> None:
        p = len(self.parties)
        self.parties.append(party)
        for name in party.all_names():
            for form in name_forms(name):
                e = len(self.entries)
                self.entries.append((p, name, form))
                for key in blocking_keys(form):
                    self.postings[key].append(e)

    def candidates(self, query: str, limit: int = CANDIDATES) -> list[int]:
        counts: Counter[int] = Counter()
        skipped: list[str] = []
        for form in name_forms(query):
            for key in blocking_keys(form):
                posting = self.postings.get(key)
                if not posting:
                    continue
                if len(posting) > MAX_POSTINGS:
                    skipped.append(key)
                    continue
                weight = 2 if key[0] in "th" else 1
                for e in posting:
                    counts[e] += weight
        if not counts:
            for key in skipped:
                counts.update(self.postings[key][:limit])
        return [e for e, _ in counts.most_common(limit)]

    def screen(self, query: str, lists: Sequence[str] | None = None, threshold: float | None = None,
               limit: int = 10) -> list[Hit]:
        """Listed parties whose names match ``query`` at or above their list's threshold, best first."""
        best: dict[int, Hit] = {}
        wanted = set(lists) if lists else None
        q_forms = name_forms(query)
        for e in self.candidates(query):
            p, name, form = self.entries[e]
            party = self.parties[p]
            if wanted is not None and party.list_id not in wanted:
                continue
            result = max((compare_forms(q, form) for q in q_forms), key=lambda r: r.score)
            cut = threshold if threshold is not None else self.thresholds.of(party.list_id)
            if result.score >= cut and (p not in best or result.score > best[p].score):
                best[p] = Hit(party, result.score, cut, name, result)
        return sorted(best.values(), key=lambda h: (-h.score, h.party.key))[:limit]
