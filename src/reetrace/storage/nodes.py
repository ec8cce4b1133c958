"""Perfect-subtree hashes stored in chunks of 256 per level; served to the pure proof code as a NodeSource."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, select, update

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
            elif (key[0], key[1] // CHUNK) in self._chunks:
                out[key] = self._slice(*key)
            else:
                wanted.append(key)
        if wanted:
            out.update(self._fetch(wanted))
        return out

    def chunk(self, level: int, chunk: int) -> bytes:
        if (level, chunk) not in self._chunks:
            row = self.conn.execute(select(log_nodes.c.hashes).where(log_nodes.c.level == level,
                                                                      log_nodes.c.chunk == chunk)).first()
            self._chunks[(level, chunk)] = bytes(row[0]) if row else b""
        return self._chunks[(level, chunk)]

    def _slice(self, level: int, index: int) -> bytes:
        blob = self._chunks[(level, index // CHUNK)]
        offset = (index % CHUNK) * HASH_SIZE
        node = blob[offset:offset + HASH_SIZE]
        if len(node) != HASH_SIZE:
            raise MissingNode(level, index)
        return node

    def _fetch(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """One statement, one primary-key lookup per node, reading only its 32 bytes.

        (A row-value ``IN`` list makes SQLite scan the whole table; a UNION ALL of point lookups does not.)
        """
        unique = list(dict.fromkeys(keys))
        out: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(unique), 200):  # SQLite allows 500 terms in a compound SELECT
            part = unique[start:start + 200]
            sql, params = _point_lookups(part, self.conn.dialect.name == "postgresql")
            for n, node in self.conn.exec_driver_sql(sql, params):
                out[part[n]] = bytes(node)
        for level, index in unique:
            node = out.get((level, index), b"")
            if len(node) != HASH_SIZE:
                raise MissingNode(level, index)
        return out


@functools.lru_cache(maxsize=512)
def _lookup_sql(count: int, pyformat: bool) -> str:
    """Driver-level SQL (SQLAlchemy's statement building costs more than the lookups themselves)."""

    def p(name: str) -> str:
        return f"%({name})s" if pyformat else f":{name}"

    return " UNION ALL ".join(
        f"SELECT {n} AS n, substr(hashes, {p(f'o{n}')}, {HASH_SIZE}) AS node FROM log_nodes "
        f"WHERE level = {p(f'l{n}')} AND chunk = {p(f'c{n}')}"
        for n in range(count)
    )


def _point_lookups(keys: Sequence[tuple[int, int]], pyformat: bool) -> tuple[str, dict[str, int]]:
    params: dict[str, int] = {}
    for n, (level, index) in enumerate(keys):
        params[f"l{n}"], params[f"c{n}"], params[f"o{n}"] = level, index // CHUNK, (index % CHUNK) * HASH_SIZE + 1
    return _lookup_sql(len(keys), pyformat), params


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
