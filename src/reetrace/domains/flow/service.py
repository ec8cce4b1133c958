"""Capture of EPCIS events: check each in the domain's words, recognise re-submissions, record, balance.

``capture`` takes the events of one document (or one CSV import) for one enterprise. Every event is checked before
anything is written: its shape (the EPCIS models), its lots (inputs and observed lots must exist; created lots
carry master data and must be new), its quantities (mass units), and for a transformation the element balance
(an element out that no input carries is refused). One bad event stores nothing. An event whose CBV 2.0 event hash
is on the log already (or earlier in the batch) is counted as a duplicate and not stored again. A yield outside
the step's tolerance raises ``flow.mass_balance.gap`` carrying the balance, the lots and the log entry.

A document is captured as one batch, with the per-event semantics above (one log entry per event, in document order).
Each event is parsed once: the model, its quantity roles, its mass balance and the canonical JSON of the event are
computed during the checks and reused for the log entry (the envelope's JCS written around the event's canonical
bytes, see ``_entry``) and the read tables. The log entries are staged in one batch; the projection builds every
table's rows in memory (tuples) and writes each table with one multi-row insert. Replay projects through the same code
(``_captured`` parses the logged bodies and calls ``_project``), and a test holds batched capture to event-by-event
capture. The cyclic garbage collector is paused during a capture (``_collector_paused``). For a large document the
event hashes and canonical JSON come from the flow helper process (``digests``), which computes them while the events
are validated and their lots checked.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Table, insert, select

from reetrace.domains.alerts import raise_alert
from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.events import (
    ENTRY_VERSION,
    MAX_ENTRY_BYTES,
    Event,
    EventKind,
    canonical_entry,
    canonical_json,
    new_event_ids,
)
from reetrace.storage.ledger import UnitOfWork

from .digests import HELPER, Pending, plain_strings
from .epcis import (
    EpcisEvent,
    LotMasterData,
    ObjectEvent,
    QuantityElement,
    TransactionEvent,
    TransformationEvent,
    parse_epcis_event,
    parse_epcis_events,
    quantities,
)
from .eventhash import event_hash, utc_millis, utc_millis_of
from .lots import KG_PER_UNIT, Lot, kilograms, known_lots
from .massbalance import ElementBalance, Tolerance, YieldRules, balance
from .tables import balances, events, lot_links, lots, shipments

GAP = "flow.mass_balance.gap"
CAPTURED = "flow.event.captured"
SHIPPING_STEPS = ("shipping", "retail_selling", "https://ref.gs1.org/cbv/BizStep-shipping",
                  "https://ref.gs1.org/cbv/BizStep-retail_selling", "urn:epcglobal:cbv:bizstep:shipping")


@dataclass(frozen=True)
class EventInput:
    """One event as read from a file: where it was (for errors), its compact JSON-LD, the prefixes it uses."""

    label: str
    data: dict[str, Any]
    namespaces: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureReport:
    events: int
    stored: int
    duplicates: int
    hashes: tuple[str, ...]
    alerts: tuple[str, ...]
    first_index: int | None
    last_index: int | None


class EventCaptured(BaseModel):
    """Body of ``flow.event.captured``: the EPCIS event as given, its hash, and the tolerance it was balanced by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_hash: str = Field(pattern=r"^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$")
    enterprise_id: str = Field(min_length=1, max_length=64)
    event: dict[str, Any]
    namespaces: dict[str, str] = Field(default_factory=dict)
    min_yield: float | None = None
    max_yield: float | None = None


@dataclass
class _Checked:
    item: EventInput
    model: EpcisEvent
    hash: str
    roles: dict[str, tuple[QuantityElement, ...]]  # quantities(model)
    master: tuple[LotMasterData, ...]  # model.lot_master_data()
    created: tuple[QuantityElement, ...]  # _split(roles)
    used: tuple[QuantityElement, ...]
    tolerance: Tolerance | None = None
    balance: list[ElementBalance] = field(default_factory=list)
    made: dict[str, Lot] | None = None  # the lots it creates, as _check_lots found them
    document: bytes | None = None  # its canonical JSON when the helper wrote it (b"": not plain JSON); None: not yet


def _split(roles: dict[str, tuple[QuantityElement, ...]]) -> tuple[tuple[QuantityElement, ...],
                                                                   tuple[QuantityElement, ...]]:
    """The quantity lines of the lots an event creates, and of those it uses (inputs, observed, deleted, children)."""
    if len(roles) == 1:  # every type but TransformationEvent: one role
        (role, lines), = roles.items()
        return (lines, ()) if role == "created" else ((), lines)
    return roles.get("created", ()) + roles.get("output", ()), (roles.get("input", ()) + roles.get("observed", ())
                                                                + roles.get("deleted", ()) + roles.get("child", ()))


def enterprise_tenant(conn: Connection, caller: Caller, enterprise_id: str) -> str:
    row = conn.execute(select(enterprises.c.tenant).where(enterprises.c.enterprise_id == enterprise_id)).first()
    if row is None or row.tenant not in caller.tenants:
        raise Error(f"no enterprise {enterprise_id!r} that you may record flows for", code="not_found",
                    http_status=404, details=[Detail("the enterprise must be one of your tenant's", "enterprise")])
    return str(row.tenant)


def capture(uow: UnitOfWork, caller: Caller, enterprise_id: str, items: Sequence[EventInput], *,
            rules: YieldRules | None = None) -> CaptureReport:
    with _collector_paused():
        return _capture(uow, caller, enterprise_id, items, rules)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while one document is captured, back on (if it was on) after.

    A document's models, rows and entries all live until its capture ends, so the collector, set off by the
    allocations, kept scanning them (and, as they piled up, every object of the process in full collections): a
    fifth of a capture's time. They are freed by reference counting when the capture ends; the few cycles among
    them wait for the next collection. Process-wide: another thread's objects are not collected meanwhile either.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _capture(uow: UnitOfWork, caller: Caller, enterprise_id: str, items: Sequence[EventInput],
             rules: YieldRules | None) -> CaptureReport:
    tenant = enterprise_tenant(uow.conn, caller, enterprise_id)
    rules = rules or YieldRules.current()
    pending = HELPER.submit([(item.data, item.namespaces) for item in items])
    try:
        checked = _parse(items)
        # The lots are checked while the helper digests (hashes first would leave it nothing to overlap with); if
        # some events turn out to be re-submissions, the rest are checked again without them.
        failure: Error | None = None
        try:
            _check_lots(uow.conn, enterprise_id, checked, rules)
        except Error as exc:
            failure = exc
        _digest(checked, pending)
    finally:
        if pending is not None:
            pending.cancel()
    existing = _stored_hashes(uow.conn, [c.hash for c in checked])
    fresh: list[_Checked] = []
    for c in checked:
        if c.hash in existing:
            continue
        existing.add(c.hash)
        fresh.append(c)
    if len(fresh) < len(checked):
        for c in fresh:
            c.made, c.tolerance, c.balance = None, None, []
        _check_lots(uow.conn, enterprise_id, fresh, rules)
    elif failure is not None:
        raise failure
    uow.ledger.kinds.get(CAPTURED)  # as Ledger.prepare would: the deployment records this kind
    staged = []
    if fresh:  # one time of recording for the document's entries; one call for their ids
        shared = _Shared.of(caller, tenant, enterprise_id, datetime.now(UTC))
        staged = [_event(shared, c, event_id) for c, event_id in zip(fresh, new_event_ids(len(fresh)), strict=True)]
    recorded = uow.stage_canonical([(entry, CAPTURED, tenant, event_id) for event_id, entry in staged])
    # The projector of this kind, given the models parsed above (``_captured`` parses them again on replay).
    _project(uow.conn, [_Captured.of(c, tenant, enterprise_id, index)
                        for c, index in zip(fresh, recorded, strict=True)])
    alerts = []
    for c, index in zip(fresh, recorded, strict=True):
        if any(not b.within for b in c.balance):
            alert = _raise_gap(uow, tenant, enterprise_id, c, index)
            if alert is not None:
                alerts.append(alert)
    return CaptureReport(len(items), len(fresh), len(items) - len(fresh), tuple(c.hash for c in fresh),
                         tuple(alerts), recorded[0] if recorded else None, recorded[-1] if recorded else None)


def _parse(items: Sequence[EventInput]) -> list[_Checked]:
    """Every event's model (one validation call for the document), quantity roles and lot master data (the hash
    comes later, from ``_digest``).

    A bad event is reported as before: the errors of the first event that has any, at its label.
    """
    try:
        models = parse_epcis_events([item.data for item in items])
    except ValidationError as exc:
        errors = exc.errors()
        first = min(e["loc"][0] for e in errors)
        item = items[int(first)]
        details = [Detail(e["msg"], ".".join([item.label, *map(str, e["loc"][2:] or e["loc"][1:])]))
                   for e in errors if e["loc"][0] == first]
        raise invalid(f"{details[0].location}: {details[0].message}", *details, code="invalid_event") from None
    out = []
    for item, model in zip(items, models, strict=True):
        roles = quantities(model)
        out.append(_Checked(item, model, "", roles, model.lot_master_data(), *_split(roles)))
    return out


def _digest(checked: Sequence[_Checked], pending: Pending | None) -> None:
    """Each event's hash (and canonical JSON when the helper wrote it): the helper's, or computed here."""
    if pending is None:
        for c in checked:
            c.hash = event_hash(c.item.data, c.item.namespaces)
        return
    for c, (hashed, document) in zip(checked, pending.results(), strict=True):
        c.hash = hashed or event_hash(c.item.data, c.item.namespaces)
        c.document = document


def _stored_hashes(conn: Connection, hashes: Sequence[str]) -> set[str]:
    out: set[str] = set()
    unique = sorted(set(hashes))
    if conn.dialect.name == "sqlite":  # one query, the hashes as one JSON parameter (no per-value binding)
        return set(conn.exec_driver_sql("SELECT event_hash FROM flow_events WHERE event_hash IN "
                                        "(SELECT value FROM json_each(?))", (json.dumps(unique),)).scalars())
    for start in range(0, len(unique), 500):
        out |= set(conn.execute(select(events.c.event_hash).where(events.c.event_hash.in_(unique[start:start + 500])))
                   .scalars())
    return out


def _check_lots(conn: Connection, enterprise_id: str, batch: Sequence[_Checked], rules: YieldRules) -> None:
    """Every lot an event uses exists (in the store or earlier in the batch); created lots are new; balances hold."""
    mentioned = {q.epc_class for c in batch for qs in c.roles.values() for q in qs}
    known = known_lots(conn, mentioned)
    for c in batch:
        where, roles, created = c.item.label, c.roles, c.created
        master = {m.lot: m for m in c.master}
        for n, q in enumerate(created):
            if q.epc_class in known or q.epc_class not in master or not _in_kg(q):
                line = f"{where}.{'outputQuantityList' if 'output' in roles else 'quantityList'}[{n}]"
                kilograms(q, line)
                if q.epc_class in known:
                    raise invalid(f"{line}: lot {q.epc_class} exists already", Detail("a lot is created once", line),
                                  code="lot_exists")
                raise invalid(f"{line}: no master data for the new lot {q.epc_class}",
                              Detail("give it in ilmd.reetrace:lotMasterData", f"{where}.ilmd"), code="no_master_data")
        for n, q in enumerate(c.used):
            if q.epc_class not in known or not _in_kg(q):
                line = f"{where}.{'inputQuantityList' if 'input' in roles else 'quantityList'}[{n}]"
                if q.epc_class not in known:
                    raise invalid(f"{line}: unknown lot {q.epc_class}", Detail("no event created this lot", line),
                                  code="unknown_lot")
                kilograms(q, line)
        if created:
            made = c.made = {q.epc_class: Lot.of(master[q.epc_class], enterprise_id) for q in created}
            known.update(made)
        if isinstance(c.model, TransformationEvent):
            _balance(c, known, known, rules)


def _in_kg(q: QuantityElement) -> bool:
    """Whether ``kilograms`` takes the quantity (the checks name the field only when it does not)."""
    return q.quantity is not None and (q.uom or "KGM") in KG_PER_UNIT


def _balance(c: _Checked, known: dict[str, Lot], made: dict[str, Lot], rules: YieldRules) -> None:
    model = c.model
    assert isinstance(model, TransformationEvent)
    where = c.item.label
    if not model.input_quantity_list:
        raise invalid(f"{where}: outputs without inputs",
                      Detail("list the consumed lots", f"{where}.inputQuantityList"), code="outputs_without_inputs")
    inputs = [known[q.epc_class].content(kilograms(q, where)) for q in model.input_quantity_list]
    outputs = [made[q.epc_class].content(kilograms(q, where)) for q in model.output_quantity_list]
    c.tolerance = rules.for_step(model.process_step or "")
    c.balance = balance(inputs, outputs, c.tolerance, where)


@dataclass(frozen=True)
class _Shared:
    """What every log entry of one capture shares, validated once: kind, tenant and actor as ``Event`` validates
    them, the enterprise as ``EventCaptured`` does; and the start of each entry's JCS text up to its EPCIS event."""

    caller: Caller
    tenant: str
    enterprise_id: str
    occurred_at: datetime
    head: bytes  # b'{"actor":...,"body":{"enterprise_id":...,"event":'
    tail: str  # '","kind":...,"occurred_at":"...","subjects":[' (after the id); "" for a time _stamp does not write
    end: str  # '],"tenant":...,"v":1}'
    yields: dict[Tolerance | None, str] = field(default_factory=dict)  # each tolerance's JCS members, once

    @classmethod
    def of(cls, caller: Caller, tenant: str, enterprise_id: str, occurred_at: datetime) -> _Shared:
        Event(kind=CAPTURED, tenant=tenant, actor=caller.actor, body={})  # refuses what an entry may not carry
        EventCaptured(event_hash=_SOME_HASH, enterprise_id=enterprise_id, event={})
        try:
            tail = f'","kind":{_text(CAPTURED)},"occurred_at":"{_stamp(occurred_at)}","subjects":['
        except _Unusual:
            tail = ""
        return cls(caller, tenant, enterprise_id, occurred_at,
                   f'{{"actor":{_text(caller.actor)},"body":{{"enterprise_id":{_text(enterprise_id)},"event":'
                   .encode(), tail, f'],"tenant":{_text(tenant)},"v":{ENTRY_VERSION}}}')


_SOME_HASH = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"
_text = json.encoder.encode_basestring  # a JSON string as JCS writes it (escapes and all; what canonical_json uses)


class _Unusual(Exception):
    """A value the fast JCS writer leaves to ``canonical_entry`` (which writes or refuses it)."""


def _event(shared: _Shared, c: _Checked, event_id: str) -> tuple[str, bytes]:
    """The log entry of one checked event: its event id and its canonical bytes (what ``Ledger.prepare`` returns for
    the ``Event`` that ``_logged_event`` gives), with the EPCIS event's canonical bytes as its ``body.event``.

    The body is what ``EventCaptured`` validates and dumps; its fields are built here from values of known types
    (the hash computed above, the enterprise checked in ``_Shared``, the tolerance's floats), so only the event and
    its namespaces are looked at. An event that is plain JSON already (as read from a file; ``canonical_json`` says
    so) is its own JSON form; anything else (e.g. a date from a spreadsheet) takes the model's.
    """
    data, namespaces, tolerance = c.item.data, c.item.namespaces, c.tolerance
    event: dict[str, Any] | None = None
    if c.document is not None:  # the helper's answer: the canonical JSON, or b"" when it is not plain JSON
        if c.document:
            document, event = c.document, data
    elif type(data) is dict and (not namespaces or plain_strings(namespaces)):
        try:
            document = canonical_json(data, "event.body.event")
            event = data
        except Error:
            pass
    if event is None:  # validated and dumped by the model, as the kind's registry would
        model = EventCaptured(event_hash=c.hash, enterprise_id=shared.enterprise_id, event=data,
                              namespaces=namespaces, min_yield=tolerance.min_yield if tolerance else None,
                              max_yield=tolerance.max_yield if tolerance else None)
        body = model.model_dump(mode="json")
        document = canonical_json(body["event"], "event.body.event")
        event, namespaces = body["event"], body["namespaces"]
    lots = sorted({q.epc_class for qs in c.roles.values() for q in qs})[:20]
    subjects = (c.hash, shared.enterprise_id, *lots)
    try:
        entry = _entry(shared, c.hash, tolerance, namespaces, event_id, subjects, document)
    except (_Unusual, ValueError):  # e.g. a lone surrogate in a lot id, a huge entry: as canonical_entry says
        entry = canonical_entry(_logged_event(shared, c.hash, event, namespaces, tolerance, event_id,
                                              shared.occurred_at, subjects))
    return event_id, entry


def _logged_event(shared: _Shared, event_hash: str, event: dict[str, Any], namespaces: dict[str, str],
                  tolerance: Tolerance | None, event_id: str, occurred_at: datetime,
                  subjects: tuple[str, ...]) -> Event:
    """The ``flow.event.captured`` event whose ``canonical_entry`` the log entry is."""
    body = {"event_hash": event_hash, "enterprise_id": shared.enterprise_id, "event": event,
            "namespaces": namespaces, "min_yield": tolerance.min_yield if tolerance else None,
            "max_yield": tolerance.max_yield if tolerance else None}
    return Event(kind=CAPTURED, tenant=shared.tenant, actor=shared.caller.actor, subjects=subjects, body=body,
                 occurred_at=occurred_at, id=event_id)


def _entry(shared: _Shared, event_hash: str, tolerance: Tolerance | None, namespaces: dict[str, str],
           event_id: str, subjects: tuple[str, ...], document: bytes) -> bytes:
    """``canonical_entry`` of ``_logged_event(...)`` (at ``shared.occurred_at``), written directly: the envelope's
    members in JCS order (all keys are ASCII), its text values JSON-escaped as JCS escapes them, and the EPCIS
    event's canonical bytes (the helper's or ``canonical_json``'s) in their place. A test holds it to
    ``canonical_entry``. Raises ``_Unusual`` (or ``UnicodeEncodeError``) for what it does not write: the caller
    asks ``canonical_entry``.
    """
    if not shared.tail:
        raise _Unusual
    yields = shared.yields.get(tolerance)
    if yields is None:
        if tolerance is None:
            yields = '"max_yield":null,"min_yield":null'
        else:
            yields = f'"max_yield":{_number(tolerance.max_yield)},"min_yield":{_number(tolerance.min_yield)}'
        shared.yields[tolerance] = yields
    spaces = "{}" if not namespaces else _namespaces_jcs(namespaces)
    tail = (f',"event_hash":{_text(event_hash)},{yields},"namespaces":{spaces}}},"id":"{event_id}{shared.tail}'
            f'{",".join(map(_text, subjects))}{shared.end}')
    entry = b"".join((shared.head, document, tail.encode("utf-8")))
    if len(entry) > MAX_ENTRY_BYTES:
        raise _Unusual
    return entry


def _stamp(occurred_at: datetime) -> str:
    """``occurred_at`` as ``Event.envelope`` writes it, for a time in UTC from the year 1000 (else ``_Unusual``)."""
    if occurred_at.utcoffset() or occurred_at.year < 1000:
        raise _Unusual
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (what envelope() writes, for a time in UTC)
        occurred_at.year, occurred_at.month, occurred_at.day, occurred_at.hour, occurred_at.minute,
        occurred_at.second, occurred_at.microsecond)


def _number(value: float) -> str:
    """A tolerance (a float) as JCS writes it, for the values where that is ``repr`` or an integer."""
    if type(value) is float:
        if value.is_integer():
            if -(2.0**53) < value < 2.0**53:
                return str(int(value))
        elif math.isfinite(value) and abs(value) >= 1e-4:  # below 2**53 with a fraction: repr writes no exponent
            return repr(value)
    raise _Unusual


def _namespaces_jcs(namespaces: dict[str, str]) -> str:
    if any(max(k, default="") > "\uffff" for k in namespaces):  # JCS orders keys by UTF-16 code units
        raise _Unusual
    return "{" + ",".join(f"{_text(k)}:{_text(v)}" for k, v in sorted(namespaces.items())) + "}"


def _raise_gap(uow: UnitOfWork, tenant: str, enterprise_id: str, c: _Checked, index: int) -> str | None:
    model = c.model
    assert isinstance(model, TransformationEvent)
    outside = [b for b in c.balance if not b.within]
    worst = max(outside, key=lambda b: abs(b.gap_kg))
    ratio = worst.yield_ratio or 0.0
    message = (f"{enterprise_id}: mass-balance gap in {model.process_step or 'a transformation'}: "
               f"{worst.element} (as REO) {worst.in_kg:.1f} kg in, {worst.out_kg:.1f} kg out, yield {ratio:.1%} "
               f"outside {worst.tolerance.min_yield:.0%}..{worst.tolerance.max_yield:.0%}")
    evidence = {"event_hash": c.hash, "log_index": index, "enterprise_id": enterprise_id,
                "process_step": model.process_step, "event_time": utc_millis(model.event_time.isoformat()),
                "elements": [{"element": b.element, "in_kg": round(b.in_kg, 6), "out_kg": round(b.out_kg, 6),
                              "yield": None if b.yield_ratio is None else round(b.yield_ratio, 6),
                              "min_yield": b.tolerance.min_yield, "max_yield": b.tolerance.max_yield,
                              "gap_kg": round(b.gap_kg, 6)} for b in outside],
                "inputs": [{"lot": q.epc_class, "quantity": q.quantity, "uom": q.uom or "KGM"}
                           for q in model.input_quantity_list],
                "outputs": [{"lot": q.epc_class, "quantity": q.quantity, "uom": q.uom or "KGM"}
                            for q in model.output_quantity_list]}
    return raise_alert(uow, tenant=tenant, kind=GAP, subject=enterprise_id, severity="high", message=message,
                       evidence=evidence, dedupe_key=f"{GAP}:{c.hash}")


# --- projection ------------------------------------------------------------------------------------------------
#
# One pass over a run of events builds the rows of every read table in memory, then each table gets one
# multi-row INSERT. A lot created by one event and read by a later one (the balance of a transformation) comes
# from the run itself; lots from earlier runs are read with one query.


@dataclass(slots=True)
class _Captured:
    """One ``flow.event.captured`` event as the projection needs it (a record internal to one projection run)."""

    event_hash: str
    tenant: str
    enterprise_id: str
    model: EpcisEvent
    master: tuple[LotMasterData, ...]
    namespaces: str
    tolerance: Tolerance | None
    index: int
    created: tuple[QuantityElement, ...]  # _split(roles)[0]
    balance: Sequence[ElementBalance] | None = None  # when the capture computed it already (same lots, same rules)
    made: dict[str, Lot] | None = None  # the lots it creates, when the capture made them already

    @classmethod
    def of(cls, c: _Checked, tenant: str, enterprise_id: str, index: int) -> _Captured:
        return cls(c.hash, tenant, enterprise_id, c.model, c.master,
                   _namespaces_json(c.item.namespaces) if c.item.namespaces else "{}", c.tolerance, index, c.created,
                   c.balance if c.tolerance is not None else None, c.made)


def _namespaces_json(namespaces: dict[str, str]) -> str:
    return _sorted_json(namespaces) if namespaces else "{}"


_sorted_json = json.JSONEncoder(sort_keys=True).encode  # json.dumps(value, sort_keys=True), set up once


def _distribution_json(shares: Mapping[str, float]) -> str:
    """``_sorted_json(shares)`` for a lot's element shares: element symbols (validated, ASCII letters) to floats."""
    if all(type(v) is float and math.isfinite(v) for v in shares.values()):
        return "{" + ", ".join(f'"{k}": {v!r}' for k, v in sorted(shares.items())) + "}"
    return _sorted_json(shares)


def _captured(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    """The projector of ``flow.event.captured`` (replay): parse each body, then project the run."""
    run = []
    for event, index in items:
        body = EventCaptured.model_validate(event.body)
        model = parse_epcis_event(body.event)
        tolerance = None if body.min_yield is None or body.max_yield is None else Tolerance(body.min_yield,
                                                                                              body.max_yield)
        run.append(_Captured(body.event_hash, event.tenant or "", body.enterprise_id, model, model.lot_master_data(),
                             _namespaces_json(body.namespaces), tolerance, index, _split(quantities(model))[0]))
    _project(conn, run)


EVENT_COLUMNS = ("event_hash", "tenant", "enterprise_id", "event_type", "event_time", "month", "process_step",
                 "biz_step", "namespaces", "entry_idx")
LOT_COLUMNS = ("lot_id", "tenant", "enterprise_id", "product_class", "element", "reo_content", "distribution",
               "quantity_kg", "process_step", "biz_location", "event_hash", "entry_idx")
LINK_COLUMNS = ("child_lot", "parent_lot", "event_hash", "input_kg", "share")
BALANCE_COLUMNS = ("event_hash", "element", "tenant", "enterprise_id", "month", "process_step", "in_kg", "out_kg",
                   "min_yield", "max_yield", "within", "entry_idx")
SHIPMENT_COLUMNS = ("event_hash", "lot_id", "party", "tenant", "enterprise_id", "quantity_kg", "end_user",
                    "event_time", "entry_idx")
Row = tuple[Any, ...]


@dataclass(slots=True)
class _Rows:
    """The rows of each read table for one projection run, as tuples in the order of the ``*_COLUMNS`` above."""

    events: list[Row] = field(default_factory=list)
    lots: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    balances: list[Row] = field(default_factory=list)
    shipments: list[Row] = field(default_factory=list)


def _project(conn: Connection, run: Sequence[_Captured]) -> None:
    rows = _Rows()
    created = {m.lot for c in run for m in c.master}
    needed = {q.epc_class for c in run if isinstance(c.model, TransformationEvent) and c.tolerance is not None
              and c.balance is None for q in c.model.input_quantity_list} - created
    # Lots of the run itself are kept only when a balance is computed here (replay); capture brings its balances.
    known = known_lots(conn, needed) if needed else None
    if known is None and any(c.tolerance is not None and c.balance is None for c in run):
        known = {}
    for c in run:
        model = c.model
        moment = utc_millis_of(model.event_time)
        step = model.process_step
        rows.events.append((c.event_hash, c.tenant, c.enterprise_id, model.type, moment, moment[:7], step,
                            model.biz_step, c.namespaces, c.index))
        _lot_rows(c, step, known, rows.lots)
        if isinstance(model, TransformationEvent):
            _transformation_rows(c, model, step, known, moment, rows)
        elif isinstance(model, ObjectEvent | TransactionEvent):
            _shipment_rows(c, model, moment, rows.shipments)
    for table, columns, data in ((events, EVENT_COLUMNS, rows.events), (lots, LOT_COLUMNS, rows.lots),
                                 (lot_links, LINK_COLUMNS, rows.links), (balances, BALANCE_COLUMNS, rows.balances),
                                 (shipments, SHIPMENT_COLUMNS, rows.shipments)):
        if data:
            insert_rows(conn, table, columns, data)


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Rows (tuples of the columns' values, in their order) into a table in one executemany.

    On SQLite straight through the driver: the values are plain str, int, float, bool and None, which need none of
    SQLAlchemy's per-row processing (a third of the time of a capture before). Elsewhere SQLAlchemy's batched insert.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         list(rows))


def _lot_rows(c: _Captured, step: str | None, known: dict[str, Lot] | None, out: list[Row]) -> None:
    if not c.created:
        return
    made = c.made
    if made is None:
        master = {m.lot: m for m in c.master}
        made = {q.epc_class: Lot.of(master[q.epc_class], c.enterprise_id) for q in c.created}
    where = c.model.biz_location.id if c.model.biz_location else None
    for q in c.created:
        lot = made[q.epc_class]
        out.append((q.epc_class, c.tenant, c.enterprise_id, lot.product_class, lot.element, lot.reo_content,
                    _distribution_json(lot.shares), kilograms(q, "lot"), step, where, c.event_hash, c.index))
    if known is not None:
        known.update(made)


def _transformation_rows(c: _Captured, model: TransformationEvent, step: str | None, known: dict[str, Lot] | None,
                         moment: str, rows: _Rows) -> None:
    ins = [(q.epc_class, kilograms(q, "input")) for q in model.input_quantity_list]
    total = sum(kg for _, kg in ins) or 1.0
    links: dict[tuple[str, str], tuple[float, float]] = {}
    for out in model.output_quantity_list:
        for lot_id, kg in ins:
            key = (out.epc_class, lot_id)
            prior = links.get(key, (0.0, 0.0))
            links[key] = (prior[0] + kg, prior[1] + kg / total)
    event_hash = c.event_hash
    rows.links.extend((child, parent, event_hash, kg, share) for (child, parent), (kg, share) in links.items())
    if c.tolerance is None:
        return
    result = c.balance
    if result is None:
        assert known is not None
        result = balance([known[lot].content(kg) for lot, kg in ins],
                         [known[q.epc_class].content(kilograms(q, "output")) for q in model.output_quantity_list],
                         c.tolerance)
    month, tenant, enterprise_id = moment[:7], c.tenant, c.enterprise_id
    index = c.index
    rows.balances.extend((event_hash, b.element, tenant, enterprise_id, month, step or "", b.in_kg, b.out_kg,
                          b.tolerance.min_yield, b.tolerance.max_yield, b.within, index) for b in result)


def _shipment_rows(c: _Captured, model: ObjectEvent | TransactionEvent, moment: str, out: list[Row]) -> None:
    parties = sorted({d.destination for d in model.destination_list})
    if not parties or not (isinstance(model, TransactionEvent) or model.biz_step in SHIPPING_STEPS):
        return
    shipped = {(q.epc_class, p): kilograms(q, "shipment") for q in model.quantity_list for p in parties}
    end_user = model.end_user
    out.extend((c.event_hash, lot, party, c.tenant, c.enterprise_id, kg, end_user, moment, c.index)
               for (lot, party), kg in shipped.items())


KINDS = [
    EventKind(CAPTURED, EventCaptured, _captured,
              "an EPCIS 2.0 event of the product flow (lots created, transformed, shipped), keyed by its event hash"),
]
