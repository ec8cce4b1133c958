"""Product flow as the API and the console show it: a lot's trace (a graph of lots layered by step, each with its
enterprise, country, product class, quantity and share), the monthly mass balances and the year's quotas; the
capture of an uploaded EPCIS 2.0 document or CSV/XLSX flow file, and the export of stored events as EPCIS 2.0.

Reads go through the principal's scope (:class:`reetrace.web.deps.Scoped`): a lot of another tenant is "not found"
and the attempt audited. The genealogy links carry no tenant; a trace stops at a lot the principal may not see and
shows it as a hidden node (its share, no id, no enterprise), so a trace reveals nothing beyond the scope.
Backward, a node's share is the part of the traced lot's material that comes from it; forward, the part of the
node's material that comes from the traced lot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import case, exists, func, select

from reetrace.domains.flow import imports, jsonld, reports, service
from reetrace.domains.flow import quotas as flow_quotas
from reetrace.domains.flow.genealogy import MAX_DEPTH
from reetrace.domains.flow.lots import lot_uri, short_lot
from reetrace.domains.flow.queries import MonthlyBalance, document_select, event_of
from reetrace.domains.flow.quota_tables import quotas
from reetrace.domains.flow.quotas import MINED_CLASSES, QUOTA_KINDS
from reetrace.domains.flow.reports import parse_month
from reetrace.domains.flow.tables import balances, events, lot_links, lots
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, invalid
from reetrace.web.deps import Scoped, unit_of_work
from reetrace.web.personnelview import caller_of
from reetrace.web.travelview import today as china_today

Direction = Literal["back", "forward"]
LOT_PATH = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
HIDDEN = "hidden"


class TraceNode(BaseModel):
    lot_id: str  # the short id (``CONC-A``), or ``hidden-<n>`` for a lot outside the scope
    visible: bool
    enterprise_id: str
    country: str
    product_class: str
    quantity_kg: float
    share: float
    step: int  # the column of the graph, 0 = leftmost


class TraceEdge(BaseModel):
    parent: str
    child: str
    share: float  # the parent's share of the transformation's inputs, by mass


class Trace(BaseModel):
    lot_id: str
    direction: Direction
    nodes: list[TraceNode]
    edges: list[TraceEdge]


@dataclass
class _Walk:
    share: dict[str, float] = field(default_factory=dict)
    depth: dict[str, int] = field(default_factory=dict)
    edges: dict[tuple[str, str], float] = field(default_factory=dict)


def trace(scoped: Scoped, lot: str, direction: Direction) -> Trace:
    """The lot's genealogy back to its sources or forward to its last lots, as nodes and edges."""
    root = lot_uri(lot)
    info = _lot_rows(scoped, {root})
    if root not in info:
        raise scoped.refuse(f"no lot {short_lot(root)!r} that you may see")
    walk, info = _walk(scoped, root, direction, info)
    names = _names(walk, info)
    deepest = max(walk.depth.values())
    nodes = []
    for lot_id, share in walk.share.items():
        row = info.get(lot_id)
        step = deepest - walk.depth[lot_id] if direction == "back" else walk.depth[lot_id]
        nodes.append(TraceNode(lot_id=names[lot_id], visible=row is not None, share=round(share, 6), step=step,
                               enterprise_id=row[0] if row else "", country=row[1] if row else "",
                               product_class=row[2] if row else "", quantity_kg=row[3] if row else 0.0))
    nodes.sort(key=lambda n: (n.step, -n.share, n.lot_id))
    edges = [TraceEdge(parent=names[p], child=names[c], share=round(s, 6)) for (p, c), s in sorted(walk.edges.items())]
    return Trace(lot_id=short_lot(root), direction=direction, nodes=nodes, edges=edges)


def _walk(scoped: Scoped, root: str, direction: Direction,
          info: dict[str, tuple[str, str, str, float]]) -> tuple[_Walk, dict[str, tuple[str, str, str, float]]]:
    """Level by level: shares multiply along a path and add up over paths; a node's depth is its longest path."""
    walk = _Walk({root: 1.0}, {root: 0})
    frontier = {root: 1.0}
    near, far = ((lot_links.c.child_lot, lot_links.c.parent_lot) if direction == "back"
                 else (lot_links.c.parent_lot, lot_links.c.child_lot))
    for depth in range(1, MAX_DEPTH):
        expandable = sorted(k for k in frontier if k in info)  # a hidden lot is a leaf
        if not expandable:
            break
        found: dict[str, float] = {}
        for row in scoped.all(select(near.label("near"), far.label("far"), lot_links.c.share)
                              .where(near.in_(expandable)).order_by(near, far)):
            gained = frontier[row.near] * row.share
            found[row.far] = found.get(row.far, 0.0) + gained
            key = (row.far, row.near) if direction == "back" else (row.near, row.far)
            walk.edges[key] = row.share
        for lot_id, gained in found.items():
            walk.share[lot_id] = walk.share.get(lot_id, 0.0) + gained
            walk.depth[lot_id] = max(walk.depth.get(lot_id, 0), depth)
        info |= _lot_rows(scoped, set(found) - set(info))
        frontier = found
    return walk, info


def _names(walk: _Walk, info: dict[str, tuple[str, str, str, float]]) -> dict[str, str]:
    names, hidden = {}, 0
    for lot_id in sorted(walk.share, key=lambda k: (walk.depth[k], k)):
        if lot_id in info:
            names[lot_id] = short_lot(lot_id)
        else:
            hidden += 1
            names[lot_id] = f"{HIDDEN}-{hidden}"
    return names


def _lot_rows(scoped: Scoped, lot_ids: set[str]) -> dict[str, tuple[str, str, str, float]]:
    """Visible lots: enterprise, its country, product class and quantity (kg)."""
    out: dict[str, tuple[str, str, str, float]] = {}
    ordered = sorted(lot_ids)
    for start in range(0, len(ordered), 500):
        query = (select(lots.c.lot_id, lots.c.enterprise_id, lots.c.product_class, lots.c.quantity_kg,
                        enterprises.c.country)
                 .outerjoin(enterprises, enterprises.c.enterprise_id == lots.c.enterprise_id)
                 .where(lots.c.lot_id.in_(ordered[start:start + 500])))
        for row in scoped.all(query):
            out[row.lot_id] = (row.enterprise_id, row.country or "", row.product_class, float(row.quantity_kg))
    return out


# --- mass balance -----------------------------------------------------------------------------------------------


class BalanceRow(BaseModel):
    enterprise_id: str
    month: str
    element: str
    transformations: int
    in_kg: float
    out_kg: float
    yield_ratio: float | None
    outside: int  # transformations whose yield for this element is outside the tolerance


class Balances(BaseModel):
    enterprise: str | None
    month: str | None
    rows: list[BalanceRow]


def monthly(scoped: Scoped, enterprise: str | None, month: str | None) -> Balances:
    """Per enterprise, month and element: REO in and out, and how many transformations were outside tolerance."""
    if month is not None:
        year, number = parse_month(month)
        month = f"{year:04d}-{number:02d}"
    outside = func.sum(case((balances.c.within.is_(False), 1), else_=0))
    query = (select(balances.c.enterprise_id, balances.c.month, balances.c.element, func.count().label("n"),
                    func.sum(balances.c.in_kg).label("in_kg"), func.sum(balances.c.out_kg).label("out_kg"),
                    outside.label("outside"))
             .group_by(balances.c.enterprise_id, balances.c.month, balances.c.element)
             .order_by(balances.c.enterprise_id, balances.c.month, balances.c.element))
    if enterprise is not None:
        query = query.where(balances.c.enterprise_id == enterprise)
    if month is not None:
        query = query.where(balances.c.month == month)
    rows = []
    for r in scoped.all(query):
        m = MonthlyBalance(r.enterprise_id, r.month, r.element, int(r.n), float(r.in_kg), float(r.out_kg),
                           int(r.outside or 0))
        rows.append(BalanceRow(enterprise_id=m.enterprise_id, month=m.month, element=m.element,
                               transformations=m.transformations, in_kg=round(m.in_kg, 6), out_kg=round(m.out_kg, 6),
                               yield_ratio=None if m.yield_ratio is None else round(m.yield_ratio, 6),
                               outside=m.outside))
    return Balances(enterprise=enterprise, month=month, rows=rows)


# --- quotas -----------------------------------------------------------------------------------------------------


class QuotaRow(BaseModel):
    enterprise_id: str
    kind: str
    quota_t: float
    used_t: float
    share: float | None


class Quotas(BaseModel):
    year: int
    quotas: list[QuotaRow]


def year_quotas(scoped: Scoped, year: int) -> Quotas:
    """Each visible enterprise's quotas of the year (the sum of its batches) and their consumption so far."""
    held: dict[tuple[str, str], float] = {}
    for r in scoped.all(select(quotas.c.enterprise_id, quotas.c.kind, func.sum(quotas.c.reo_tonnes).label("tonnes"))
                        .where(quotas.c.year == year).group_by(quotas.c.enterprise_id, quotas.c.kind)):
        held[(r.enterprise_id, r.kind)] = float(r.tonnes)
    rows = []
    for (enterprise_id, kind), quota in sorted(held.items(), key=lambda kv: (kv[0][0], QUOTA_KINDS.index(kv[0][1]))):
        used = _used_t(scoped, enterprise_id, year, kind)
        rows.append(QuotaRow(enterprise_id=enterprise_id, kind=kind, quota_t=round(quota, 6), used_t=round(used, 6),
                             share=None if quota <= 0 else round(used / quota, 6)))
    return Quotas(year=year, quotas=rows)


def _used_t(scoped: Scoped, enterprise_id: str, year: int, kind: str) -> float:
    """The REO tonnes counted against the quota, as :func:`reetrace.domains.flow.quotas.production` counts them."""
    query = (select(func.sum(lots.c.quantity_kg * lots.c.reo_content))
             .join(events, events.c.event_hash == lots.c.event_hash)
             .where(lots.c.enterprise_id == enterprise_id, events.c.event_time >= f"{year:04d}-01-01",
                    events.c.event_time < f"{year + 1:04d}-01-01"))
    if kind == "mining":
        made = exists().where(lot_links.c.child_lot == lots.c.lot_id)
        query = query.where(lots.c.product_class.in_(MINED_CLASSES), ~made)
    else:
        query = query.where(lots.c.product_class == "separated_oxide")
    row = scoped.first(query)
    return float(row[0] or 0.0) / 1000.0 if row is not None else 0.0


# --- capture and export -------------------------------------------------------------------------------------------

MAX_UPLOAD = 20 * 1024 * 1024
ENTERPRISE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
JSON_SUFFIXES = (".json", ".jsonld")


class Captured(BaseModel):
    """What one upload did: its events, how many were new, how many were re-submissions, and the alerts raised."""

    source: str
    enterprise_id: str
    events: int
    stored: int
    duplicates: int
    event_hashes: list[str]
    alerts: list[str]  # mass-balance gaps
    quota_alerts: list[str]  # 90 %, 100 % and beyond the quota
    first_index: int | None
    last_index: int | None


def capture_file(request: Request, scoped: Scoped, data: bytes, filename: str, enterprise_id: str) -> Captured:
    """An EPCIS 2.0 JSON-LD document (``.json``/``.jsonld``, or any file starting with ``{``) or a CSV/XLSX flow
    file, captured for one of the caller's enterprises: every event checked first, one bad event stores nothing,
    re-submitted events are recognised by their event hash and skipped."""
    if not data:
        raise invalid("the uploaded file is empty", Detail("choose an EPCIS 2.0 JSON-LD, CSV or XLSX file", "file"))
    if len(data) > MAX_UPLOAD:
        raise Error(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB", code="too_large", http_status=413,
                    details=[Detail("split the events over several documents", "file")])
    scoped.one_or_refuse(select(enterprises.c.enterprise_id).where(enterprises.c.enterprise_id == enterprise_id),
                         f"no enterprise {enterprise_id!r} that you may record flows for")
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    if name.lower().endswith(JSON_SUFFIXES) or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        items = jsonld.read_document(data, name)
    else:
        items = imports.read_flow_rows(data, name)
    with unit_of_work(request) as (uow, _):
        report = service.capture(uow, caller_of(scoped.principal), enterprise_id, items)
        quota_alerts = flow_quotas.check_after_capture(uow, enterprise_id, report.hashes)
    return Captured(source=name, enterprise_id=enterprise_id, events=report.events, stored=report.stored,
                    duplicates=report.duplicates, event_hashes=list(report.hashes), alerts=list(report.alerts),
                    quota_alerts=quota_alerts, first_index=report.first_index, last_index=report.last_index)


def recordable_enterprises(scoped: Scoped) -> list[str]:
    """The enterprises of the principal's own tenant (those it may record flows for), for the import form."""
    return [r.enterprise_id for r in scoped.all(select(enterprises.c.enterprise_id)
                                                .where(enterprises.c.tenant == scoped.principal.tenant)
                                                .order_by(enterprises.c.enterprise_id))]


def export_document(scoped: Scoped, enterprise: str | None, month: str | None) -> dict[str, Any]:
    """The visible stored events (optionally one enterprise's, one month's) as one EPCIS 2.0 JSON-LD document, in
    log order, each as it was captured."""
    query = document_select(events.c.namespaces).order_by(events.c.entry_idx)
    if enterprise is not None:
        query = query.where(events.c.enterprise_id == enterprise)
    if month is not None:
        year, number = parse_month(month)
        query = query.where(events.c.month == f"{year:04d}-{number:02d}")
    stored = [(event_of(r.entry), json.loads(r.namespaces)) for r in scoped.all(query)]
    return jsonld.write_document(stored)


# --- monthly reports ----------------------------------------------------------------------------------------------


class Submitted(BaseModel):
    """A monthly report handed in: when, its due date, whether late, its rows and the SHA-256 of its CSV."""

    enterprise_id: str
    month: str
    submitted_on: date
    due_on: date
    late: bool
    rows: int
    sha256: str
    entry_idx: int


def submit_report(request: Request, scoped: Scoped, enterprise_id: str, month: str) -> Submitted:
    """Hand in the enterprise's report of a month that is over, today (China's date): once; late after its due
    date (the 10th of the next month, or the next working day)."""
    parse_month(month)
    scoped.one_or_refuse(select(enterprises.c.enterprise_id).where(enterprises.c.enterprise_id == enterprise_id),
                         f"no enterprise {enterprise_id!r} that you may report for")
    with unit_of_work(request) as (uow, _):
        index, body = reports.submit_report(uow, caller_of(scoped.principal), enterprise_id, month, china_today())
    return Submitted(**body.model_dump(), entry_idx=index)


class DueRow(BaseModel):
    enterprise_id: str
    month: str
    due_on: date
    late: bool
    days_late: int


class DueList(BaseModel):
    today: date
    reports: list[DueRow]


def due_list(scoped: Scoped, on: date | None = None) -> DueList:
    """The monthly reports of the visible enterprises not handed in yet (from each one's first month with flows to
    the month before ``on``, default today in China), with their due dates; a read: the late-report alerts are
    raised by ``reetrace flow reports-due``."""
    today = on or china_today()
    firsts = [(r.enterprise_id, r.tenant, r.first) for r in scoped.all(reports.FIRST_MONTHS)]
    handed = {(r.enterprise_id, r.month) for r in scoped.all(reports.HANDED_IN)}
    rows = [DueRow(enterprise_id=d.enterprise_id, month=d.month, due_on=d.due_on, late=d.late, days_late=d.days_late)
            for d in reports.due_reports(firsts, handed, today)]
    return DueList(today=today, reports=rows)
