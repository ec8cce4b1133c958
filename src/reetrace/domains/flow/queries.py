"""Reads of product flow: stored events for export, and mass balances per transformation and per month."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from reetrace.storage.tables import log_entries

from .genealogy import ancestors, trace_forward
from .tables import balances, events, lot_links, lots, shipments


def document_select(*columns: ColumnElement[Any]) -> Select[Any]:
    """``flow_events`` rows with their log entry (``entry``), whose ``body.event`` is the event as captured (the
    canonical JSON, stored once); ``event_of`` reads it."""
    return select(log_entries.c.entry, *columns).join_from(events, log_entries, log_entries.c.idx == events.c.entry_idx)


def event_of(entry: bytes) -> dict[str, Any]:
    """The EPCIS event as captured, from its ``flow.event.captured`` log entry."""
    event: dict[str, Any] = json.loads(entry)["body"]["event"]
    return event


def stored_events(conn: Connection, lot_id: str | None = None,
                  tenants: frozenset[str] | None = None) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Events in log order (each with its prefixes); with ``lot_id``, those that made, used or shipped the lot's
    sources and descendants, i.e. its whole genealogy."""
    query = document_select(events.c.namespaces, events.c.event_hash).order_by(events.c.entry_idx)
    if tenants is not None:
        query = query.where(events.c.tenant.in_(sorted(tenants)))
    rows = list(conn.execute(query))
    if lot_id is not None:
        wanted = _genealogy_events(conn, lot_id)
        rows = [r for r in rows if r.event_hash in wanted]
    return [(event_of(r.entry), json.loads(r.namespaces)) for r in rows]


def _genealogy_events(conn: Connection, lot_id: str) -> set[str]:
    family = ancestors(conn, lot_id) | {lot_id} | set(trace_forward(conn, lot_id).descendants)
    found: set[str] = set()
    ordered = sorted(family)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        found |= set(conn.execute(select(lots.c.event_hash).where(lots.c.lot_id.in_(chunk))).scalars())
        found |= set(conn.execute(select(lot_links.c.event_hash).where(lot_links.c.child_lot.in_(chunk))).scalars())
        found |= set(conn.execute(select(shipments.c.event_hash).where(shipments.c.lot_id.in_(chunk))).scalars())
    return found


@dataclass(frozen=True)
class MonthlyBalance:
    enterprise_id: str
    month: str
    element: str
    transformations: int
    in_kg: float
    out_kg: float
    outside: int  # transformations whose yield for this element is outside the tolerance

    @property
    def yield_ratio(self) -> float | None:
        return None if self.in_kg <= 0 else self.out_kg / self.in_kg


def monthly_balances(conn: Connection, enterprise_id: str | None = None, month: str | None = None,
                     tenants: frozenset[str] | None = None) -> list[MonthlyBalance]:
    """Per enterprise, month and element: REO in and out over its transformations, and how many were outside."""
    outside = func.sum(case((balances.c.within.is_(False), 1), else_=0))
    query = (select(balances.c.enterprise_id, balances.c.month, balances.c.element,
                    func.count().label("n"), func.sum(balances.c.in_kg).label("in_kg"),
                    func.sum(balances.c.out_kg).label("out_kg"), outside.label("outside"))
             .group_by(balances.c.enterprise_id, balances.c.month, balances.c.element)
             .order_by(balances.c.enterprise_id, balances.c.month, balances.c.element))
    if enterprise_id is not None:
        query = query.where(balances.c.enterprise_id == enterprise_id)
    if month is not None:
        query = query.where(balances.c.month == month)
    if tenants is not None:
        query = query.where(balances.c.tenant.in_(sorted(tenants)))
    return [MonthlyBalance(r.enterprise_id, r.month, r.element, int(r.n), float(r.in_kg), float(r.out_kg),
                           int(r.outside or 0)) for r in conn.execute(query)]
