"""Whitelisting false positives: a (party name, list, listed entry) pair a reviewer has checked and found not to be
the listed party, with the reason, who and when; each addition and removal is an event on the log.

The pair is keyed by the party's folded name (:func:`reetrace.domains.screening.normalise.fold`: case, accents,
punctuation and spacing do not matter), the list id and the listed entry's record id. Scope (kept simple): an entry
belongs to the tenant of the user who made it and applies to the applications of every tenant that tenant sees —
an exporter's entry to its own tenant's applications, an authority's entry to the tenants it supervises.
Whitelisting needs ``export:application:review`` or ``export:application:submit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Connection, and_, insert, select, update

from reetrace.authz.principal import visible_tenants
from reetrace.domains.personnel.travel import Approver
from reetrace.errors import Detail, Error, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork

from .lists import latest_versions
from .normalise import fold
from .tables import parties
from .whitelist_tables import whitelist

MIN_REASON = 5
PERMISSIONS = ("export:application:review", "export:application:submit")


class WhitelistAdded(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    party_name: str = Field(min_length=1, max_length=500)
    party_key: str = Field(min_length=1, max_length=300)
    list_id: str = Field(min_length=1, max_length=64)
    record_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=MIN_REASON, max_length=2000)
    username: str = Field(min_length=1, max_length=64)


class WhitelistRemoved(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    party_key: str = Field(min_length=1, max_length=300)
    list_id: str = Field(min_length=1, max_length=64)
    record_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=MIN_REASON, max_length=2000)
    username: str = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class WhitelistEntry:
    tenant: str
    party_key: str
    party_name: str
    list_id: str
    record_id: str
    reason: str
    added_by: str


def party_key(name: str) -> str:
    return fold(name)


def _check_actor(actor: Approver) -> None:
    if not any(p in actor.permissions for p in PERMISSIONS):
        raise Error(f"{actor.username} may not whitelist screening hits (needs {' or '.join(PERMISSIONS)})",
                    code="forbidden", http_status=403)


def _reason(reason: str) -> str:
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise invalid(f"the reason {text!r} is too short: at least {MIN_REASON} characters",
                      Detail("say why this hit is a false positive", "reason"), code="reason_required")
    return text


def _check_entry(conn: Connection, list_id: str, record_id: str) -> None:
    versions = latest_versions(conn)
    if list_id not in versions:
        raise invalid(f"unknown list {list_id!r}", Detail(f"known: {', '.join(versions) or 'none'}", "list_id"),
                      code="unknown_list")
    version = int(str(versions[list_id]["version"]))
    found = conn.execute(select(parties.c.record_id).where(
        parties.c.list_id == list_id, parties.c.version == version, parties.c.record_id == record_id)).first()
    if found is None:
        raise invalid(f"list {list_id} (version {version}) has no entry {record_id!r}",
                      Detail("the listed entry's record id, as `lists screen` shows it", "entry_id"),
                      code="unknown_entry")


def _where(tenant: str, key: str, list_id: str, record_id: str) -> ColumnElement[bool]:
    return and_(whitelist.c.tenant == tenant, whitelist.c.party_key == key, whitelist.c.list_id == list_id,
                whitelist.c.record_id == record_id)


def _row(conn: Connection, tenant: str, key: str, list_id: str, record_id: str) -> dict[str, object] | None:
    row = conn.execute(select(whitelist).where(_where(tenant, key, list_id, record_id))).mappings().first()
    return None if row is None else dict(row)


def add_whitelist(uow: UnitOfWork, actor: Approver, party_name: str, list_id: str, record_id: str,
                  reason: str) -> WhitelistEntry:
    """Whitelist a false positive for ``actor``'s tenant. Nothing is stored when anything is wrong."""
    _check_actor(actor)
    key = party_key(party_name)
    if not key:
        raise invalid("the party name is empty", Detail("the screened party's name", "party_name"),
                      code="bad_name")
    text = _reason(reason)
    _check_entry(uow.conn, list_id, record_id)
    known = _row(uow.conn, actor.tenant, key, list_id, record_id)
    if known is not None and known["active"]:
        raise Error(f"{party_name!r} against {list_id} {record_id} is already whitelisted in {actor.tenant}",
                    code="conflict", http_status=409)
    body = WhitelistAdded(party_name=party_name.strip(), party_key=key, list_id=list_id, record_id=record_id,
                          reason=text, username=actor.username)
    uow.record(Event(kind="screening.whitelist.added", tenant=actor.tenant, actor=actor.username,
                     subjects=(f"list:{list_id}", f"listed:{list_id}:{record_id}"), body=body.model_dump()))
    return WhitelistEntry(actor.tenant, key, body.party_name, list_id, record_id, text, actor.username)


def remove_whitelist(uow: UnitOfWork, actor: Approver, party_name: str, list_id: str, record_id: str,
                     reason: str) -> None:
    """Remove an active whitelist entry of ``actor``'s tenant, with a reason."""
    _check_actor(actor)
    key = party_key(party_name)
    text = _reason(reason)
    known = _row(uow.conn, actor.tenant, key, list_id, record_id)
    if known is None or not known["active"]:
        raise not_found(f"{party_name!r} against {list_id} {record_id} is not whitelisted in {actor.tenant}")
    body = WhitelistRemoved(party_key=key, list_id=list_id, record_id=record_id, reason=text,
                            username=actor.username)
    uow.record(Event(kind="screening.whitelist.removed", tenant=actor.tenant, actor=actor.username,
                     subjects=(f"list:{list_id}", f"listed:{list_id}:{record_id}"), body=body.model_dump()))


def whitelist_entries(conn: Connection, tenant: str | None = None, include_removed: bool = False) -> list[
        dict[str, object]]:
    """The whitelist (every tenant's, or one tenant's), newest first."""
    query = select(whitelist).order_by(whitelist.c.entry_idx.desc())
    if tenant is not None:
        query = query.where(whitelist.c.tenant == tenant)
    if not include_removed:
        query = query.where(whitelist.c.active.is_(True))
    return [dict(r) for r in conn.execute(query).mappings()]


def applicable(conn: Connection, tenant: str) -> dict[tuple[str, str, str], WhitelistEntry]:
    """The active entries that apply to an application of ``tenant``: (party key, list id, record id) -> entry."""
    rows = whitelist_entries(conn)
    seen: dict[str, frozenset[str]] = {}
    out: dict[tuple[str, str, str], WhitelistEntry] = {}
    for r in rows:
        owner = str(r["tenant"])
        if owner not in seen:
            seen[owner] = visible_tenants(conn, owner)
        if tenant in seen[owner]:
            out.setdefault((str(r["party_key"]), str(r["list_id"]), str(r["record_id"])), WhitelistEntry(
                owner, str(r["party_key"]), str(r["party_name"]), str(r["list_id"]), str(r["record_id"]),
                str(r["reason"]), str(r["added_by"])))
    return out


Items = Sequence[tuple[Event, int]]


def _added(conn: Connection, items: Items) -> None:
    for event, index in items:
        b = WhitelistAdded.model_validate(event.body)
        assert event.tenant is not None
        values = {"party_name": b.party_name, "reason": b.reason, "added_by": b.username,
                  "added_at": event.occurred_at, "active": True, "removed_by": None, "removed_at": None,
                  "removal_reason": None, "entry_idx": index}
        if _row(conn, event.tenant, b.party_key, b.list_id, b.record_id) is None:
            conn.execute(insert(whitelist).values(tenant=event.tenant, party_key=b.party_key, list_id=b.list_id,
                                                  record_id=b.record_id, **values))
        else:
            conn.execute(update(whitelist).where(_where(event.tenant, b.party_key, b.list_id, b.record_id))
                         .values(**values))


def _removed(conn: Connection, items: Items) -> None:
    for event, _ in items:
        b = WhitelistRemoved.model_validate(event.body)
        assert event.tenant is not None
        conn.execute(update(whitelist).where(_where(event.tenant, b.party_key, b.list_id, b.record_id)).values(
            active=False, removed_by=b.username, removed_at=event.occurred_at, removal_reason=b.reason))


KINDS = [
    EventKind("screening.whitelist.added", WhitelistAdded, _added,
              "a screening hit whitelisted as a false positive: party name, list, listed entry, reason"),
    EventKind("screening.whitelist.removed", WhitelistRemoved, _removed,
              "a whitelisted screening hit taken off the whitelist, with the reason"),
]
