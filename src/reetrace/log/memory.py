"""An in-memory Merkle tree: a :class:`~reetrace.log.tree.NodeSource` for tests, witnesses and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reetrace.log import tree
from reetrace.log.hashing import leaf_hash
from reetrace.log.tree import NodeKey


class MemoryTree:
    """Every perfect node kept in one list per level; appends go through :func:`tree.new_nodes`."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend([leaf_hash(entry) for entry in entries])

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        result: dict[NodeKey, bytes] = {}
        for level, index in keys:
            if level >= len(self._levels) or not 0 <= index < len(self._levels[level]):
                raise LookupError(f"node ({level}, {index}) is not stored in a tree of size {self.size}")
            result[(level, index)] = self._levels[level][index]
        return result

    def append(self, entry: bytes) -> int:
        """Append one entry (hashed as a leaf); return its 0-based index."""
        index = self.size
        self.extend([leaf_hash(entry)])
        return index

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append already-hashed leaves."""
        nodes = tree.new_nodes(self, self.size, leaf_hashes)
        for (level, index), value in nodes.items():
            while level >= len(self._levels):
                self._levels.append([])
            if index != len(self._levels[level]):
                raise AssertionError(
                    f"new node ({level}, {index}) out of order; level holds {len(self._levels[level])} nodes"
                )
            self._levels[level].append(value)

    def leaf_hash(self, index: int) -> bytes:
        return self._levels[0][index]

    def node(self, level: int, index: int) -> bytes:
        return self._levels[level][index]

    def all_nodes(self) -> dict[NodeKey, bytes]:
        """Every stored node (for tests and fsck-style comparisons)."""
        return {(level, i): h for level, hashes in enumerate(self._levels) for i, h in enumerate(hashes)}

    def node_count(self) -> int:
        return sum(len(level) for level in self._levels)

    def root(self, size: int | None = None) -> bytes:
        return tree.root(self, self.size if size is None else self._check(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return tree.inclusion_proof(self, index, self.size if size is None else self._check(size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        return tree.consistency_proof(self, old, self.size if new is None else self._check(new))

    def _check(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise LookupError(f"tree size {size} is beyond the stored size {self.size}")
        return size
