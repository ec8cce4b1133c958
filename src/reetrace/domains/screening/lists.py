"""Storing loaded list versions: the parsed parties in a table, and a ``screening.list_loaded`` event on the log
with the files' digests, the counts and the digest of the parsed records (so a stored version can be verified).

A list whose parsed records did not change is not stored again; a changed one becomes the next version.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select

from reetrace.errors import VerificationError, invalid, not_found
from reetrace.events import Event, EventKind
from reetrace.storage.ledger import UnitOfWork

from .matcher import PartyIndex
from .models import Alias, Identifier, ListedParty, LoadedList, PartyKind, Script
from .tables import list_versions, parties

INSERT_BATCH = 2000


class FileDigest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ListLoaded(BaseModel):
    """Body of ``screening.list_loaded``: which list, which version, from which files, how many records."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    list_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    files: tuple[FileDigest, ...]
    parties: int = Field(ge=0)
    aliases: int = Field(ge=0)
    parties_digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ListReport:
    list_id: str
    title: str
    version: int
    parties: int
    aliases: int
    status: str  # new | changed | unchanged


def _party_row(party: ListedParty, version: int) -> dict[str, object]:
    return {"list_id": party.list_id, "version": version, "record_id": party.record_id, "name": party.name,
            "kind": party.kind, "aliases": _dumps([[a.name, a.script] for a in party.aliases]),
            "countries": _dumps(list(party.countries)), "programmes": _dumps(list(party.programmes)),
            "identifiers": _dumps([[i.scheme, i.value] for i in party.identifiers])}


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parties_digest(items: Sequence[ListedParty]) -> str:
    """SHA-256 over the parsed records in record-id order (independent of file paths and of the version)."""
    digest = hashlib.sha256()
    for party in sorted(items, key=lambda p: p.record_id):
        row = _party_row(party, 0)
        del row["version"]
        digest.update(_dumps(row).encode())
        digest.update(b"\n")
    return f"sha256:{digest.hexdigest()}"


def latest_versions(conn: Connection) -> dict[str, dict[str, object]]:
    newest = (select(list_versions.c.list_id, func.max(list_versions.c.version).label("version"))
              .group_by(list_versions.c.list_id).subquery())
    rows = conn.execute(select(list_versions).join(newest, (newest.c.list_id == list_versions.c.list_id)
                                                   & (newest.c.version == list_versions.c.version))
                        .order_by(list_versions.c.list_id)).mappings()
    return {str(r["list_id"]): dict(r) for r in rows}


_INDEX: list[tuple[tuple[tuple[str, int, str], ...], PartyIndex]] = []  # the last index built, with its key
_INDEX_LOCK = threading.Lock()


def party_index(conn: Connection) -> PartyIndex:
    """The screening index of every list's current version, built once per set of versions and kept until a list
    changes: the key is each list's id, version and parties digest (the digest of its records, as the log states
    it), so an index is never reused for other records, whichever database it was built from."""
    key = tuple((list_id, int(str(v["version"])), str(v["parties_digest"]))
                for list_id, v in latest_versions(conn).items())
    with _INDEX_LOCK:
        if _INDEX and _INDEX[0][0] == key:
            return _INDEX[0][1]
    index = PartyIndex(current_parties(conn))
    with _INDEX_LOCK:
        _INDEX[:] = [(key, index)]
    return index


def store_lists(uow: UnitOfWork, loaded: Sequence[LoadedList], actor: str) -> list[ListReport]:
    """Store every list whose records changed as its next version, each with its event; report every list."""
    seen: set[str] = set()
    for item in loaded:
        if item.list_id in seen:
            raise invalid(f"list {item.list_id} given twice in one update", code="duplicate_list")
        seen.add(item.list_id)
        ids = [p.record_id for p in item.parties]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise invalid(f"list {item.list_id}: record id {dup!r} appears twice", code="bad_list_file")
    current = latest_versions(uow.conn)
    reports = []
    for item in loaded:
        digest = parties_digest(item.parties)
        before = current.get(item.list_id)
        if before is not None and before["parties_digest"] == digest:
            reports.append(ListReport(item.list_id, item.title, int(str(before["version"])), len(item.parties),
                                      item.alias_count, "unchanged"))
            continue
        version = int(str(before["version"])) + 1 if before else 1
        rows = [_party_row(p, version) for p in item.parties]
        for start in range(0, len(rows), INSERT_BATCH):
            uow.conn.execute(insert(parties), rows[start:start + INSERT_BATCH])
        body = ListLoaded(list_id=item.list_id, version=version, title=item.title,
                          files=tuple(FileDigest(path=f.path, size=f.size, sha256=f.sha256) for f in item.files),
                          parties=len(item.parties), aliases=item.alias_count, parties_digest=digest)
        uow.record(Event(kind="screening.list_loaded", actor=actor, subjects=(f"list:{item.list_id}",),
                         body=body.model_dump(mode="json")))
        reports.append(ListReport(item.list_id, item.title, version, len(item.parties), item.alias_count,
                                  "changed" if before else "new"))
    return reports


def _party_of(row: dict[str, object]) -> ListedParty:
    kind: PartyKind = "person" if row["kind"] == "person" else "entity"
    aliases = tuple(Alias(str(n), _script(str(s))) for n, s in json.loads(str(row["aliases"])))
    identifiers = tuple(Identifier(str(s), str(v)) for s, v in json.loads(str(row["identifiers"])))
    return ListedParty(str(row["list_id"]), str(row["record_id"]), str(row["name"]), kind, aliases,
                       tuple(json.loads(str(row["countries"]))), tuple(json.loads(str(row["programmes"]))),
                       identifiers)


def _script(text: str) -> Script:
    return text if text in ("latin", "han", "cyrillic") else "other"  # type: ignore[return-value]


def version_parties(conn: Connection, list_id: str, version: int) -> list[ListedParty]:
    rows = conn.execute(select(parties).where(parties.c.list_id == list_id, parties.c.version == version)
                        .order_by(parties.c.record_id)).mappings()
    return [_party_of(dict(r)) for r in rows]


def current_parties(conn: Connection, lists: Sequence[str] | None = None) -> list[ListedParty]:
    """The parties of the newest version of every stored list (or of ``lists``)."""
    out: list[ListedParty] = []
    for list_id, row in latest_versions(conn).items():
        if lists and list_id not in lists:
            continue
        out += version_parties(conn, list_id, int(str(row["version"])))
    return out


def verify_version(conn: Connection, list_id: str, version: int) -> None:
    """Fail closed unless the stored records of a version hash to the digest its event recorded."""
    row = conn.execute(select(list_versions).where(list_versions.c.list_id == list_id,
                                                   list_versions.c.version == version)).mappings().first()
    if row is None:
        raise not_found(f"no version {version} of list {list_id!r}")
    actual = parties_digest(version_parties(conn, list_id, version))
    if actual != row["parties_digest"]:
        raise VerificationError(f"list {list_id} version {version}: stored records hash to {actual}, the log "
                                f"says {row['parties_digest']}", code="list_tampered")


def _project_loaded(conn: Connection, items: Sequence[tuple[Event, int]]) -> None:
    rows = []
    for event, index in items:
        body = ListLoaded.model_validate(event.body)
        rows.append({"list_id": body.list_id, "version": body.version, "title": body.title,
                     "files": _dumps([f.model_dump() for f in body.files]), "parties": body.parties,
                     "aliases": body.aliases, "parties_digest": body.parties_digest,
                     "loaded_at": event.occurred_at, "entry_idx": index})
    conn.execute(insert(list_versions), rows)


KINDS = [
    EventKind("screening.list_loaded", ListLoaded, _project_loaded,
              "a party list (control, sanctions or watch list) loaded as a new version: file digests and counts"),
]
