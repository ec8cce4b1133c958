"""Provenance certificates: where each step of a lot or magnet batch happened, provable offline from the log's key.

A certificate names, for the lot and every lot it was made from (its backward genealogy), the step (mined, refined,
separated, metal, magnet, recycled, from the lot's product class), the enterprise and its country. Each claim rests
on two log entries: the ``flow.event.captured`` entry whose EPCIS event created the lot (its master data, the
enterprise that recorded it, its inputs), and the ``registry.enterprise.registered`` entry of that enterprise (its
name and country). Every entry comes with its RFC 9162 inclusion proof against one signed checkpoint (the C2SP note
with the log's signature and any witness cosignatures).

:func:`verify_certificate` needs only the certificate and the log's public key (a C2SP vkey). It fails closed,
naming what failed: the checkpoint's signature, an entry whose bytes do not hash to its leaf, an inclusion proof,
a step whose enterprise, country, product, event or share differs from what the entries say, a missing step (an
input of a transformation that the certificate does not account for), or an entry no step uses. Every field of
the file is checked, so any change to it fails.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select

from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Error, VerificationError, not_found
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.errors import ProofError
from reetrace.log.hashing import leaf_hash
from reetrace.log.note import CosignatureVerifier, Verifier
from reetrace.storage.logread import LogReader

from .epcis import TransformationEvent, parse_epcis_event, quantities
from .eventhash import event_hash, utc_millis
from .genealogy import ancestors, trace_back
from .lots import kilograms, short_lot
from .pdf import text_pdf
from .tables import events, lots

FORMAT = "reetrace-provenance-certificate/1"
STEP_OF = {"ore": "mined", "concentrate": "mined", "mixed_carbonate": "refined", "mixed_chloride": "refined",
           "separated_oxide": "separated", "metal": "metal", "alloy": "metal", "magnet": "magnet",
           "scrap": "recycled"}
STEP_ORDER = ("mined", "recycled", "refined", "separated", "metal", "magnet")
SHARE_TOLERANCE = 1e-9


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    step: str
    lot: str
    product_class: str
    element: str | None
    enterprise_id: str
    enterprise_name: str
    country: str
    event_hash: str
    event_time: str
    flow_entry: int = Field(ge=0)
    enterprise_entry: int = Field(ge=0)
    share: float | None  # a source's share of the certified lot, by mass; None for an intermediate step


class ProvedEntry(_Strict):
    index: int = Field(ge=0)
    leaf_hash: str
    entry: str  # base64 of the entry bytes
    proof: tuple[str, ...]


class LogCheckpoint(_Strict):
    origin: str
    checkpoint: str  # the signed note


class Certificate(_Strict):
    format: str
    lot: str
    log: LogCheckpoint
    steps: tuple[Step, ...]
    entries: tuple[ProvedEntry, ...]

    def countries(self) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for s in self.steps:
            out.setdefault(s.step, set()).add(s.country)
        return {step: sorted(out[step]) for step in STEP_ORDER if step in out}


@dataclass(frozen=True)
class VerifiedCertificate:
    certificate: Certificate
    size: int
    root: bytes
    cosigned_by: tuple[str, ...]


# --- building ----------------------------------------------------------------------------------------------------


def build_certificate(conn: Connection, lot_id: str, tenants: frozenset[str] | None = None) -> Certificate:
    """The certificate of a lot as of the log's latest signed checkpoint."""
    owner = conn.execute(select(lots.c.tenant).where(lots.c.lot_id == lot_id)).scalar()
    if owner is None or (tenants is not None and owner not in tenants):
        raise not_found(f"no lot {lot_id!r} that you may see", code="unknown_lot")
    family = sorted(ancestors(conn, lot_id) | {lot_id})
    shares = {s.lot_id: s.share for s in trace_back(conn, lot_id)}
    rows = {r.lot_id: r for r in _chunked(conn, family)}
    firms = {r.enterprise_id: r for r in conn.execute(
        select(enterprises).where(enterprises.c.enterprise_id.in_(sorted({r.enterprise_id for r in rows.values()}))))}
    reader = LogReader(conn)
    latest = reader.latest_checkpoint()
    if latest is None:
        raise Error("the log has no signed checkpoint yet", code="no_checkpoint", http_status=409)
    steps = []
    for lot in family:
        row = rows[lot]
        firm = firms.get(row.enterprise_id)
        if firm is None:
            raise Error(f"the enterprise {row.enterprise_id} of lot {lot} is not registered", code="unknown_enterprise",
                        http_status=409)
        time = conn.execute(select(events.c.event_time).where(events.c.event_hash == row.event_hash)).scalar_one()
        steps.append(Step(step=STEP_OF.get(row.product_class, row.product_class), lot=lot,
                          product_class=row.product_class, element=row.element, enterprise_id=row.enterprise_id,
                          enterprise_name=firm.name, country=firm.country, event_hash=row.event_hash, event_time=time,
                          flow_entry=int(row.entry_idx), enterprise_entry=int(firm.entry_idx),
                          share=shares.get(lot)))
    steps.sort(key=lambda s: (STEP_ORDER.index(s.step) if s.step in STEP_ORDER else 99, s.lot))
    indices = sorted({s.flow_entry for s in steps} | {s.enterprise_entry for s in steps})
    entries = [_proved(reader, index, latest.size) for index in indices]
    return Certificate(format=FORMAT, lot=lot_id, log=LogCheckpoint(origin=latest.note.split("\n", 1)[0],
                                                                     checkpoint=latest.note),
                       steps=tuple(steps), entries=tuple(entries))


def _chunked(conn: Connection, lot_ids: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(lot_ids), 500):
        out += conn.execute(select(lots).where(lots.c.lot_id.in_(lot_ids[start:start + 500]))).all()
    return out


def _proved(reader: LogReader, index: int, size: int) -> ProvedEntry:
    stored = reader.entry(index)
    return ProvedEntry(index=index, leaf_hash=stored.leaf_hash.hex(), entry=base64.b64encode(stored.entry).decode(),
                       proof=tuple(h.hex() for h in reader.inclusion_proof(index, size)))


def certificate_json(certificate: Certificate) -> str:
    return json.dumps(certificate.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def certificate_pdf(certificate: Certificate) -> bytes:
    lines = [f"Lot: {short_lot(certificate.lot)}", f"Log: {certificate.log.origin}",
             "Countries by step: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in certificate.countries().items()),
             "", "Steps:"]
    for s in certificate.steps:
        share = "" if s.share is None else f", share {s.share:.2%}"
        lines.append(f"  {s.step:<9} {short_lot(s.lot)} ({s.product_class}{', ' + s.element if s.element else ''}) "
                     f"by {s.enterprise_id} {s.enterprise_name}, {s.country}, {s.event_time}{share}; "
                     f"log entries {s.flow_entry} and {s.enterprise_entry}")
    lines += ["", "Signed checkpoint:", *certificate.log.checkpoint.rstrip("\n").split("\n"), "", "Log entries:"]
    lines += [f"  {e.index}: leaf {e.leaf_hash}, proof of {len(e.proof)} hashes" for e in certificate.entries]
    lines += ["", "Verify offline with the JSON certificate and the log's public key:",
              "  reetrace verify-certificate CERTIFICATE.json --key LOG_VKEY"]
    return text_pdf("Provenance certificate (reetrace)", lines)


# --- verification ------------------------------------------------------------------------------------------------


def _fail(message: str, code: str = "certificate_invalid") -> VerificationError:
    return VerificationError(message, code)


def parse_certificate(data: bytes | str | dict[str, Any]) -> Certificate:
    try:
        raw = json.loads(data) if isinstance(data, bytes | str) else data
        return Certificate.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            raise _fail(f"certificate.{'.'.join(map(str, first['loc']))}: {first['msg']}",
                        "certificate_malformed") from None
        raise _fail(f"the certificate is not JSON: {exc}", "certificate_malformed") from None


def verify_certificate(data: bytes | str | dict[str, Any], vkey: str,
                       witnesses: Sequence[str] = ()) -> VerifiedCertificate:
    """Check a certificate offline against the log's public key (and the vkeys of witnesses, if given)."""
    cert = parse_certificate(data)
    if cert.format != FORMAT:
        raise _fail(f"certificate.format: expected {FORMAT!r}, got {cert.format!r}", "certificate_malformed")
    try:
        verifier = Verifier.from_vkey(vkey.strip())
        cosigners = [CosignatureVerifier.from_vkey(w.strip()) for w in witnesses]
    except (Error, ValueError) as exc:
        raise _fail(f"the key is not a C2SP verifier key: {exc}", "bad_key") from None
    try:
        opened = open_checkpoint(cert.log.checkpoint, verifier, cosigners)
    except Error as exc:
        raise _fail(f"log.checkpoint: {exc.message}", "checkpoint_invalid") from None
    size, root = opened.checkpoint.size, opened.checkpoint.root
    if cert.log.origin != opened.checkpoint.origin:
        raise _fail(f"log.origin: the checkpoint is of {opened.checkpoint.origin!r}, the certificate says "
                    f"{cert.log.origin!r}")
    bodies = {e.index: _check_entry(n, e, size, root) for n, e in enumerate(cert.entries)}
    if len(bodies) != len(cert.entries):
        raise _fail("entries: a log index appears twice")
    _check_steps(cert, bodies)
    return VerifiedCertificate(cert, size, root, tuple(sorted(opened.cosignatures)))


def _hex(text: str, where: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise _fail(f"{where}: {text!r} is not hex") from None
    if len(value) != 32:
        raise _fail(f"{where}: a hash is 32 bytes, got {len(value)}")
    return value


def _check_entry(n: int, e: ProvedEntry, size: int, root: bytes) -> dict[str, Any]:
    where = f"entries[{n}] (log index {e.index})"
    try:
        entry = base64.b64decode(e.entry, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(f"{where}.entry: not base64") from None
    claimed = _hex(e.leaf_hash, f"{where}.leaf_hash")
    actual = leaf_hash(entry)
    if actual != claimed:
        raise _fail(f"{where}: the entry's bytes hash to leaf {actual.hex()}, the certificate says {claimed.hex()}",
                    "leaf_mismatch")
    proof = [_hex(h, f"{where}.proof[{i}]") for i, h in enumerate(e.proof)]
    try:
        tree.verify_inclusion(actual, e.index, size, proof, root)
    except ProofError as exc:
        raise _fail(f"{where}: inclusion proof against the checkpoint (size {size}) fails: {exc.message}",
                    "inclusion_invalid") from None
    try:
        envelope: dict[str, Any] = json.loads(entry)
    except ValueError:
        raise _fail(f"{where}: the entry is not a reetrace event") from None
    return envelope


def _check_steps(cert: Certificate, entries: dict[int, dict[str, Any]]) -> None:
    by_lot = {s.lot: s for s in cert.steps}
    if len(by_lot) != len(cert.steps):
        raise _fail("steps: a lot appears twice")
    if cert.lot not in by_lot:
        raise _fail(f"steps: no step for the certified lot {cert.lot}")
    used: set[int] = set()
    inputs: dict[str, list[tuple[str, float]]] = {}
    for n, s in enumerate(cert.steps):
        inputs[s.lot] = _check_step(f"steps[{n}] ({short_lot(s.lot)})", s, entries)
        used |= {s.flow_entry, s.enterprise_entry}
    for lot, parents in inputs.items():
        for parent, _ in parents:
            if parent not in by_lot:
                raise _fail(f"steps: lot {short_lot(lot)} was made from {short_lot(parent)}, which has no step")
    unused = sorted(set(entries) - used)
    if unused:
        raise _fail(f"entries: log index {unused[0]} is not used by any step")
    _check_shares(cert, inputs)


def _entry(entries: dict[int, dict[str, Any]], index: int, where: str, kind: str) -> dict[str, Any]:
    envelope = entries.get(index)
    if envelope is None:
        raise _fail(f"{where}: log entry {index} is not in the certificate")
    if envelope.get("kind") != kind:
        raise _fail(f"{where}: log entry {index} is a {envelope.get('kind')!r}, expected {kind!r}")
    body = envelope.get("body")
    if not isinstance(body, dict):
        raise _fail(f"{where}: log entry {index} has no body")
    return body


def _claim(where: str, field: str, claimed: object, actual: object) -> None:
    if claimed != actual:
        raise _fail(f"{where}.{field}: the certificate says {claimed!r}, the log entry says {actual!r}",
                    "step_mismatch")


def _check_step(where: str, s: Step, entries: dict[int, dict[str, Any]]) -> list[tuple[str, float]]:
    """Check one step against its entries; the lots (with kg) its creating transformation consumed."""
    firm = _entry(entries, s.enterprise_entry, where, "registry.enterprise.registered")
    for field, claimed, actual in (("enterprise_id", s.enterprise_id, firm.get("enterprise_id")),
                                   ("enterprise_name", s.enterprise_name, firm.get("name")),
                                   ("country", s.country, firm.get("country"))):
        _claim(where, field, claimed, actual)
    body = _entry(entries, s.flow_entry, where, "flow.event.captured")
    _claim(where, "event_hash", s.event_hash, body.get("event_hash"))
    _claim(where, "enterprise_id", s.enterprise_id, body.get("enterprise_id"))
    try:
        model = parse_epcis_event(body["event"])
        recomputed = event_hash(body["event"], body.get("namespaces") or {})
    except (KeyError, ValueError, Error):
        raise _fail(f"{where}: log entry {s.flow_entry} does not hold a valid EPCIS event") from None
    _claim(where, "event_hash", s.event_hash, recomputed)
    master = {m.lot: m for m in model.lot_master_data()}.get(s.lot)
    roles = quantities(model)
    created = {q.epc_class for q in roles.get("created", ()) + roles.get("output", ())}
    if master is None or s.lot not in created:
        raise _fail(f"{where}: the event of log entry {s.flow_entry} does not create lot {s.lot}", "step_mismatch")
    _claim(where, "product_class", s.product_class, master.product_class)
    _claim(where, "element", s.element, master.element)
    _claim(where, "step", s.step, STEP_OF.get(master.product_class, master.product_class))
    _claim(where, "event_time", s.event_time, utc_millis(model.event_time.isoformat()))
    if not isinstance(model, TransformationEvent):
        return []
    return [(q.epc_class, kilograms(q, where)) for q in model.input_quantity_list]


def _check_shares(cert: Certificate, inputs: dict[str, list[tuple[str, float]]]) -> None:
    """Recompute each source's share of the certified lot from the transformations' inputs and compare."""
    frontier: dict[str, float] = {cert.lot: 1.0}
    sources: dict[str, float] = {}
    for _ in range(64):
        if not frontier:
            break
        nxt: dict[str, float] = {}
        for lot, share in frontier.items():
            parents = inputs.get(lot, [])
            total = sum(kg for _, kg in parents)
            if not parents or total <= 0:
                sources[lot] = sources.get(lot, 0.0) + share
                continue
            for parent, kg in parents:
                nxt[parent] = nxt.get(parent, 0.0) + share * kg / total
        frontier = nxt
    for n, s in enumerate(cert.steps):
        expected = sources.get(s.lot)
        if (s.share is None) != (expected is None) or (
                s.share is not None and expected is not None and abs(s.share - expected) > SHARE_TOLERANCE):
            raise _fail(f"steps[{n}] ({short_lot(s.lot)}).share: the certificate says {s.share}, the entries give "
                        f"{expected}", "step_mismatch")
