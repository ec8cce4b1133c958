"""Trace a leaked text: which document and version (content index), which marks it shows, which copies it came from.

1. The excerpt's winnowing fingerprints are looked up in ``documents_fingerprints`` (the caller's tenants only); the
   best candidates are loaded into a :class:`.contentindex.ContentIndex`, which ranks them by containment and
   reports tied versions. Below the index's threshold the answer is "not one of ours".
2. The version's sites are re-derived from its registered text and read from the excerpt (:func:`.textmarks.
   read_marks`); site ``i`` is codeword position ``i mod m`` (positions read twice with different symbols are erased).
3. Every copy issued of that version is scored (:func:`.tardos.accuse`, Škorić's symmetric score, an exact-MGF
   Chernoff threshold at ε₁ per innocent copy). With fewer read positions than a 2-collusion-resistant code needs,
   the result is a *single-leaker* decision, stated as such: the best-matching copy is named assuming one leaker.
   Two safeguards apply on top (found while testing part 1): no copy is named when the best score is shared (two
   copies agreeing on every read position are indistinguishable), nor when an innocent copy would match every read
   position with probability above ε₁ (the threshold is then out of reach; the Chernoff computation alone rounds it
   to the maximum score).
4. The trace is a ``documents.leak.traced`` entry (the excerpt's SHA-256, never the excerpt).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections import defaultdict
from dataclasses import replace

import numpy as np
from sqlalchemy import Connection, bindparam, func, select

from reetrace.domains.personnel.models import Caller
from reetrace.errors import Detail, invalid
from reetrace.events import Event
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

from . import codewords, tardos
from .contentindex import ContentIndex, Fingerprints, Match, QueryResult, fingerprint
from .models import LeakTraced, TraceResult, TraceSuspect
from .pictures import PictureReading
from .registry import document_code, version_text
from .tables import copies, documents, fingerprints
from .textmarks import ERASED, Reading, find_sites, read_marks

CANDIDATES = 5
COMMON = 50  # a fingerprint in more versions than this is boilerplate for the candidate vote


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def identify(conn: Connection, tenants: frozenset[str], text: str) -> QueryResult:
    """Which registered (document, version) contains the excerpt, among the caller's tenants' documents."""
    prints = fingerprint(text)
    if len(prints) == 0:
        raise invalid(f"the text has {prints.tokens} words or characters; at least 5 are needed to identify a "
                      "document", Detail("paste a longer excerpt", "text"), code="excerpt_too_short")
    wanted = sorted({_signed(int(h)) for h in prints.hashes})
    # Stop-hashes: a fingerprint shared by more than COMMON versions of the caller's tenants (boilerplate, a standard
    # clause) says nothing about which document this is and would only flood the vote (it still counts in the
    # containment below). Each hash is looked up on its own, at most COMMON + 1 rows: bounded work per hash.
    scoped = sorted(tenants)
    lookup = (select(fingerprints.c.document_id, fingerprints.c.version)
              .join(documents, documents.c.document_id == fingerprints.c.document_id)
              .where(fingerprints.c.hash == bindparam("h"), documents.c.tenant.in_(scoped)).limit(COMMON + 1))
    hits: dict[tuple[str, int], int] = defaultdict(int)
    common: list[int] = []
    for h in wanted:
        rows = conn.execute(lookup, {"h": h}).all()
        if len(rows) > COMMON:
            common.append(h)
            continue
        for document_id, version in rows:
            hits[(document_id, int(version))] += 1
    if not hits and common:  # nothing but boilerplate: vote with it after all (bounded by the limit)
        for h in common:
            for document_id, version in conn.execute(lookup, {"h": h}):
                hits[(document_id, int(version))] += 1
    index = ContentIndex()
    for (document_id, version), _ in sorted(hits.items(), key=lambda kv: -kv[1])[:CANDIDATES]:
        rows = conn.execute(select(fingerprints.c.hash, fingerprints.c.span_start, fingerprints.c.span_end).where(
            fingerprints.c.document_id == document_id, fingerprints.c.version == version)).all()
        stored = Fingerprints(np.array([h & ((1 << 64) - 1) for h, _, _ in rows], dtype=np.uint64),
                              np.array([s for _, s, _ in rows], dtype=np.int64),
                              np.array([e for _, _, e in rows], dtype=np.int64), len(rows))
        index.add_fingerprints(document_id, str(version), stored)
    if len(index) == 0:
        return QueryResult([], len(wanted), 0.2, 0.0)
    return index.query(text)


def _read(conn: Connection, match: Match, text: str) -> tuple[int, Reading]:
    _, master = version_text(conn, match.document, int(match.version))
    if master is None:
        return 0, Reading([], 0)
    sites = find_sites(master)
    return len(sites), read_marks(master, sites, text)


def _pirate(code: tardos.TardosCode, bits: list[int]) -> tardos.Symbols:
    y = np.full(code.length, ERASED, dtype=np.int8)
    clash = np.zeros(code.length, dtype=bool)
    for i, bit in enumerate(bits):
        if bit == ERASED:
            continue
        position = i % code.length
        if y[position] not in (ERASED, bit):
            clash[position] = True
        y[position] = bit
    y[clash] = ERASED
    return y


def _exact_match_probability(code: tardos.TardosCode, y: tardos.Symbols) -> float:
    """P(an innocent copy holds the best-scoring symbol at every read position) — the score's maximum."""
    read = y != ERASED
    p = code.bias[read]
    return math.exp(float(np.where(y[read] == 1, np.log(p), np.log1p(-p)).sum()))


def _suspects(conn: Connection, accusation: tardos.Accusation, named: bool) -> list[TraceSuspect]:
    wanted = [s.recipient for s in accusation.suspects]
    rows = {r.copy_id: r for r in conn.execute(select(copies).where(copies.c.copy_id.in_(wanted)))}
    out = []
    for s in accusation.suspects:
        row = rows[s.recipient]
        out.append(TraceSuspect(row.copy_id, row.recipient_kind, row.recipient, row.device, row.ip, row.version,
                                row.issued_at.isoformat(), round(s.score, 4), s.accused and named, s.innocent_tail))
    return out


def _accuse(conn: Connection, code: tardos.TardosCode, key: bytes, document_id: str, version: int,
            ids: list[str], y: tardos.Symbols, eps1: float) -> tuple[tardos.Accusation, list[TraceSuspect], str]:
    """Score every copy (codewords from the sealed cache); only the top suspects' rows are read."""
    read = np.flatnonzero(y != ERASED)
    if read.size == 0:
        words, reduced, y_read = codewords.load(conn, key, code, document_id, version, ids), code, y
    else:  # erased positions score 0 for every copy: score on the read ones only (same scores and bounds)
        words = codewords.load(conn, key, code, document_id, version, ids, positions=read)
        reduced, y_read = replace(code, bias=code.bias[read]), y[read]
    accusation, named, note = decide(reduced, ids, words, y_read, eps1)
    return accusation, _suspects(conn, accusation, named), note


def decide(code: tardos.TardosCode, ids: list[str], words: tardos.Bits, y: tardos.Symbols,
           eps1: float) -> tuple[tardos.Accusation, bool, str]:
    """The accusation with the trace's two safeguards: (accusation, whether its accused may be named, note)."""
    accusation = tardos.accuse(code, ids, words, y, eps1=eps1)
    note, named = accusation.note, True
    top = accusation.suspects
    if len(top) > 1 and accusation.single_leaker and math.isclose(top[0].score, top[1].score, abs_tol=1e-9):
        named, note = False, (f"{top[0].recipient} and {top[1].recipient} match the read marks equally: too few "
                              "marks to tell copies apart; no accusation")
    exact = _exact_match_probability(code, y)
    if exact > eps1:
        named, note = False, (f"only {accusation.readable} readable positions: an innocent copy would match them all "
                              f"with probability {exact:.2g} > ε₁ = {eps1:g}; no accusation (paste a longer excerpt)")
    return accusation, named, note


def copy_ids(conn: Connection, document_id: str, version: int) -> list[str]:
    """Every copy issued of a version. The codeword cache lists them in issue order; it is used when it holds as
    many as the read table counts (every copy enters both in one transaction), else the read table is listed."""
    issued = conn.execute(select(func.count()).select_from(copies).where(
        copies.c.document_id == document_id, copies.c.version == version)).scalar_one()
    cached = codewords.cached_ids(conn, document_id, version)
    if len(cached) == issued and len(set(cached)) == issued:
        return cached
    return sorted(conn.execute(select(copies.c.copy_id).where(copies.c.document_id == document_id,
                                                              copies.c.version == version)).scalars())


def trace(uow: UnitOfWork, vault: Vault, caller: Caller, text: str, *, eps1: float | None = None) -> TraceResult:
    """Identify the document and version of a leaked text and score every copy of it; records the trace."""
    if not isinstance(text, str) or not text.strip():
        raise invalid("nothing to trace: the text is empty", Detail("paste the leaked text or give a file", "text"))
    found = identify(uow.conn, caller.tenants, text)
    trace_id = "RT-TRC-" + secrets.token_hex(8).upper()
    if not found.found:
        result = TraceResult(trace_id, "not_ours", None, None, found.best_containment, [], 0, 0, 0, "", False, False,
                             0.0, f"no registered version contains this text (best containment "
                             f"{found.best_containment:.2f} < {found.threshold})")
        return _record(uow, caller, text, result)
    tied = [m for m in found.matches if m.document == found.matches[0].document
            and m.containment == found.matches[0].containment]
    readings = [(m, *_read(uow.conn, m, text)) for m in tied]
    match, site_count, reading = max(readings, key=lambda r: (r[2].read, int(r[0].version)))
    document_id, version = match.document, int(match.version)
    bits = "".join("." if b == ERASED else str(b) for b in reading.bits)
    base = dict(trace_id=trace_id, document_id=document_id, version=version, containment=match.containment,
                tied_versions=[int(m.version) for m in tied] if len(tied) > 1 else [], sites_in_version=site_count,
                sites_covered=reading.covered, sites_read=reading.read, bits=bits)
    if reading.read == 0:
        return _record(uow, caller, text, TraceResult(
            **base, verdict="no_mark", single_leaker=False, collusion_resistant=False, threshold=0.0,  # type: ignore[arg-type]
            note="the text is from this version but shows no readable mark (no site, or every site edited)"))
    key, code = document_code(vault, document_id)
    ids = copy_ids(uow.conn, document_id, version)
    if not ids:
        return _record(uow, caller, text, TraceResult(
            **base, verdict="no_accusation", single_leaker=False, collusion_resistant=False, threshold=0.0,  # type: ignore[arg-type]
            note=f"no copy of {document_id} version {version} was issued: the text came from the registered original"))
    accusation, suspects, note = _accuse(uow.conn, code, key, document_id, version, ids, _pirate(code, reading.bits),
                                         eps1 or code.eps1)
    verdict = "accused" if any(s.accused for s in suspects) else "no_accusation"
    return _record(uow, caller, text, TraceResult(
        **base, verdict=verdict, single_leaker=accusation.single_leaker,  # type: ignore[arg-type]
        collusion_resistant=accusation.collusion_resistant, threshold=accusation.threshold, note=note,
        suspects=suspects))


def picture_result(uow: UnitOfWork, vault: Vault, caller: Caller, data: bytes, reading: PictureReading | None, *,
                   eps1: float | None = None) -> TraceResult:
    """The verdict on a leaked picture read by :func:`.pictures.read_picture`; recorded like a text trace."""
    trace_id = "RT-TRC-" + secrets.token_hex(8).upper()
    if reading is None:
        return _record(uow, caller, data, TraceResult(
            trace_id, "not_ours", None, None, 0.0, [], 0, 0, 0, "", False, False, 0.0,
            "the picture shows no page or diagram of which a picture copy was issued in your tenants"))
    bits = "".join("." if b == ERASED else str(int(b)) for b in reading.symbols)
    base = dict(trace_id=trace_id, document_id=reading.document_id, version=reading.version, containment=1.0,
                tied_versions=[], sites_in_version=reading.capacity, sites_covered=reading.covered,
                sites_read=reading.read, bits=bits, pages=list(reading.pages))
    if reading.read == 0:
        return _record(uow, caller, data, TraceResult(
            **base, verdict="no_mark", single_leaker=False, collusion_resistant=False, threshold=0.0,  # type: ignore[arg-type]
            note=f"the picture shows {reading.document_id} version {reading.version} but no readable mark "
                 f"({reading.note})"))
    key, code = document_code(vault, reading.document_id)
    ids = copy_ids(uow.conn, reading.document_id, reading.version)
    if not ids:
        return _record(uow, caller, data, TraceResult(
            **base, verdict="no_accusation", single_leaker=False, collusion_resistant=False, threshold=0.0,  # type: ignore[arg-type]
            note=f"no copy of {reading.document_id} version {reading.version} was issued"))
    accusation, suspects, note = _accuse(uow.conn, code, key, reading.document_id, reading.version, ids,
                                         reading.symbols, eps1 or code.eps1)
    verdict = "accused" if any(s.accused for s in suspects) else "no_accusation"
    return _record(uow, caller, data, TraceResult(
        **base, verdict=verdict, single_leaker=accusation.single_leaker,  # type: ignore[arg-type]
        collusion_resistant=accusation.collusion_resistant, threshold=accusation.threshold,
        note=f"{reading.note}. {note}", suspects=suspects))


def _record(uow: UnitOfWork, caller: Caller, text: str | bytes, result: TraceResult) -> TraceResult:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    body = LeakTraced(trace_id=result.trace_id, excerpt_sha256=hashlib.sha256(raw).hexdigest(),
                      characters=len(text), document_id=result.document_id, version=result.version,
                      containment=min(1.0, max(0.0, result.containment)), sites_read=result.sites_read,
                      accused=tuple(s.copy_id for s in result.suspects if s.accused),
                      single_leaker=result.single_leaker, verdict=result.verdict,
                      note=result.note[:1000])
    subjects = (result.trace_id,) + ((result.document_id,) if result.document_id else ()) + body.accused
    index = uow.record(Event(kind="documents.leak.traced", tenant=caller.tenant, actor=caller.actor,
                             subjects=subjects, body=body.model_dump(mode="json")))
    return replace(result, entry_idx=index)
