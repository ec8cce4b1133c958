"""Lot genealogy: a lot back to its sources with the share of each, and forward to every end customer.

The adjacency table ``flow_lot_links`` holds, per transformation, each input lot's share of the inputs by mass
(every output inherits the inputs in that proportion). A backward trace walks it level by level: the frontier's
lots are looked up in one indexed query per 500 lots, shares multiply along a path and add up over paths; lots
without parents are the sources. A forward trace walks the other index (parent first) to every descendant, then
reads the shipments of all of them. Each level costs one query per 500 lots, so a trace touches only the lots it
reaches, whatever the size of the table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, select

from reetrace.errors import not_found

from .tables import lot_links, lots, shipments

MAX_DEPTH = 64
CHUNK = 500


@dataclass(frozen=True)
class Source:
    lot_id: str
    share: float  # of the traced lot's material, by mass
    enterprise_id: str
    product_class: str
    depth: int


@dataclass(frozen=True)
class Delivery:
    party: str
    lot_id: str
    quantity_kg: float
    enterprise_id: str
    end_user: str | None
    event_time: str
    event_hash: str


@dataclass(frozen=True)
class ForwardTrace:
    lot_id: str
    descendants: tuple[str, ...]
    deliveries: tuple[Delivery, ...]
    unshipped: tuple[str, ...]  # lots at the end of the chain that no shipment names yet

    @property
    def customers(self) -> tuple[str, ...]:
        return tuple(sorted({d.party for d in self.deliveries}))


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(items)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _require_lot(conn: Connection, lot_id: str) -> None:
    if conn.execute(select(lots.c.lot_id).where(lots.c.lot_id == lot_id)).first() is None:
        raise not_found(f"no lot {lot_id!r}", code="unknown_lot")


def trace_back(conn: Connection, lot_id: str) -> list[Source]:
    """The sources of a lot (lots with no parents), each with its share of the lot; largest share first."""
    _require_lot(conn, lot_id)
    frontier: dict[str, float] = {lot_id: 1.0}
    roots: dict[str, float] = {}
    depth_of: dict[str, int] = {}
    for depth in range(MAX_DEPTH):
        if not frontier:
            break
        parents: dict[str, float] = {}
        has_parent: set[str] = set()
        for chunk in _chunks(frontier):
            for row in conn.execute(select(lot_links.c.child_lot, lot_links.c.parent_lot, lot_links.c.share)
                                    .where(lot_links.c.child_lot.in_(chunk))):
                has_parent.add(row.child_lot)
                parents[row.parent_lot] = parents.get(row.parent_lot, 0.0) + frontier[row.child_lot] * row.share
        for lot, share in frontier.items():
            if lot not in has_parent:
                roots[lot] = roots.get(lot, 0.0) + share
                depth_of.setdefault(lot, depth)
        frontier = parents
    info = _lot_info(conn, roots)
    return sorted((Source(lot, share, *info.get(lot, ("", "")), depth_of[lot]) for lot, share in roots.items()),
                  key=lambda s: (-s.share, s.lot_id))


def trace_forward(conn: Connection, lot_id: str) -> ForwardTrace:
    """Every lot made from this one (at any depth) and every delivery of any of them."""
    _require_lot(conn, lot_id)
    seen, frontier, leaves = {lot_id}, {lot_id}, set()
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        children: set[str] = set()
        with_children: set[str] = set()
        for chunk in _chunks(frontier):
            for row in conn.execute(select(lot_links.c.parent_lot, lot_links.c.child_lot)
                                    .where(lot_links.c.parent_lot.in_(chunk))):
                with_children.add(row.parent_lot)
                children.add(row.child_lot)
        leaves |= frontier - with_children
        frontier = children - seen
        seen |= children
    deliveries = []
    for chunk in _chunks(seen):
        for row in conn.execute(select(shipments).where(shipments.c.lot_id.in_(chunk))):
            deliveries.append(Delivery(row.party, row.lot_id, row.quantity_kg, row.enterprise_id, row.end_user,
                                       row.event_time, row.event_hash))
    shipped = {d.lot_id for d in deliveries}
    deliveries.sort(key=lambda d: (d.party, d.lot_id, d.event_time))
    return ForwardTrace(lot_id, tuple(sorted(seen - {lot_id})), tuple(deliveries),
                        tuple(sorted(leaves - shipped)))


def _lot_info(conn: Connection, lot_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for chunk in _chunks(lot_ids):
        for row in conn.execute(select(lots.c.lot_id, lots.c.enterprise_id, lots.c.product_class)
                                .where(lots.c.lot_id.in_(chunk))):
            out[row.lot_id] = (row.enterprise_id, row.product_class)
    return out


def ancestors(conn: Connection, lot_id: str) -> set[str]:
    """Every lot this one was made from, at any depth."""
    _require_lot(conn, lot_id)
    seen: set[str] = set()
    frontier = {lot_id}
    for _ in range(MAX_DEPTH):
        parents: set[str] = set()
        for chunk in _chunks(frontier):
            parents |= set(conn.execute(select(lot_links.c.parent_lot).where(lot_links.c.child_lot.in_(chunk)))
                           .scalars())
        frontier = parents - seen
        if not frontier:
            break
        seen |= frontier
    return seen
