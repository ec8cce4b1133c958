"""Reads of the log: entries, checkpoints and proofs served from stored nodes (never by rehashing leaves)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select

from reetrace.authz.scope import TenantScope, apply_scope
from reetrace.errors import invalid, not_found
from reetrace.log import tree
from reetrace.storage.nodes import DbNodeSource
from reetrace.storage.tables import log_checkpoints, log_entries, log_state

ENTRY_BY_INDEX = select(log_entries).where(log_entries.c.idx == bindparam("idx"))


@dataclass(frozen=True)
class StoredEntry:
    index: int
    entry: bytes
    leaf_hash: bytes
    kind: str
    tenant: str | None
    event_id: str

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "kind": self.kind,
            "tenant": self.tenant,
            "event_id": self.event_id,
            "leaf_hash": self.leaf_hash.hex(),
            "entry": base64.b64encode(self.entry).decode("ascii"),
        }


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


class LogReader:
    """Read-only view of the log inside one connection.

    With a ``scope`` (a request's principal), entries of tenants outside it do not exist for this reader: they are
    filtered by the same mechanism as every other tenant table (:func:`reetrace.authz.scope.apply_scope`). Tree
    nodes, roots and checkpoints hold no tenant data and are not filtered.
    """

    def __init__(self, conn: Connection, scope: TenantScope | None = None) -> None:
        self.conn = conn
        self.scope = scope
        self._size_cache: int | None = None

    def _entries(self, query: Select[Any]) -> Any:
        return self.conn.execute(query if self.scope is None else apply_scope(query, self.scope))

    def size(self) -> int:
        """The log's size, read once per reader (a reader lives inside one transaction)."""
        if self._size_cache is None:
            self._size_cache = int(
                self.conn.execute(select(log_state.c.size).where(log_state.c.id == 1)).scalar_one_or_none() or 0)
        return self._size_cache

    def entry(self, index: int) -> StoredEntry:
        # The hottest read of the API: a prebuilt point lookup, the tenant checked on the one row it returns
        # (the same rule apply_scope writes into SQL: TenantScope.allows).
        row = self.conn.execute(ENTRY_BY_INDEX, {"idx": index}).one_or_none()
        if row is not None and self.scope is not None and not self.scope.allows(row.tenant):
            row = None
        if row is None:
            raise not_found(f"no entry at index {index} that you may see (the log has {self.size()} entries)")
        return _entry(row)

    def entry_by_event_id(self, event_id: str) -> StoredEntry:
        row = self._entries(select(log_entries).where(log_entries.c.event_id == event_id)).one_or_none()
        if row is None:
            raise not_found(f"no entry with event id {event_id!r}")
        return _entry(row)

    def recent(self, limit: int = 20, kind: str | None = None) -> list[StoredEntry]:
        query = select(log_entries).order_by(log_entries.c.idx.desc()).limit(limit)
        if kind:
            query = query.where(log_entries.c.kind == kind)
        return [_entry(r) for r in self._entries(query)]

    def kind_counts(self) -> dict[str, int]:
        rows = self._entries(select(log_entries.c.kind, func.count()).group_by(log_entries.c.kind))
        return {kind: int(n) for kind, n in rows}

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self.conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.size.desc()).limit(1)).first()
        return None if row is None else StoredCheckpoint(row.size, bytes(row.root), row.note, row.created_at)

    def recent_checkpoints(self, limit: int = 50) -> list[StoredCheckpoint]:
        rows = self.conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.size.desc()).limit(limit))
        return [StoredCheckpoint(r.size, bytes(r.root), r.note, r.created_at) for r in rows]

    def checkpoint(self, size: int) -> StoredCheckpoint:
        row = self.conn.execute(select(log_checkpoints).where(log_checkpoints.c.size == size)).first()
        if row is None:
            raise not_found(f"no checkpoint was signed at size {size}")
        return StoredCheckpoint(row.size, bytes(row.root), row.note, row.created_at)

    def root(self, size: int | None = None) -> bytes:
        return tree.root(DbNodeSource(self.conn), self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._size(size)
        if not 0 <= index < size:
            raise invalid(f"index {index} is outside a tree of size {size}", code="out_of_range")
        return tree.inclusion_proof(DbNodeSource(self.conn), index, size)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = self._size(new)
        if not 0 <= old <= new:
            raise invalid(f"a consistency proof needs 0 <= old <= new, got old={old} new={new}", code="out_of_range")
        if old == 0:
            return []
        return tree.consistency_proof(DbNodeSource(self.conn), old, new)

    def _size(self, size: int | None) -> int:
        current = self.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise invalid(f"size {size} is beyond the log's size {current}", code="out_of_range")
        return size


def _entry(row: object) -> StoredEntry:
    r = row._mapping  # type: ignore[attr-defined]
    return StoredEntry(int(r["idx"]), bytes(r["entry"]), bytes(r["leaf_hash"]), r["kind"], r["tenant"], r["event_id"])
