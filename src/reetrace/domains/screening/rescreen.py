"""Re-screening the parties of existing applications when a list changes (or on demand).

Every party of every open licence application and of every approved application whose licence is valid on
``today`` is screened again against the newest version of every list, with the whitelist of the applicant's tenant.
When the outcome differs from the stored one (other hits, other whitelisting, other flags, other list versions) a
``screening.application.rescreened`` event records the new screening, the hits that are new and the hits that
disappeared; the application's stored screening and its flag follow it. A new hit (a listed entry not seen before
for that party, and not whitelisted) raises one ``screening.new_hit`` alert; a hit that disappeared is noted in the
event (no alert). A second re-screening against the same lists finds nothing new and records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, or_, select, update

from reetrace.domains.alerts.service import raise_alert
from reetrace.domains.licensing.application_models import OPEN_STATUSES, Party, Screening
from reetrace.domains.licensing.application_tables import applications, licences
from reetrace.domains.licensing.controllist import ControlList
from reetrace.domains.licensing.screen import DENIAL_LISTS, screen_parties
from reetrace.events import Event, EventKind, canonical_json
from reetrace.storage.ledger import UnitOfWork

from .lists import latest_versions, party_index

ALERT_KIND = "screening.new_hit"


class HitNote(BaseModel):
    """One hit of one screened party (new or gone), as the re-screening event keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: str = Field(min_length=1, max_length=100)
    name: str
    list_id: str = Field(min_length=1, max_length=64)
    record_id: str = Field(min_length=1, max_length=200)
    listed_name: str
    score: float


class ApplicationRescreened(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    application_id: str = Field(min_length=1, max_length=24)
    on: date
    screening: Screening
    new_hits: tuple[HitNote, ...] = ()
    gone_hits: tuple[HitNote, ...] = ()
    flagged: bool


@dataclass
class RescreenReport:
    screened: int = 0  # applications screened again
    changed: list[str] = field(default_factory=list)  # application ids whose screening changed
    new_hits: list[tuple[str, HitNote]] = field(default_factory=list)
    gone_hits: list[tuple[str, HitNote]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


def _hits(screening: dict[str, Any]) -> dict[tuple[str, str, str], HitNote]:
    out = {}
    for p in screening.get("parties", []):
        for h in p.get("hits", []):
            out[(str(p["role"]), str(h["list_id"]), str(h["record_id"]))] = HitNote(
                role=p["role"], name=p["name"], list_id=h["list_id"], record_id=h["record_id"],
                listed_name=h["name"], score=float(h["score"]))
    return out


def _signature(screening: dict[str, Any]) -> tuple[object, ...]:
    hits = sorted((str(p["role"]), str(h["list_id"]), str(h["record_id"]), str(h.get("whitelisted", "")))
                  for p in screening.get("parties", []) for h in p.get("hits", []))
    flags = sorted((str(f["code"]), str(f.get("party", ""))) for f in screening.get("flags", []))
    return tuple(screening.get("lists", [])), tuple(hits), tuple(flags)


def _flagged(screening: Screening) -> bool:
    return any(f.code in ("listed_party", "military_end_use") for f in screening.flags)


def _targets(conn: Connection, today: date) -> list[Any]:
    valid = select(licences.c.application_id).where(licences.c.valid_from <= today, licences.c.valid_until >= today)
    return list(conn.execute(select(applications).where(or_(
        applications.c.status.in_(OPEN_STATUSES), applications.c.application_id.in_(valid)))
        .order_by(applications.c.application_id)))


def _roles(row: Any) -> list[tuple[str, Party]]:
    roles = [("consignee", Party.model_validate(json.loads(row.consignee))),
             ("end_user", Party.model_validate(json.loads(row.end_user)))]
    roles += [(f"intermediaries[{n}]", Party.model_validate(p)) for n, p in enumerate(json.loads(row.intermediaries))]
    return roles


def rescreen(uow: UnitOfWork, today: date, *, control_list: ControlList | None = None,
             actor: str = "system") -> RescreenReport:
    """Screen the parties of open applications and valid licences again; record what changed, alert new hits."""
    report = RescreenReport()
    if not latest_versions(uow.conn):
        return report
    cl = control_list or ControlList.default()
    index = party_index(uow.conn)
    for row in _targets(uow.conn, today):
        report.screened += 1
        screening = screen_parties(uow.conn, _roles(row), row.end_use, row.military_end_use, today, cl,
                                   tenant=row.tenant, index=index)
        before = json.loads(row.screening)
        after = screening.model_dump(mode="json")
        if _signature(before) == _signature(after):
            continue
        old, new = _hits(before), _hits(after)
        whitelisted = {(p["role"], h["list_id"], h["record_id"]) for p in after["parties"] for h in p["hits"]
                       if h.get("whitelisted")}
        fresh = tuple(n for k, n in new.items() if k not in old and k not in whitelisted)
        gone = tuple(n for k, n in old.items() if k not in new)
        body = ApplicationRescreened(application_id=row.application_id, on=today, screening=screening,
                                     new_hits=fresh, gone_hits=gone, flagged=_flagged(screening))
        uow.record(Event(kind="screening.application.rescreened", tenant=row.tenant, actor=actor,
                         subjects=(row.application_id,), body=body.model_dump(mode="json")))
        report.changed.append(row.application_id)
        report.gone_hits += [(row.application_id, g) for g in gone]
        for hit in fresh:
            report.new_hits.append((row.application_id, hit))
            alert = _alert(uow, row.tenant, row.application_id, hit, after, actor)
            if alert is not None:
                report.alerts.append(alert)
    return report


def _explanation(screening: dict[str, Any], hit: HitNote) -> dict[str, Any]:
    for p in screening["parties"]:
        for h in p["hits"] if p["role"] == hit.role else ():
            if (h["list_id"], h["record_id"]) == (hit.list_id, hit.record_id):
                return {k: h[k] for k in ("matched_name", "transform", "matched_tokens", "unmatched_query_tokens",
                                          "unmatched_listed_tokens", "notes", "threshold")}
    return {}


def _alert(uow: UnitOfWork, tenant: str, application_id: str, hit: HitNote, screening: dict[str, Any],
           actor: str) -> str | None:
    severity = "high" if hit.list_id in DENIAL_LISTS else "warning"
    message = (f"Licence application {application_id}: {hit.role} {hit.name!r} now matches {hit.listed_name!r} "
               f"({hit.list_id} {hit.record_id}, score {hit.score:.2f})")
    evidence = {"application_id": application_id, "party": {"role": hit.role, "name": hit.name},
                "list_id": hit.list_id, "entry": {"record_id": hit.record_id, "name": hit.listed_name},
                "score": hit.score, "explanation": _explanation(screening, hit)}
    return raise_alert(uow, tenant=tenant, kind=ALERT_KIND, subject=application_id, severity=severity,
                       message=message[:1000], evidence=evidence, actor=actor,
                       dedupe_key=f"{ALERT_KIND}:{application_id}:{hit.role}:{hit.list_id}:{hit.record_id}"[:300])


def _rescreened(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    for event, _ in items:
        b = ApplicationRescreened.model_validate(event.body)
        text = canonical_json(b.screening.model_dump(mode="json"), "screening").decode("utf-8")
        conn.execute(update(applications).where(applications.c.application_id == b.application_id).values(
            screening=text, flagged=b.flagged))


KINDS = [
    EventKind("screening.application.rescreened", ApplicationRescreened, _rescreened,
              "a licence application's parties screened again (a list changed or a whitelist entry): the new "
              "screening, the new hits (each alerted once) and the hits that disappeared"),
]
