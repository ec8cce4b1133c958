"""Capture of EPCIS events: check each in the domain's words, recognise re-submissions, record, balance.

``capture`` takes the events of one document (or one CSV import) for one enterprise. Every event is checked before
anything is written: its shape (the EPCIS models), its lots (inputs and observed lots must exist; created lots
carry master data and must be new), its quantities (mass units), and for a transformation the element balance
(an element out that no input carries is refused). One bad event stores nothing. An event whose CBV 2.0 event hash
is on the log already (or earlier in the batch) is counted as a duplicate and not stored again. A yield outside
the step's tolerance raises ``flow.mass_balance.gap`` carrying the balance, the lots and the log entry.

A document is captured as one batch, with the per-event semantics above (one log entry per event, in document order).
Each event is parsed once: the model, its quantity roles, its mass balance and the canonical JSON of the event are
computed during the checks and reused for the log entry (the event's canonical bytes spliced into its envelope's,
see ``_entry``) and the read tables. The log entries are staged in one batch; the projection builds every table's rows
in memory and writes each table with one multi-row insert. Replay projects through the same code (``_captured``
parses the logged bodies and calls ``_project``), and a test holds batched capture to event-by-event capture.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Table, insert, select

from reetrace.domains.alerts import raise_alert
from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.events import MAX_ENTRY_BYTES, Event, EventKind, canonical_entry, canonical_json
from reetrace.storage.ledger import UnitOfWork

from .epcis import (
    EpcisEvent,
    LotMasterData,
    ObjectEvent,
    QuantityElement,
    TransactionEvent,
    TransformationEvent,
    parse_epcis_event,
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
    tolerance: Tolerance | None = None
    balance: list[ElementBalance] = field(default_factory=list)


def enterprise_tenant(conn: Connection, caller: Caller, enterprise_id: str) -> str:
    row = conn.execute(select(enterprises.c.tenant).where(enterprises.c.enterprise_id == enterprise_id)).first()
    if row is None or row.tenant not in caller.tenants:
        raise Error(f"no enterprise {enterprise_id!r} that you may record flows for", code="not_found",
                    http_status=404, details=[Detail("the enterprise must be one of your tenant's", "enterprise")])
    return str(row.tenant)


def capture(uow: UnitOfWork, caller: Caller, enterprise_id: str, items: Sequence[EventInput], *,
            rules: YieldRules | None = None) -> CaptureReport:
    tenant = enterprise_tenant(uow.conn, caller, enterprise_id)
    rules = rules or YieldRules.current()
    checked = [_parse(item) for item in items]
    existing = _stored_hashes(uow.conn, [c.hash for c in checked])
    fresh: list[_Checked] = []
    for c in checked:
        if c.hash in existing:
            continue
        existing.add(c.hash)
        fresh.append(c)
    _check_lots(uow.conn, enterprise_id, fresh, rules)
    uow.ledger.kinds.get(CAPTURED)  # as Ledger.prepare would: the deployment records this kind
    staged = [_event(caller, tenant, enterprise_id, c) for c in fresh]
    recorded = uow.stage_canonical([(entry, e.kind, e.tenant, e.id) for e, entry, _ in staged])
    # The projector of this kind, given the models parsed above (``_captured`` parses them again on replay).
    _project(uow.conn, [_Captured.of(c, document, tenant, enterprise_id, index)
                        for c, (_, _, document), index in zip(fresh, staged, recorded, strict=True)])
    alerts = []
    for c, index in zip(fresh, recorded, strict=True):
        if any(not b.within for b in c.balance):
            alert = _raise_gap(uow, tenant, enterprise_id, c, index)
            if alert is not None:
                alerts.append(alert)
    return CaptureReport(len(items), len(fresh), len(items) - len(fresh), tuple(c.hash for c in fresh),
                         tuple(alerts), recorded[0] if recorded else None, recorded[-1] if recorded else None)


def _parse(item: EventInput) -> _Checked:
    try:
        model = parse_epcis_event(item.data)
    except ValidationError as exc:
        details = [Detail(e["msg"], ".".join([item.label, *map(str, e["loc"][1:] or e["loc"])])) for e in exc.errors()]
        raise invalid(f"{details[0].location}: {details[0].message}", *details, code="invalid_event") from None
    return _Checked(item, model, event_hash(item.data, item.namespaces), quantities(model))


def _stored_hashes(conn: Connection, hashes: Sequence[str]) -> set[str]:
    out: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 500):
        out |= set(conn.execute(select(events.c.event_hash).where(events.c.event_hash.in_(unique[start:start + 500])))
                   .scalars())
    return out


def _check_lots(conn: Connection, enterprise_id: str, batch: Sequence[_Checked], rules: YieldRules) -> None:
    """Every lot an event uses exists (in the store or earlier in the batch); created lots are new; balances hold."""
    mentioned = {q.epc_class for c in batch for qs in c.roles.values() for q in qs}
    known = known_lots(conn, mentioned)
    for c in batch:
        where, roles = c.item.label, c.roles
        master = {m.lot: m for m in c.model.lot_master_data()}
        created = roles.get("created", ()) + roles.get("output", ())
        for n, q in enumerate(created):
            if q.epc_class in known or q.epc_class not in master or not _in_kg(q):
                line = f"{where}.{'outputQuantityList' if 'output' in roles else 'quantityList'}[{n}]"
                kilograms(q, line)
                if q.epc_class in known:
                    raise invalid(f"{line}: lot {q.epc_class} exists already", Detail("a lot is created once", line),
                                  code="lot_exists")
                raise invalid(f"{line}: no master data for the new lot {q.epc_class}",
                              Detail("give it in ilmd.reetrace:lotMasterData", f"{where}.ilmd"), code="no_master_data")
        used = roles.get("input", ()) + roles.get("observed", ()) + roles.get("deleted", ()) + roles.get("child", ())
        for n, q in enumerate(used):
            if q.epc_class not in known or not _in_kg(q):
                line = f"{where}.{'inputQuantityList' if 'input' in roles else 'quantityList'}[{n}]"
                if q.epc_class not in known:
                    raise invalid(f"{line}: unknown lot {q.epc_class}", Detail("no event created this lot", line),
                                  code="unknown_lot")
                kilograms(q, line)
        if isinstance(c.model, TransformationEvent):
            _balance(c, known, master, enterprise_id, rules)
        for q in created:
            known[q.epc_class] = Lot.of(master[q.epc_class], enterprise_id)


def _in_kg(q: QuantityElement) -> bool:
    """Whether ``kilograms`` takes the quantity (the checks name the field only when it does not)."""
    return q.quantity is not None and (q.uom or "KGM") in KG_PER_UNIT


def _balance(c: _Checked, known: dict[str, Lot], master: dict[str, Any], enterprise_id: str,
             rules: YieldRules) -> None:
    model = c.model
    assert isinstance(model, TransformationEvent)
    where = c.item.label
    if not model.input_quantity_list:
        raise invalid(f"{where}: outputs without inputs",
                      Detail("list the consumed lots", f"{where}.inputQuantityList"), code="outputs_without_inputs")
    inputs = [known[q.epc_class].content(kilograms(q, where)) for q in model.input_quantity_list]
    outputs = [Lot.of(master[q.epc_class], enterprise_id).content(kilograms(q, where))
               for q in model.output_quantity_list]
    c.tolerance = rules.for_step(model.process_step or "")
    c.balance = balance(inputs, outputs, c.tolerance, where)


def _event(caller: Caller, tenant: str, enterprise_id: str, c: _Checked) -> tuple[Event, bytes, bytes]:
    """The log entry of one checked event: the event, its canonical bytes (what ``Ledger.prepare`` returns) and the
    canonical bytes of the EPCIS event alone (the ``flow_events`` document).

    The body is validated by its kind's model (``EventCaptured``), so it is valid for the kind as it stands;
    validating it a second time through the registry would give the same dict. An event that is plain JSON already
    (as read from a file; ``canonical_json`` says so) is its own JSON form; anything else takes the model's.
    """
    model = EventCaptured(event_hash=c.hash, enterprise_id=enterprise_id, event=c.item.data,
                          namespaces=c.item.namespaces, min_yield=c.tolerance.min_yield if c.tolerance else None,
                          max_yield=c.tolerance.max_yield if c.tolerance else None)
    try:
        document = canonical_json(c.item.data, "event.body.event")
        body = {"event_hash": model.event_hash, "enterprise_id": model.enterprise_id, "event": c.item.data,
                "namespaces": model.namespaces, "min_yield": model.min_yield, "max_yield": model.max_yield}
    except Error:  # e.g. a date from a spreadsheet: the model's JSON form writes it as text
        body = model.model_dump(mode="json")
        document = canonical_json(body["event"], "event.body.event")
    lot_ids = sorted({q.epc_class for qs in c.roles.values() for q in qs})[:20]
    event = Event(kind=CAPTURED, tenant=tenant, actor=caller.actor,
                  subjects=(c.hash, enterprise_id, *lot_ids), body=body)
    return event, _entry(event, document), document


_HOLE = "\x00reetrace:flow:event\x00"
_HOLE_JSON = json.dumps(_HOLE).encode("ascii")


def _entry(event: Event, document: bytes) -> bytes:
    """``canonical_entry(event)``, with the EPCIS event's canonical bytes (written once, for the log and the document
    column) in their place.

    JCS writes each member's value independently of its neighbours and sorts members by key alone, so the envelope
    written with a placeholder string for the event, the placeholder then replaced by the event's JCS bytes, is the
    envelope's JCS (a test compares the two). Anything unusual takes ``canonical_entry`` itself.
    """
    envelope = event.envelope()
    envelope["body"] = {**envelope["body"], "event": _HOLE}
    frame = canonical_json(envelope, "event")
    if frame.count(_HOLE_JSON) != 1:
        return canonical_entry(event)
    entry = frame.replace(_HOLE_JSON, document)
    return entry if len(entry) <= MAX_ENTRY_BYTES else canonical_entry(event)  # which refuses it, saying why


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
    document: str  # canonical JSON of the event, as on the log (replay agrees)
    namespaces: str
    tolerance: Tolerance | None
    index: int
    balance: Sequence[ElementBalance] | None = None  # when the capture computed it already (same lots, same rules)

    @classmethod
    def of(cls, c: _Checked, document: bytes, tenant: str, enterprise_id: str, index: int) -> _Captured:
        return cls(c.hash, tenant, enterprise_id, c.model, c.model.lot_master_data(), document.decode("utf-8"),
                   _namespaces_json(c.item.namespaces), c.tolerance, index,
                   c.balance if c.tolerance is not None else None)


def _namespaces_json(namespaces: dict[str, str]) -> str:
    return _sorted_json(namespaces) if namespaces else "{}"


_sorted_json = json.JSONEncoder(sort_keys=True).encode  # json.dumps(value, sort_keys=True), set up once


def _captured(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    """The projector of ``flow.event.captured`` (replay): parse each body, then project the run."""
    run = []
    for event, index in items:
        body = EventCaptured.model_validate(event.body)
        model = parse_epcis_event(body.event)
        tolerance = None if body.min_yield is None or body.max_yield is None else Tolerance(body.min_yield,
                                                                                              body.max_yield)
        run.append(_Captured(body.event_hash, event.tenant or "", body.enterprise_id, model, model.lot_master_data(),
                             canonical_json(body.event, "event").decode("utf-8"),
                             _namespaces_json(body.namespaces), tolerance, index))
    _project(conn, run)


def _project(conn: Connection, run: Sequence[_Captured]) -> None:
    rows: dict[str, list[dict[str, Any]]] = {"events": [], "lots": [], "links": [], "balances": [], "shipments": []}
    created = {m.lot for c in run for m in c.master}
    needed = {q.epc_class for c in run if isinstance(c.model, TransformationEvent) and c.tolerance is not None
              and c.balance is None for q in c.model.input_quantity_list} - created
    known = known_lots(conn, needed) if needed else {}
    for c in run:
        model = c.model
        moment = utc_millis_of(model.event_time)
        rows["events"].append({
            "event_hash": c.event_hash, "tenant": c.tenant, "enterprise_id": c.enterprise_id,
            "event_type": model.type, "event_time": moment, "month": moment[:7], "process_step": model.process_step,
            "biz_step": model.biz_step, "document": c.document, "namespaces": c.namespaces, "entry_idx": c.index})
        _lot_rows(c, known, rows["lots"])
        if isinstance(model, TransformationEvent):
            _transformation_rows(c, model, known, moment, rows)
        elif isinstance(model, ObjectEvent | TransactionEvent):
            _shipment_rows(c, model, moment, rows["shipments"])
    for table, key in ((events, "events"), (lots, "lots"), (lot_links, "links"), (balances, "balances"),
                       (shipments, "shipments")):
        if rows[key]:
            insert_rows(conn, table, rows[key])


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys in the same order) into a table in one executemany.

    On SQLite straight through the driver: the values are plain str, int, float, bool and None, which need none of
    SQLAlchemy's per-row processing (a third of the time of a capture before). Elsewhere SQLAlchemy's batched insert.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    values = operator.itemgetter(*names)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [values(row) for row in rows])


def _lot_rows(c: _Captured, known: dict[str, Lot], out: list[dict[str, Any]]) -> None:
    roles = quantities(c.model)
    master = {m.lot: m for m in c.master}
    for q in roles.get("created", ()) + roles.get("output", ()):
        m = master[q.epc_class]
        out.append({"lot_id": q.epc_class, "tenant": c.tenant, "enterprise_id": c.enterprise_id,
                    "product_class": m.product_class, "element": m.element, "reo_content": m.reo_content,
                    "distribution": _sorted_json(m.shares()), "quantity_kg": kilograms(q, "lot"),
                    "process_step": c.model.process_step,
                    "biz_location": c.model.biz_location.id if c.model.biz_location else None,
                    "event_hash": c.event_hash, "entry_idx": c.index})
        known[q.epc_class] = Lot.of(m, c.enterprise_id)


def _transformation_rows(c: _Captured, model: TransformationEvent, known: dict[str, Lot], moment: str,
                         rows: dict[str, list[dict[str, Any]]]) -> None:
    ins = [(q.epc_class, kilograms(q, "input")) for q in model.input_quantity_list]
    total = sum(kg for _, kg in ins) or 1.0
    links: dict[tuple[str, str], tuple[float, float]] = {}
    for out in model.output_quantity_list:
        for lot_id, kg in ins:
            key = (out.epc_class, lot_id)
            prior = links.get(key, (0.0, 0.0))
            links[key] = (prior[0] + kg, prior[1] + kg / total)
    rows["links"].extend({"child_lot": child, "parent_lot": parent, "event_hash": c.event_hash, "input_kg": kg,
                          "share": share} for (child, parent), (kg, share) in links.items())
    if c.tolerance is None:
        return
    result = c.balance
    if result is None:
        result = balance([known[lot].content(kg) for lot, kg in ins],
                         [known[q.epc_class].content(kilograms(q, "output")) for q in model.output_quantity_list],
                         c.tolerance)
    rows["balances"].extend(
        {"event_hash": c.event_hash, "element": b.element, "tenant": c.tenant, "enterprise_id": c.enterprise_id,
         "month": moment[:7], "process_step": model.process_step or "", "in_kg": b.in_kg, "out_kg": b.out_kg,
         "min_yield": b.tolerance.min_yield, "max_yield": b.tolerance.max_yield, "within": b.within}
        for b in result)


def _shipment_rows(c: _Captured, model: ObjectEvent | TransactionEvent, moment: str,
                   out: list[dict[str, Any]]) -> None:
    parties = sorted({d.destination for d in model.destination_list})
    if not parties or not (isinstance(model, TransactionEvent) or model.biz_step in SHIPPING_STEPS):
        return
    shipped = {(q.epc_class, p): kilograms(q, "shipment") for q in model.quantity_list for p in parties}
    out.extend({"event_hash": c.event_hash, "lot_id": lot, "party": party, "tenant": c.tenant,
                "enterprise_id": c.enterprise_id, "quantity_kg": kg, "end_user": model.end_user,
                "event_time": moment} for (lot, party), kg in shipped.items())


KINDS = [
    EventKind(CAPTURED, EventCaptured, _captured,
              "an EPCIS 2.0 event of the product flow (lots created, transformed, shipped), keyed by its event hash"),
]
