"""Matching names against the registry without decrypting: blind indexes of name keys.

A person's names become match keys (:func:`.names.name_keys`: the Han characters, their pinyin in both orders,
the Latin name's word orders); each key is stored as a blind index (:meth:`Vault.blind_index`, field
``name_key``) with the kinds of name it came from (``h`` Han, ``p`` pinyin, ``l`` Latin). A query name (a row of
a foreign organisation's staff list, or a name an analyst types) is keyed the same way, and a shared index is a
match; how it matched is read from the two sides' kinds: Han to Han is ``exact``, Latin to a Latin name is
``latin``, anything through pinyin is ``pinyin``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Row, select

from reetrace.domains.alerts import raise_alert
from reetrace.errors import Detail, invalid
from reetrace.events import Event
from reetrace.storage.ledger import UnitOfWork

from .countries import UnknownCountry, country
from .models import HOME_COUNTRY, Caller, StaffListChecked, StaffName, WatchMatch
from .names import han_keys, has_han, latin_keys, pinyin_keys
from .queries import Reader, watch_listed_ids
from .tables import name_keys, persons

NAME_KEY_FIELD = "name_key"
WATCHLIST_MATCH = "personnel.watchlist.match"
KIND_ORDER = "hpl"


class Indexer(Protocol):
    """Anything that computes blind indexes: a :class:`reetrace.storage.vault.Vault`."""

    def blind_index(self, field: str, value: str) -> str: ...


def key_kinds(name_zh: str | None, name_latin: str | None) -> dict[str, str]:
    """Each match key of the names -> the kinds of name it came from ("h", "p", "l", in that order)."""
    return dict(_key_kinds(name_zh, name_latin))


@lru_cache(maxsize=8192)  # common names repeat: pinyin is the costly part of a bulk import
def _key_kinds(name_zh: str | None, name_latin: str | None) -> tuple[tuple[str, str], ...]:
    found: dict[str, set[str]] = defaultdict(set)
    for kind, keys in (("h", han_keys(name_zh)), ("p", pinyin_keys(name_zh) if name_zh and has_han(name_zh)
                                                     else frozenset()), ("l", latin_keys(name_latin))):
        for key in keys:
            found[key].add(kind)
    return tuple((key, "".join(k for k in KIND_ORDER if k in kinds)) for key, kinds in sorted(found.items()))


def name_key_entries(indexer: Indexer, name_zh: str | None, name_latin: str | None) -> tuple[str, ...]:
    """``<blind index>:<kinds>`` of every match key, sorted (what a registration event carries)."""
    return tuple(sorted(f"{indexer.blind_index(NAME_KEY_FIELD, key)}:{kinds}"
                        for key, kinds in key_kinds(name_zh, name_latin).items()))


def query_kinds(indexer: Indexer, name_zh: str | None, name_latin: str | None) -> dict[str, str]:
    """Blind index -> kinds, for a name being looked up."""
    return {indexer.blind_index(NAME_KEY_FIELD, key): kinds for key, kinds in key_kinds(name_zh, name_latin).items()}


def _how(query: str, candidate: str) -> set[str]:
    out = set()
    for q in query:
        if q == "h":
            if "h" in candidate:
                out.add("exact")
        elif q == "l":
            if "l" in candidate:
                out.add("latin")
            if "p" in candidate:
                out.add("pinyin")
        else:
            out.add("pinyin")
    return out


def _order(hows: set[str]) -> tuple[str, ...]:
    return tuple(h for h in ("exact", "latin", "pinyin") if h in hows)


def _lookup(reader: Reader, queries: dict[str, str], tenants: frozenset[str] | None) -> dict[str, set[str]]:
    """Person id -> how each matched, for persons sharing a key with the query."""
    indexes = sorted(queries)
    found: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(indexes), 500):
        query = select(name_keys.c.person_id, name_keys.c.key_index, name_keys.c.kinds).where(
            name_keys.c.key_index.in_(indexes[start:start + 500]))
        if tenants is not None:
            query = query.where(name_keys.c.tenant.in_(sorted(tenants)))
        for person_id, index, kinds in reader.execute(query):
            found[person_id] |= _how(queries[index], kinds)
    return found


def _persons(reader: Reader, ids: Sequence[str]) -> list[Row[Any]]:
    rows: list[Row[Any]] = []
    for start in range(0, len(ids), 500):
        rows += reader.execute(select(persons).where(persons.c.person_id.in_(ids[start:start + 500])))
    return rows


def _in_cooling_off(row: Row[Any], today: date) -> bool:
    return row.status == "departed" and row.departed_on is not None and row.cooling_off_until is not None and \
        row.departed_on <= today <= row.cooling_off_until


def match_analyst_name(reader: Reader, indexer: Indexer, query: str, *, today: date | None = None,
                       watch_listed_only: bool = True, limit: int = 100) -> list[WatchMatch]:
    """Persons the reader may see whose names match an analyst's query (Han or Latin script), exact first.

    By default only watch-listed people and people in their cooling-off period; ``watch_listed_only=False``
    searches every registered person. Nothing is recorded: auditing the search is the caller's part.
    """
    text = query.strip()
    if not text:
        raise invalid("the name to look for is empty", Detail("type a name in Chinese characters or Latin script",
                                                              "query"))
    keys = query_kinds(indexer, text, None) if has_han(text) else query_kinds(indexer, None, text)
    found = _lookup(reader, keys, None)
    matches = _matches(reader, found, _date(today), watch_listed_only, row_number=0)
    return matches[:limit]


def _date(today: date | None) -> date:
    return today if today is not None else date.today()


def _matches(reader: Reader, found: dict[str, set[str]], today: date, watch_listed_only: bool,
             row_number: int) -> list[WatchMatch]:
    rows = _persons(reader, sorted(found))
    listed = watch_listed_ids(reader, rows)
    out = []
    for row in rows:
        cooling = _in_cooling_off(row, today)
        watched = row.person_id in listed
        if watch_listed_only and not (watched or cooling):
            continue
        out.append(WatchMatch(row.person_id, row.tenant, row_number, _order(found[row.person_id]), row.status,
                              cooling, watched))
    out.sort(key=lambda m: ("exact" not in m.how, "latin" not in m.how, m.person_id))
    return out


def check_staff_list(uow: UnitOfWork, indexer: Indexer, caller: Caller, rows: Sequence[StaffName],
                     organisation: str, country_code: str, *, today: date | None = None) -> list[WatchMatch]:
    """Check a foreign organisation's staff list against the watch list of the caller's tenants.

    Every watch-listed person (or holder of a watch-listed post) and every person in their cooling-off period
    whose names share a key with a row is a match, and raises ``personnel.watchlist.match`` (high for a person in
    their cooling-off period or departed, at a foreign organisation; warning otherwise). The check itself is
    recorded (organisation, country, row count, a keyed digest of the list, the persons matched); names never
    reach the log.
    """
    org = " ".join(organisation.split())
    problems = []
    if not org:
        problems.append(Detail("name the organisation whose staff list this is", "organisation"))
    try:
        alpha2 = country(country_code).alpha2
    except UnknownCountry:
        alpha2 = ""
        problems.append(Detail(f"unknown country {country_code!r} (an ISO 3166-1 alpha-2 code)", "country"))
    if not rows:
        problems.append(Detail("the staff list has no rows", "rows"))
    for position, row in enumerate(rows, start=1):
        if not row.name_zh.strip() and not row.name_latin.strip():
            problems.append(Detail("a row needs a name in Chinese characters or Latin script",
                                   f"row {row.row or position}"))
    if problems:
        raise invalid(f"the staff list cannot be checked: {problems[0].location}: {problems[0].message}", *problems)
    current = _date(today)
    check_id = "C-" + uuid.uuid4().hex[:16].upper()
    matches: list[WatchMatch] = []
    for position, row in enumerate(rows, start=1):
        found = _lookup(uow.conn, query_kinds(indexer, row.name_zh.strip() or None, row.name_latin.strip() or None),
                        caller.tenants)
        if found:
            matches += _matches(uow.conn, found, current, True, row.row or position)
    digest = _list_digest(indexer, rows)
    body = StaffListChecked(check_id=check_id, organisation=org, country=alpha2, rows=len(rows), list_digest=digest,
                            matches=tuple(sorted({m.person_id for m in matches})))
    uow.record(Event(kind="personnel.staff_list.checked", tenant=caller.tenant, actor=caller.actor,
                     subjects=(check_id, *body.matches), body=body.model_dump(mode="json")))
    return [_alert(uow.conn, uow, caller, m, check_id, org, alpha2, current) for m in matches]


def _list_digest(indexer: Indexer, rows: Sequence[StaffName]) -> str:
    names = json.dumps([[r.name_zh.strip(), r.name_latin.strip()] for r in rows], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(indexer.blind_index("staff_list", names).encode()).hexdigest()


def _alert(conn: Connection, uow: UnitOfWork, caller: Caller, match: WatchMatch, check_id: str, organisation: str,
           alpha2: str, today: date) -> WatchMatch:
    row = conn.execute(select(persons).where(persons.c.person_id == match.person_id)).one()
    foreign = alpha2 != HOME_COUNTRY
    severity = "high" if foreign and (match.in_cooling_off or row.status == "departed") else "warning"
    state = "in the cooling-off period" if match.in_cooling_off else (
        "departed" if row.status == "departed" else "employed")
    evidence = {"check_id": check_id, "organisation": organisation, "country": alpha2, "row": match.row,
                "person_id": match.person_id, "how": list(match.how), "status": row.status,
                "watch_listed": match.watch_listed, "in_cooling_off": match.in_cooling_off,
                "secrecy_level": row.secrecy_level, "enterprise_id": row.enterprise_id,
                "departed_on": row.departed_on.isoformat() if row.departed_on else None,
                "cooling_off_until": row.cooling_off_until.isoformat() if row.cooling_off_until else None,
                "checked_on": today.isoformat()}
    alert_id = raise_alert(
        uow, tenant=match.tenant, kind=WATCHLIST_MATCH, subject=match.person_id, severity=severity,
        message=f"{match.person_id} ({row.secrecy_level}, {state}) matches row {match.row} of the staff list of "
                f"{organisation} ({alpha2}) by {', '.join(match.how)} name",
        evidence=evidence, dedupe_key=f"{WATCHLIST_MATCH}:{match.person_id}:{organisation.casefold()}:{alpha2}",
        actor=caller.actor)
    return WatchMatch(match.person_id, match.tenant, match.row, match.how, match.status, match.in_cooling_off,
                      match.watch_listed, alert_id)
