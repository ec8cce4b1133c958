"""Which document and version did an excerpt come from? A winnowing containment index over normalised text.

Normalisation (:func:`normalise`) maps every character on its own, so each normalised character keeps the offset of
the original character it came from: NFKC (full-width letters, digits and punctuation become ASCII, compatibility
ideographs become the unified ones), case folding, diacritics removed (NFKD, combining marks dropped), format
characters (zero-width spaces and joiners, BOM, soft hyphen) deleted, and every punctuation mark, symbol, space or
control character turned into a word break. Tokens: each Chinese/Japanese/Korean character is one token (character
k-grams), every other run of letters and digits is one word (word k-grams).

Fingerprints (Schleimer, Wilkerson, Aiken, "Winnowing", SIGMOD 2003): 64-bit hashes of every k-gram of tokens; in
every window of ``w`` consecutive k-gram hashes the minimum (rightmost on ties) is kept. Guarantee: any run of at
least ``t = w + k − 1`` tokens shared by excerpt and document yields a shared fingerprint; runs shorter than ``k``
never match. An excerpt copied exactly from a document has containment 1 (each of its windows is a window of the
document, which selects the same minimum). Every changed token removes the k-grams that cover it.

The inverted index maps fingerprint hash → (entry, character span in the original text), an entry being one
(document, version). A query ranks entries by containment — the share of the excerpt's distinct fingerprints found in
the entry — which, unlike resemblance (Jaccard), does not shrink as the document grows; below ``threshold`` the answer
is an honest "no match". Versions that contain the excerpt equally are reported as tied, never guessed between. The
index lives in memory; :meth:`ContentIndex.dump` / :meth:`ContentIndex.load` give a compact byte form (numpy ``.npz``
without pickles) for storage, and :func:`fingerprint` gives one version's fingerprints to store per row.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from reetrace.errors import Detail, Error, invalid

FORMAT = "reetrace.contentindex.v1"
_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")
_PRIME = np.uint64(0x100000001B3)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_TOKEN_HASHES: dict[str, int] = {}
Hashes = npt.NDArray[np.uint64]
Ints = npt.NDArray[np.int64]


def _bad(message: str, where: str) -> Error:
    return invalid(message, Detail(message, where), code="invalid_content")


@lru_cache(maxsize=65_536)
def _map_char(ch: str) -> str:
    if unicodedata.category(ch) == "Cf":
        return ""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold())
    out = []
    for part in folded:
        kind = unicodedata.category(part)
        if kind in ("Mn", "Me", "Cf"):
            continue
        out.append(part if kind[0] in "LN" else " ")
    return "".join(out)


def _normalise_with_origin(text: str) -> tuple[str, Ints]:
    """The normalised text and, for each of its characters, the index of the original character."""
    if not text:
        return "", np.zeros(0, dtype=np.int64)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    unique, inverse = np.unique(points, return_inverse=True)
    mapped = [_map_char(chr(int(p))) for p in unique]
    table = {int(p): m for p, m in zip(unique, mapped, strict=True)}
    lengths = np.array([len(m) for m in mapped], dtype=np.int64)[inverse]
    return text.translate(table), np.repeat(np.arange(len(text), dtype=np.int64), lengths)


def normalise(text: str) -> str:
    """Normalised text with words separated by single spaces (what the fingerprints see)."""
    _check_text(text, "text")
    return " ".join(_TOKEN.findall(_normalise_with_origin(text)[0]))


def _check_text(text: str, where: str) -> None:
    if not isinstance(text, str):
        raise _bad(f"{where} must be text (str), got {type(text).__name__}", where)


def _token_hash(token: str) -> int:
    value = _TOKEN_HASHES.get(token)
    if value is None:
        if len(_TOKEN_HASHES) > 2_000_000:
            _TOKEN_HASHES.clear()
        value = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
        _TOKEN_HASHES[token] = value
    return value


def _mix(x: Hashes) -> Hashes:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class Params:
    """k: tokens per k-gram; w: k-grams per window. Matches of ``guarantee`` tokens or more are always found."""

    k: int = 5
    w: int = 3

    def __post_init__(self) -> None:
        for name, value in (("k", self.k), ("w", self.w)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 64:
                raise _bad(f"{name} must be an integer from 1 to 64, got {value!r}", name)

    @property
    def guarantee(self) -> int:
        return self.w + self.k - 1


@dataclass(frozen=True, eq=False)
class Fingerprints:
    """Winnowed fingerprints of one text: hash and the character span [start, end) of its k-gram in that text."""

    hashes: Hashes
    starts: Ints
    ends: Ints
    tokens: int

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


def _kgrams(text: str, params: Params) -> tuple[Hashes, Ints, Ints, int]:
    """Hash of every k-gram of tokens, with the span of each token in ``text``, and the token count."""
    _check_text(text, "text")
    normalised, origin = _normalise_with_origin(text)
    matches = list(_TOKEN.finditer(normalised))
    count = len(matches) - params.k + 1
    if count < 1:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, empty, len(matches)
    token_hashes = np.fromiter((_token_hash(m.group()) for m in matches), dtype=np.uint64, count=len(matches))
    starts = origin[np.fromiter((m.start() for m in matches), dtype=np.int64, count=len(matches))]
    ends = origin[np.fromiter((m.end() - 1 for m in matches), dtype=np.int64, count=len(matches))] + 1
    grams = np.zeros(count, dtype=np.uint64)
    for j in range(params.k):
        grams = grams * _PRIME + token_hashes[j: j + count]
    return _mix(grams), starts, ends, len(matches)


def shingles(text: str, params: Params | None = None) -> Hashes:
    """All k-gram hashes of ``text`` (unwinnowed), e.g. for MinHash sketches."""
    return _kgrams(text, params or Params())[0]


def fingerprint(text: str, params: Params | None = None) -> Fingerprints:
    """Winnowing fingerprints of ``text`` (spans refer to ``text`` itself, before normalisation)."""
    params = params or Params()
    grams, starts, ends, tokens = _kgrams(text, params)
    count = grams.shape[0]
    if count == 0:
        return Fingerprints(grams, starts, ends, tokens)
    if count <= params.w:
        chosen = np.array([count - 1 - int(np.argmin(grams[::-1]))], dtype=np.int64)
    else:
        windows = np.lib.stride_tricks.sliding_window_view(grams, params.w)
        rightmost = params.w - 1 - np.argmin(windows[:, ::-1], axis=1)
        chosen = np.unique(rightmost + np.arange(windows.shape[0]))
    return Fingerprints(grams[chosen], starts[chosen], ends[chosen + params.k - 1], tokens)


@dataclass(frozen=True)
class Match:
    """One (document, version) containing part of the excerpt, with the matched character spans in its text."""

    document: str
    version: str
    containment: float
    matched: int
    spans: list[tuple[int, int]]


@dataclass(frozen=True)
class QueryResult:
    """Ranked matches at or above the threshold; ``found`` is False for an honest "no match"."""

    matches: list[Match]
    fingerprints: int
    threshold: float
    best_containment: float
    tied_versions: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.matches)

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def _merge(starts: Ints, ends: Ints) -> list[tuple[int, int]]:
    order = np.argsort(starts, kind="stable")
    spans: list[tuple[int, int]] = []
    for s, e in zip(starts[order].tolist(), ends[order].tolist(), strict=True):
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    return spans


class ContentIndex:
    """In-memory inverted index from fingerprint to (document, version, span)."""

    def __init__(self, params: Params | None = None) -> None:
        self.params = params or Params()
        self._entries: list[tuple[str, str]] = []
        self._known: dict[tuple[str, str], int] = {}
        self._pending: list[tuple[Hashes, Ints, Ints, Ints]] = []
        empty = np.zeros(0, dtype=np.int64)
        self._hashes: Hashes = np.zeros(0, dtype=np.uint64)
        self._entry, self._start, self._end = empty, empty, empty

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def postings(self) -> int:
        return int(self._hashes.shape[0]) + sum(int(p[0].shape[0]) for p in self._pending)

    def entries(self) -> list[tuple[str, str]]:
        return list(self._entries)

    def add(self, document: str, version: str, text: str) -> int:
        """Index one version of a document; returns the number of fingerprints kept."""
        _check_text(text, "text")
        return self.add_fingerprints(document, version, fingerprint(text, self.params))

    def add_fingerprints(self, document: str, version: str, prints: Fingerprints) -> int:
        for name, value in (("document", document), ("version", version)):
            if not isinstance(value, str) or not value.strip():
                raise _bad(f"{name} must be a non-empty string", name)
        if (document, version) in self._known:
            raise _bad(f"{document} version {version} is already indexed", "version")
        if len(prints) == 0:
            raise _bad(f"{document} version {version} has fewer than {self.params.k} words or characters to index",
                       "text")
        entry = len(self._entries)
        self._entries.append((document, version))
        self._known[(document, version)] = entry
        self._pending.append((prints.hashes, np.full(len(prints), entry, dtype=np.int64), prints.starts, prints.ends))
        return len(prints)

    def settle(self) -> None:
        """Merge postings added since the last query into the sorted arrays (queries do this on demand)."""
        if not self._pending:
            return
        parts = list(zip(*self._pending, strict=True))
        self._pending = []
        hashes = np.concatenate([self._hashes, *parts[0]])
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._entry = np.concatenate([self._entry, *parts[1]])[order]
        self._start = np.concatenate([self._start, *parts[2]])[order]
        self._end = np.concatenate([self._end, *parts[3]])[order]

    def query(self, excerpt: str, *, threshold: float = 0.2, limit: int = 5, min_matched: int = 2) -> QueryResult:
        """Entries ranked by containment of the excerpt's fingerprints; no match below ``threshold``.

        A match also needs ``min_matched`` shared fingerprints (or all of them, for an excerpt with fewer), so that one
        common phrase is never reported as a source. Defaults (k=5, w=3, 0.2, 2) keep every 2-3 sentence excerpt with
        three words changed and no unrelated excerpt in ``bench/documents.py``.
        """
        _check_text(excerpt, "excerpt")
        if not 0.0 < threshold <= 1.0:
            raise _bad(f"threshold must be in (0, 1], got {threshold}", "threshold")
        if not isinstance(limit, int) or limit < 1:
            raise _bad(f"limit must be a positive integer, got {limit!r}", "limit")
        if not isinstance(min_matched, int) or min_matched < 1:
            raise _bad(f"min_matched must be a positive integer, got {min_matched!r}", "min_matched")
        prints = fingerprint(excerpt, self.params)
        if len(prints) == 0:
            raise _bad(f"the excerpt has {prints.tokens} words or characters; at least {self.params.k} are needed "
                       f"(matches are guaranteed from {self.params.guarantee})", "excerpt")
        self.settle()
        wanted = np.unique(prints.hashes)
        low = np.searchsorted(self._hashes, wanted, side="left")
        counts = np.searchsorted(self._hashes, wanted, side="right") - low
        total = int(counts.sum())
        if total == 0:
            return QueryResult([], len(wanted), threshold, 0.0)
        offsets = np.repeat(low - np.cumsum(counts) + counts, counts) + np.arange(total)
        which = np.repeat(np.arange(len(wanted)), counts)
        entries = self._entry[offsets]
        pairs = np.unique(entries * len(wanted) + which)
        matched = np.bincount(pairs // len(wanted), minlength=len(self._entries))
        containment = matched / len(wanted)
        ranked = np.lexsort((np.arange(len(containment)), -containment))
        best = float(containment[ranked[0]])
        needed = max(1, min(min_matched, len(wanted)))
        keep = [int(e) for e in ranked[:limit] if containment[e] >= threshold and matched[e] >= needed]
        matches = []
        for entry in keep:
            mine = offsets[entries == entry]
            document, version = self._entries[entry]
            matches.append(Match(document, version, float(containment[entry]), int(matched[entry]),
                                 _merge(self._start[mine], self._end[mine])))
        tied = [m.version for m in matches if matches and m.document == matches[0].document
                and m.containment == matches[0].containment]
        return QueryResult(matches, len(wanted), threshold, best, tied if len(tied) > 1 else [])

    def dump(self) -> bytes:
        """A byte form for storage: arrays plus a JSON header, no pickles."""
        self.settle()
        header = {"format": FORMAT, "k": self.params.k, "w": self.params.w, "entries": self._entries}
        buffer = io.BytesIO()
        np.savez(buffer, header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
                 hashes=self._hashes, entry=self._entry.astype(np.int32), start=self._start, end=self._end)
        return buffer.getvalue()

    @classmethod
    def load(cls, data: bytes) -> ContentIndex:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                header = json.loads(arrays["header"].tobytes().decode("utf-8"))
                columns = {name: arrays[name] for name in ("hashes", "entry", "start", "end")}
        except (OSError, ValueError, KeyError, UnicodeDecodeError, EOFError, zipfile.BadZipFile) as exc:
            raise _bad(f"not a stored content index: {exc}", "data") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise _bad(f"not a stored content index (format {FORMAT} expected)", "data")
        try:
            index = cls(Params(int(header["k"]), int(header["w"])))
            index._entries = [(str(d), str(v)) for d, v in header["entries"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(f"stored content index header is malformed: {exc}", "data") from exc
        index._known = {entry: i for i, entry in enumerate(index._entries)}
        index._hashes = columns["hashes"].astype(np.uint64)
        index._entry = columns["entry"].astype(np.int64)
        index._start, index._end = columns["start"].astype(np.int64), columns["end"].astype(np.int64)
        if len({a.shape for a in columns.values()}) != 1 or (index._entry >= len(index._entries)).any():
            raise _bad("stored content index is inconsistent (columns or entries do not match)", "data")
        return index
