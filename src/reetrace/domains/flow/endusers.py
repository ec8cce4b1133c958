"""End users of sales: every shipment names its end user, and a lot sold on names the one declared for it.

The end user declared for a lot is what the shipments of its maker (the enterprise that created the lot) name. A
shipment of the lot by anyone else sells it on: its end user must be one of the declared ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from .tables import lots, shipments


@dataclass(frozen=True)
class EndUserIssue:
    lot_id: str
    event_hash: str
    enterprise_id: str  # who shipped
    party: str  # to whom
    end_user: str | None  # what the shipment names
    declared: tuple[str, ...]  # what the lot's maker declared
    problem: str  # missing | undeclared


def check_end_users(conn: Connection, tenants: frozenset[str] | None = None) -> list[EndUserIssue]:
    """Shipments without an end user, and lots sold on to an end user their maker did not declare (the declared
    end users are read over all tenants; ``tenants`` limits the shipments reported)."""
    query = (select(shipments, lots.c.enterprise_id.label("maker")).join(lots, lots.c.lot_id == shipments.c.lot_id)
             .order_by(shipments.c.event_time, shipments.c.event_hash, shipments.c.lot_id, shipments.c.party))
    rows = conn.execute(query).all()
    declared: dict[str, set[str]] = {}
    for r in rows:
        if r.enterprise_id == r.maker and r.end_user:
            declared.setdefault(r.lot_id, set()).add(r.end_user)
    out = []
    for r in rows:
        named = tuple(sorted(declared.get(r.lot_id, ())))
        problem = "missing" if not r.end_user else "undeclared" if named and r.end_user not in named else ""
        if problem and (tenants is None or r.tenant in tenants):
            out.append(EndUserIssue(r.lot_id, r.event_hash, r.enterprise_id, r.party, r.end_user, named, problem))
    return out
