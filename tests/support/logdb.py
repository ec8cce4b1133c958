"""Helpers for tests on a stored log: events to record, table snapshots, direct edits of stored rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from reetrace.domains.registry.models import EnterpriseRegistered, PermitIssued
from reetrace.domains.tables import metadata
from reetrace.events import Event
from reetrace.log.hashing import HASH_SIZE
from reetrace.log.memory import MemoryTree
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.nodes import CHUNK
from reetrace.storage.tables import log_entries, log_nodes, log_state


def note(n: int, tenant: str | None = "tenant-a", **extra: Any) -> Event:
    return Event(kind="note", tenant=tenant, actor="tester", body={"n": n, "text": f"note {n}", **extra})


def notes(start: int, count: int) -> list[Event]:
    return [note(i) for i in range(start, start + count)]


def enterprise(enterprise_id: str = "ENT-001", **changes: Any) -> EnterpriseRegistered:
    fields: dict[str, Any] = {"enterprise_id": enterprise_id, "name": f"Baotou Rare Earth {enterprise_id}",
                              "name_zh": "包头稀土", "role": "separation", "province": "Inner Mongolia",
                              "country": "CN"}
    return EnterpriseRegistered(**{**fields, **changes})


def permit(permit_id: str, enterprise_id: str = "ENT-001") -> PermitIssued:
    return PermitIssued.model_validate({"permit_id": permit_id, "enterprise_id": enterprise_id,
                                        "permit_type": "separation", "valid_from": "2025-01-01",
                                        "valid_to": "2027-12-31"})


def enterprise_event(enterprise_id: str = "ENT-001") -> Event:
    return Event(kind="registry.enterprise.registered", tenant="tenant-a", actor="tester",
                 subjects=(enterprise_id,), body=enterprise(enterprise_id).model_dump(mode="json"))


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: compare two snapshots to prove that nothing was written."""
    out = {}
    with read_transaction(engine) as conn:
        for table in metadata.sorted_tables:
            rows = [tuple(r) for r in conn.execute(select(table))]
            out[table.name] = sorted(rows, key=repr)
    return out


def log_size(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return LogReader(conn).size()


def stored_entries(engine: Engine) -> list[tuple[int, bytes, str]]:
    with read_transaction(engine) as conn:
        rows = conn.execute(select(log_entries.c.idx, log_entries.c.entry, log_entries.c.event_id)
                            .order_by(log_entries.c.idx))
        return [(int(i), bytes(e), str(ev)) for i, e, ev in rows]


def memory_tree(engine: Engine) -> MemoryTree:
    """The reference tree, fed with the stored entries."""
    return MemoryTree(entry for _, entry, _ in stored_entries(engine))


# -- direct edits, as an attacker (or a careless operator) with database access would make them --------------

def flip_byte(data: bytes, position: int = 0) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def edit_entry(conn: Connection, index: int, position: int = 10) -> None:
    entry = bytes(conn.execute(select(log_entries.c.entry).where(log_entries.c.idx == index)).scalar_one())
    conn.execute(update(log_entries).where(log_entries.c.idx == index).values(entry=flip_byte(entry, position)))


def edit_leaf_hash(conn: Connection, index: int) -> None:
    leaf = bytes(conn.execute(select(log_entries.c.leaf_hash).where(log_entries.c.idx == index)).scalar_one())
    conn.execute(update(log_entries).where(log_entries.c.idx == index).values(leaf_hash=flip_byte(leaf, 5)))


def edit_node(conn: Connection, level: int, node_index: int) -> None:
    chunk, pos = divmod(node_index, CHUNK)
    where = (log_nodes.c.level == level, log_nodes.c.chunk == chunk)
    blob = bytes(conn.execute(select(log_nodes.c.hashes).where(*where)).scalar_one())
    conn.execute(update(log_nodes).where(*where).values(hashes=flip_byte(blob, pos * HASH_SIZE + 3)))


def delete_entry(conn: Connection, index: int) -> None:
    conn.execute(delete(log_entries).where(log_entries.c.idx == index))


def swap_entries(conn: Connection, i: int, j: int) -> None:
    """Swap the bytes and leaf hashes of two entries (each row stays self-consistent)."""
    cols = (log_entries.c.entry, log_entries.c.leaf_hash)
    a = conn.execute(select(*cols).where(log_entries.c.idx == i)).one()
    b = conn.execute(select(*cols).where(log_entries.c.idx == j)).one()
    conn.execute(update(log_entries).where(log_entries.c.idx == i).values(entry=b.entry, leaf_hash=b.leaf_hash))
    conn.execute(update(log_entries).where(log_entries.c.idx == j).values(entry=a.entry, leaf_hash=a.leaf_hash))


def truncate_consistently(conn: Connection, size: int, checkpoint_sizes: Sequence[int]) -> None:
    """Cut the log back to ``size`` so that the database alone looks perfectly sound.

    Entries, checkpoints beyond ``size``, the state row and every node chunk are rewritten as they were at
    ``size`` (``size`` must be a checkpointed size). Only a copy of a newer checkpoint kept elsewhere can tell.
    """
    from reetrace.storage.tables import log_checkpoints

    entries = [bytes(e) for e in conn.execute(select(log_entries.c.entry).where(log_entries.c.idx < size)
                                               .order_by(log_entries.c.idx)).scalars()]
    reference = MemoryTree(entries)
    conn.execute(delete(log_entries).where(log_entries.c.idx >= size))
    conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size > size))
    assert size in checkpoint_sizes
    conn.execute(update(log_state).where(log_state.c.id == 1).values(size=size, root=reference.root()))
    conn.execute(delete(log_nodes))
    by_chunk: dict[tuple[int, int], list[bytes]] = {}
    for (level, index), digest in sorted(reference.all_nodes().items()):
        by_chunk.setdefault((level, index // CHUNK), []).append(digest)
    conn.execute(insert(log_nodes), [{"level": lv, "chunk": ch, "hashes": b"".join(hs)}
                                     for (lv, ch), hs in by_chunk.items()])


def tamper(engine: Engine, edit: Any, *args: Any) -> None:
    with write_transaction(engine) as conn:
        edit(conn, *args)
