"""Perfect-subtree hashes stored in chunks of 256 per level; served to the pure proof code as a NodeSource."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, select, tuple_, update

from reetrace.errors import Error
from reetrace.log.hashing import HASH_SIZE
from reetrace.storage.tables import log_nodes

CHUNK = 256


class MissingNode(Error):
    def __init__(self, level: int, index: int) -> None:
        super().__init__(f"stored tree has no node at level {level}, index {index}", code="missing_node",
                         http_status=500)


class DbNodeSource:
    """Reads node hashes from ``log_nodes`` (one query per call), with an optional overlay of new nodes."""

    def __init__(self, conn: Connection, overlay: Mapping[tuple[int, int], bytes] | None = None) -> None:
        self.conn = conn
        self.overlay = overlay or {}
        self._chunks: dict[tuple[int, int], bytes] = {}

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        out: dict[tuple[int, int], bytes] = {}
        wanted = []
        for key in keys:
            if key in self.overlay:
                out[key] = self.overlay[key]
            else:
                wanted.append(key)
        self._load({(level, index // CHUNK) for level, index in wanted})
        for level, index in wanted:
            blob = self._chunks.get((level, index // CHUNK), b"")
            offset = (index % CHUNK) * HASH_SIZE
            node = blob[offset : offset + HASH_SIZE]
            if len(node) != HASH_SIZE:
                raise MissingNode(level, index)
            out[(level, index)] = node
        return out

    def chunk(self, level: int, chunk: int) -> bytes:
        self._load({(level, chunk)})
        return self._chunks.get((level, chunk), b"")

    def _load(self, chunk_keys: set[tuple[int, int]]) -> None:
        missing = [k for k in chunk_keys if k not in self._chunks]
        if not missing:
            return
        rows = self.conn.execute(
            select(log_nodes.c.level, log_nodes.c.chunk, log_nodes.c.hashes).where(
                tuple_(log_nodes.c.level, log_nodes.c.chunk).in_(missing)
            )
        )
        for level, chunk, hashes in rows:
            self._chunks[(level, chunk)] = bytes(hashes)


def write_nodes(conn: Connection, source: DbNodeSource, old_size: int, new_size: int,
                nodes: Mapping[tuple[int, int], bytes]) -> None:
    """Store the nodes that became complete between ``old_size`` and ``new_size``.

    At level L the new nodes are indices ``old_size >> L`` up to ``new_size >> L``; the last stored chunk of a
    level may be partial and is extended in place.
    """
    updates: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    level = 0
    while (new_size >> level) > 0:
        first, end = old_size >> level, new_size >> level
        if end > first:
            by_chunk: dict[int, list[bytes]] = defaultdict(list)
            for index in range(first, end):
                by_chunk[index // CHUNK].append(nodes[(level, index)])
            for chunk, hashes in by_chunk.items():
                blob = b"".join(hashes)
                if first % CHUNK and chunk == first // CHUNK:
                    existing = source.chunk(level, chunk)
                    if len(existing) != (first % CHUNK) * HASH_SIZE:
                        raise MissingNode(level, first - 1)
                    updates.append({"b_level": level, "b_chunk": chunk, "hashes": existing + blob})
                else:
                    inserts.append({"level": level, "chunk": chunk, "hashes": blob})
        level += 1
    if inserts:
        conn.execute(log_nodes.insert(), inserts)
    if updates:
        from sqlalchemy import bindparam

        stmt = (
            update(log_nodes)
            .where(log_nodes.c.level == bindparam("b_level"), log_nodes.c.chunk == bindparam("b_chunk"))
            .values(hashes=bindparam("hashes"))
        )
        conn.execute(stmt, updates)
