"""Annual mining and separation quotas per enterprise (REO tonnes, allocated in batches) and their consumption.

A quota is set batch by batch (``flow.quota.set``: enterprise, year, kind, batch, REO tonnes); setting a batch again
revises it. The annual quota is the sum of the batches. Consumption is computed from the flows, never entered:

- mining: the REO (quantity x REO content) of ore and concentrate lots the enterprise created at the start of the
  chain in that year (lots no transformation made, so ore beneficiated into concentrate is not counted twice);
- separation: the REO of separated-oxide lots the enterprise's transformations put out in that year.

The year is that of the event time in UTC. :func:`check_quotas` raises ``flow.quota.near`` when consumption reaches
90 % of the quota and ``flow.quota.reached`` when it reaches 100 % (each once per enterprise, year and kind, even after
it is resolved), and one ``flow.quota.exceeded`` per production event beyond the quota, with the lot, its log
entry, the tonnes beyond and the consumption before it as evidence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, delete, exists, func, insert, select

from reetrace.domains.alerts import raise_alert
from reetrace.domains.alerts.tables import alerts
from reetrace.domains.personnel.models import Caller
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork

from .quota_tables import quotas
from .service import enterprise_tenant
from .tables import events, lot_links, lots

QuotaKind = Literal["mining", "separation"]
QUOTA_KINDS: tuple[QuotaKind, ...] = ("mining", "separation")
NEAR, REACHED, EXCEEDED = "flow.quota.near", "flow.quota.reached", "flow.quota.exceeded"
MINED_CLASSES = ("ore", "concentrate")
EPSILON = 1e-9


class QuotaSet(BaseModel):
    """Body of ``flow.quota.set``: one batch of an enterprise's annual quota."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enterprise_id: str = Field(min_length=1, max_length=64)
    year: int = Field(ge=2000, le=2100)
    kind: QuotaKind
    batch: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
    reo_tonnes: float = Field(ge=0)

    @field_validator("reo_tonnes")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("the quota is a finite number of REO tonnes")
        return value


@dataclass(frozen=True)
class Production:
    """One lot counted against a quota."""

    lot_id: str
    event_hash: str
    entry_idx: int
    event_time: str
    reo_tonnes: float


@dataclass(frozen=True)
class Beyond:
    """Production beyond the quota: the lot, and how much of it lies beyond."""

    production: Production
    used_before_t: float
    beyond_t: float


@dataclass(frozen=True)
class QuotaStatus:
    enterprise_id: str
    year: int
    kind: str
    quota_t: float
    batches: tuple[tuple[str, float], ...]
    used_t: float
    production: tuple[Production, ...]
    beyond: tuple[Beyond, ...]

    @property
    def share(self) -> float | None:
        return None if self.quota_t <= 0 else self.used_t / self.quota_t

    @property
    def over_t(self) -> float:
        return max(0.0, self.used_t - self.quota_t)


def set_quota(uow: UnitOfWork, caller: Caller, body: QuotaSet) -> tuple[int, list[str]]:
    """Record a quota batch; then check the enterprise's quotas of that year (a cut may cross a threshold)."""
    tenant = enterprise_tenant(uow.conn, caller, body.enterprise_id)
    index = uow.record(Event(kind="flow.quota.set", tenant=tenant, actor=caller.actor,
                             subjects=(body.enterprise_id, f"{body.kind}:{body.year}:{body.batch}"),
                             body=body.model_dump(mode="json")))
    return index, check_quotas(uow, body.enterprise_id, body.year)


def production(conn: Connection, enterprise_id: str, year: int, kind: str) -> list[Production]:
    """The lots counted against the enterprise's quota of this kind and year, in time (then log) order."""
    query = (select(lots.c.lot_id, lots.c.event_hash, lots.c.entry_idx, events.c.event_time,
                    (lots.c.quantity_kg * lots.c.reo_content).label("reo_kg"))
             .join(events, events.c.event_hash == lots.c.event_hash)
             .where(lots.c.enterprise_id == enterprise_id, events.c.event_time >= f"{year:04d}-01-01",
                    events.c.event_time < f"{year + 1:04d}-01-01")
             .order_by(events.c.event_time, lots.c.entry_idx, lots.c.lot_id))
    if kind == "mining":
        made = exists().where(lot_links.c.child_lot == lots.c.lot_id)
        query = query.where(lots.c.product_class.in_(MINED_CLASSES), ~made)
    else:
        query = query.where(lots.c.product_class == "separated_oxide")
    return [Production(r.lot_id, r.event_hash, int(r.entry_idx), r.event_time, float(r.reo_kg) / 1000.0)
            for r in conn.execute(query)]


def quota_status(conn: Connection, enterprise_id: str, year: int,
                 tenants: frozenset[str] | None = None) -> list[QuotaStatus]:
    """Each kind of quota the enterprise holds for the year, with its consumption and the production beyond it."""
    _require_enterprise(conn, enterprise_id, tenants)
    rows = conn.execute(select(quotas.c.kind, quotas.c.batch, quotas.c.reo_tonnes)
                        .where(quotas.c.enterprise_id == enterprise_id, quotas.c.year == year)
                        .order_by(quotas.c.kind, quotas.c.batch)).all()
    out = []
    for kind in QUOTA_KINDS:
        batches = tuple((r.batch, float(r.reo_tonnes)) for r in rows if r.kind == kind)
        if not batches:
            continue
        quota = sum(t for _, t in batches)
        made = production(conn, enterprise_id, year, kind)
        out.append(QuotaStatus(enterprise_id, year, kind, quota, batches, sum(p.reo_tonnes for p in made),
                               tuple(made), tuple(_beyond(made, quota))))
    return out


def _beyond(made: list[Production], quota: float) -> list[Beyond]:
    out, used = [], 0.0
    for p in made:
        after = used + p.reo_tonnes
        if after > quota + EPSILON:
            out.append(Beyond(p, used, after - max(quota, used)))
        used = after
    return out


def check_quotas(uow: UnitOfWork, enterprise_id: str, year: int) -> list[str]:
    """Raise the threshold alerts (once each) and one alert per production event beyond the quota; their ids."""
    tenant = _tenant_of(uow.conn, enterprise_id)
    raised: list[str | None] = []
    for status in quota_status(uow.conn, enterprise_id, year):
        key = f"{enterprise_id}:{year}:{status.kind}"
        summary = {"enterprise_id": enterprise_id, "year": year, "kind": status.kind,
                   "quota_t": round(status.quota_t, 6), "used_t": round(status.used_t, 6),
                   "batches": [{"batch": b, "reo_t": t} for b, t in status.batches]}
        for level, kind in ((0.9, NEAR), (1.0, REACHED)):
            if status.used_t > 0 and status.used_t >= level * status.quota_t * (1 - EPSILON):
                message = (f"{enterprise_id}: {status.kind} quota {year} {level:.0%} used: {status.used_t:,.3f} t "
                           f"of {status.quota_t:,.3f} t REO")
                raised.append(_alert_once(uow, tenant, kind, enterprise_id, "warning" if level < 1 else "high",
                                          message, summary, f"{kind}:{key}"))
        for b in status.beyond:
            p = b.production
            message = (f"{enterprise_id}: {status.kind} beyond the {year} quota: lot {p.lot_id} adds "
                       f"{p.reo_tonnes:,.3f} t REO, {b.beyond_t:,.3f} t of it beyond {status.quota_t:,.3f} t")
            evidence = {**summary, "lot": p.lot_id, "event_hash": p.event_hash, "log_index": p.entry_idx,
                        "event_time": p.event_time, "lot_reo_t": round(p.reo_tonnes, 6),
                        "used_before_t": round(b.used_before_t, 6), "beyond_t": round(b.beyond_t, 6)}
            raised.append(_alert_once(uow, tenant, EXCEEDED, enterprise_id, "high", message, evidence,
                                      f"{EXCEEDED}:{key}:{p.event_hash}:{p.lot_id}"))
    return [a for a in raised if a is not None]


def _alert_once(uow: UnitOfWork, tenant: str, kind: str, subject: str, severity: str, message: str,
                evidence: dict[str, object], dedupe_key: str) -> str | None:
    """An alert raised once for good: not again while open, nor after it was resolved."""
    if uow.conn.execute(select(func.count()).select_from(alerts).where(alerts.c.dedupe_key == dedupe_key)).scalar():
        return None
    return raise_alert(uow, tenant=tenant, kind=kind, subject=subject, severity=severity, message=message,
                       evidence=dict(evidence), dedupe_key=dedupe_key)


def _tenant_of(conn: Connection, enterprise_id: str) -> str:
    tenant = conn.execute(select(enterprises.c.tenant).where(enterprises.c.enterprise_id == enterprise_id)).scalar()
    if tenant is None:
        raise not_found(f"no enterprise {enterprise_id!r}", code="unknown_enterprise")
    return str(tenant)


def _require_enterprise(conn: Connection, enterprise_id: str, tenants: frozenset[str] | None) -> None:
    tenant = conn.execute(select(enterprises.c.tenant).where(enterprises.c.enterprise_id == enterprise_id)).scalar()
    if tenant is None or (tenants is not None and tenant not in tenants):
        raise not_found(f"no enterprise {enterprise_id!r} that you may see", code="unknown_enterprise")


def _set(conn: Connection, items: list[tuple[Event, int]]) -> None:
    for event, index in items:
        body = QuotaSet.model_validate(event.body)
        key = (quotas.c.enterprise_id == body.enterprise_id, quotas.c.year == body.year, quotas.c.kind == body.kind,
               quotas.c.batch == body.batch)
        conn.execute(delete(quotas).where(*key))
        conn.execute(insert(quotas).values(enterprise_id=body.enterprise_id, year=body.year, kind=body.kind,
                                           batch=body.batch, tenant=event.tenant or "", reo_tonnes=body.reo_tonnes,
                                           entry_idx=index))


KINDS = [
    EventKind("flow.quota.set", QuotaSet, lambda conn, items: _set(conn, list(items)),
              "a batch of an enterprise's annual mining or separation quota (REO tonnes); a later one revises it"),
]


def check_after_capture(uow: UnitOfWork, enterprise_id: str, hashes: Sequence[str]) -> list[str]:
    """Check the quotas of each year the newly captured events fall in (call in the capture's unit of work)."""
    years: set[int] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 500):
        years |= {int(t[:4]) for t in uow.conn.execute(select(events.c.event_time).where(
            events.c.event_hash.in_(unique[start:start + 500]))).scalars()}
    return [alert for year in sorted(years) for alert in check_quotas(uow, enterprise_id, year)]
