"""Capture of EPCIS events: check each in the domain's words, recognise re-submissions, record, balance.

``capture`` takes the events of one document (or one CSV import) for one enterprise. Every event is checked before
anything is written: its shape (the EPCIS models), its lots (inputs and observed lots must exist; created lots
carry master data and must be new), its quantities (mass units), and for a transformation the element balance
(an element out that no input carries is refused). One bad event stores nothing. An event whose CBV 2.0 event hash
is on the log already (or earlier in the batch) is counted as a duplicate and not stored again. A yield outside
the step's tolerance raises ``flow.mass_balance.gap`` carrying the balance, the lots and the log entry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, insert, select

from reetrace.domains.alerts import raise_alert
from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.events import Event, EventKind, canonical_json
from reetrace.storage.ledger import UnitOfWork

from .epcis import EpcisEvent, ObjectEvent, TransactionEvent, TransformationEvent, parse_epcis_event, quantities
from .eventhash import event_hash, utc_millis
from .lots import Lot, kilograms, known_lots
from .massbalance import ElementBalance, Tolerance, YieldRules, balance
from .tables import balances, events, lot_links, lots, shipments

GAP = "flow.mass_balance.gap"
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
    rules = rules or YieldRules.load()
    checked = [_parse(item) for item in items]
    existing = _stored_hashes(uow.conn, [c.hash for c in checked])
    fresh: list[_Checked] = []
    for c in checked:
        if c.hash in existing:
            continue
        existing.add(c.hash)
        fresh.append(c)
    _check_lots(uow.conn, enterprise_id, fresh, rules)
    recorded = uow.record_many([_event(caller, tenant, enterprise_id, c) for c in fresh])
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
    return _Checked(item, model, event_hash(item.data, item.namespaces))


def _stored_hashes(conn: Connection, hashes: Sequence[str]) -> set[str]:
    out: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 500):
        out |= set(conn.execute(select(events.c.event_hash).where(events.c.event_hash.in_(unique[start:start + 500])))
                   .scalars())
    return out


def _check_lots(conn: Connection, enterprise_id: str, batch: Sequence[_Checked], rules: YieldRules) -> None:
    """Every lot an event uses exists (in the store or earlier in the batch); created lots are new; balances hold."""
    mentioned = {q.epc_class for c in batch for qs in quantities(c.model).values() for q in qs}
    known = known_lots(conn, mentioned)
    for c in batch:
        where, roles = c.item.label, quantities(c.model)
        master = {m.lot: m for m in c.model.lot_master_data()}
        created = roles.get("created", ()) + roles.get("output", ())
        for n, q in enumerate(created):
            line = f"{where}.{'outputQuantityList' if 'output' in roles else 'quantityList'}[{n}]"
            kilograms(q, line)
            if q.epc_class in known:
                raise invalid(f"{line}: lot {q.epc_class} exists already", Detail("a lot is created once", line),
                              code="lot_exists")
            if q.epc_class not in master:
                raise invalid(f"{line}: no master data for the new lot {q.epc_class}",
                              Detail("give it in ilmd.reetrace:lotMasterData", f"{where}.ilmd"), code="no_master_data")
        used = roles.get("input", ()) + roles.get("observed", ()) + roles.get("deleted", ()) + roles.get("child", ())
        for n, q in enumerate(used):
            line = f"{where}.{'inputQuantityList' if 'input' in roles else 'quantityList'}[{n}]"
            if q.epc_class not in known:
                raise invalid(f"{line}: unknown lot {q.epc_class}", Detail("no event created this lot", line),
                              code="unknown_lot")
            kilograms(q, line)
        if isinstance(c.model, TransformationEvent):
            _balance(c, known, master, enterprise_id, rules)
        for q in created:
            known[q.epc_class] = Lot.of(master[q.epc_class], enterprise_id)


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


def _event(caller: Caller, tenant: str, enterprise_id: str, c: _Checked) -> Event:
    body = EventCaptured(event_hash=c.hash, enterprise_id=enterprise_id, event=c.item.data,
                         namespaces=c.item.namespaces, min_yield=c.tolerance.min_yield if c.tolerance else None,
                         max_yield=c.tolerance.max_yield if c.tolerance else None)
    lot_ids = sorted({q.epc_class for qs in quantities(c.model).values() for q in qs})[:20]
    return Event(kind="flow.event.captured", tenant=tenant, actor=caller.actor,
                 subjects=(c.hash, enterprise_id, *lot_ids), body=body.model_dump(mode="json"))


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


def _captured(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    for event, index in items:  # one by one: a lot created by one event is read by the next
        body = EventCaptured.model_validate(event.body)
        model = parse_epcis_event(body.event)
        tenant = event.tenant or ""
        moment = utc_millis(model.event_time.isoformat())
        conn.execute(insert(events).values(
            event_hash=body.event_hash, tenant=tenant, enterprise_id=body.enterprise_id, event_type=model.type,
            event_time=moment, month=moment[:7], process_step=model.process_step, biz_step=model.biz_step,
            document=canonical_json(body.event, "event").decode("utf-8"),  # as on the log (replay agrees)
            namespaces=json.dumps(body.namespaces, sort_keys=True), entry_idx=index))
        _project_lots(conn, body, model, tenant, index)
        if isinstance(model, TransformationEvent):
            _project_transformation(conn, body, model, tenant, moment)
        elif isinstance(model, ObjectEvent | TransactionEvent):
            _project_shipment(conn, body, model, tenant, moment)


def _project_lots(conn: Connection, body: EventCaptured, model: EpcisEvent, tenant: str, index: int) -> None:
    roles = quantities(model)
    master = {m.lot: m for m in model.lot_master_data()}
    rows = []
    for q in roles.get("created", ()) + roles.get("output", ()):
        m = master[q.epc_class]
        rows.append({"lot_id": q.epc_class, "tenant": tenant, "enterprise_id": body.enterprise_id,
                     "product_class": m.product_class, "element": m.element, "reo_content": m.reo_content,
                     "distribution": json.dumps(m.shares(), sort_keys=True), "quantity_kg": kilograms(q, "lot"),
                     "process_step": model.process_step,
                     "biz_location": model.biz_location.id if model.biz_location else None,
                     "event_hash": body.event_hash, "entry_idx": index})
    if rows:
        conn.execute(insert(lots), rows)


def _project_transformation(conn: Connection, body: EventCaptured, model: TransformationEvent, tenant: str,
                            moment: str) -> None:
    ins = [(q.epc_class, kilograms(q, "input")) for q in model.input_quantity_list]
    total = sum(kg for _, kg in ins) or 1.0
    links: dict[tuple[str, str], tuple[float, float]] = {}
    for out in model.output_quantity_list:
        for lot_id, kg in ins:
            key = (out.epc_class, lot_id)
            prior = links.get(key, (0.0, 0.0))
            links[key] = (prior[0] + kg, prior[1] + kg / total)
    if links:
        conn.execute(insert(lot_links), [{"child_lot": c, "parent_lot": p, "event_hash": body.event_hash,
                                          "input_kg": kg, "share": share} for (c, p), (kg, share) in links.items()])
    if body.min_yield is None or body.max_yield is None:
        return
    known = known_lots(conn, [lot for lot, _ in ins] + [q.epc_class for q in model.output_quantity_list])
    result = balance([known[lot].content(kg) for lot, kg in ins],
                     [known[q.epc_class].content(kilograms(q, "output")) for q in model.output_quantity_list],
                     Tolerance(body.min_yield, body.max_yield))
    if result:
        conn.execute(insert(balances), [
            {"event_hash": body.event_hash, "element": b.element, "tenant": tenant,
             "enterprise_id": body.enterprise_id, "month": moment[:7], "process_step": model.process_step or "",
             "in_kg": b.in_kg, "out_kg": b.out_kg, "min_yield": b.tolerance.min_yield,
             "max_yield": b.tolerance.max_yield, "within": b.within} for b in result])


def _project_shipment(conn: Connection, body: EventCaptured, model: ObjectEvent | TransactionEvent, tenant: str,
                      moment: str) -> None:
    parties = sorted({d.destination for d in model.destination_list})
    if not parties or not (isinstance(model, TransactionEvent) or model.biz_step in SHIPPING_STEPS):
        return
    rows = {(q.epc_class, p): kilograms(q, "shipment") for q in model.quantity_list for p in parties}
    if rows:
        conn.execute(insert(shipments), [
            {"event_hash": body.event_hash, "lot_id": lot, "party": party, "tenant": tenant,
             "enterprise_id": body.enterprise_id, "quantity_kg": kg, "end_user": model.end_user,
             "event_time": moment} for (lot, party), kg in rows.items()])


KINDS = [
    EventKind("flow.event.captured", EventCaptured, _captured,
              "an EPCIS 2.0 event of the product flow (lots created, transformed, shipped), keyed by its event hash"),
]
