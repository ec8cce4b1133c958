"""RFC 9162 section 2.1 Merkle tree proofs over stored perfect-subtree hashes.

A *node* ``(level, index)`` is the Merkle hash of the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 nodes are leaf hashes. Storage keeps every perfect
node that exists, so the hash of any range used by a proof (a perfect node, or a right-edge range that is not
a power of two long) is folded from at most ``log2(n)`` stored nodes: the range is split at its largest
power of two, which is exactly RFC 9162's ``MTH`` recursion.

The functions come in two kinds:

* planning (``*_node_keys``): pure, return the node keys a computation needs, so storage fetches them in
  one query;
* plan + fetch + assemble (``root``, ``inclusion_proof``, ``consistency_proof``, ``new_nodes``) over a
  :class:`NodeSource`.

Proof outputs are in the RFC 9162 2.1.3.1 / 2.1.4.1 format (the same as transparency-dev/merkle).
Verifiers follow RFC 9162 2.1.3.2 / 2.1.4.2 strictly: every hash must be 32 bytes, ``index < size``, no
missing or extra proof hashes, and *no consistency proof from size 0*. That last rule is transparency-dev's
convention: a proof from the empty tree proves nothing. The witness protocol (C2SP tlog-witness ``old 0``
with an empty proof) handles old size 0 itself, in :mod:`reetrace.log.witness`, without calling
:func:`verify_consistency`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from reetrace.log.errors import ProofError, bad_argument, hx
from reetrace.log.hashing import EMPTY_ROOT, HASH_SIZE, node_hash

NodeKey = tuple[int, int]
Range = tuple[int, int]


class NodeSource(Protocol):
    """Where perfect-subtree hashes live (a database table, a tile store, memory)."""

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Every requested node in one batched lookup; raise if any is missing."""
        ...


# ------------------------------------------------------------------------------------------------------------
# Planning


def _check_size(name: str, value: int) -> None:
    if value < 0:
        raise bad_argument(f"{name} must be >= 0, got {value}")


def _range_keys(start: int, end: int) -> list[NodeKey]:
    """Perfect nodes covering ``[start, end)``, largest first; ``start`` is aligned to the largest width."""
    keys: list[NodeKey] = []
    length = end - start
    pos = start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            keys.append((level, pos >> level))
            pos += 1 << level
    return keys


def root_node_keys(size: int) -> list[NodeKey]:
    """The perfect nodes whose fold is the root of a tree of ``size`` leaves (its right-edge frontier)."""
    _check_size("size", size)
    return _range_keys(0, size)


def _path_ranges(level: int, index: int, size: int) -> list[Range]:
    """Leaf ranges of the audit path of node ``(level, index)`` in a tree of ``size`` leaves, bottom-up."""
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()
    ranges: list[Range] = []
    for k in range(inner):
        lvl = level + k
        start = ((index >> k) ^ 1) << lvl
        ranges.append((start, min(start + (1 << lvl), size)))
    k = inner
    while index >> k:
        if index >> k & 1:
            lvl = level + k
            start = ((index >> k) - 1) << lvl
            ranges.append((start, start + (1 << lvl)))
        k += 1
    return ranges


def _inclusion_ranges(index: int, size: int) -> list[Range]:
    _check_size("size", size)
    if not 0 <= index < size:
        raise bad_argument(f"leaf index must be in [0, {size}), got {index}", code="index_out_of_range")
    return _path_ranges(0, index, size)


def _consistency_ranges(old: int, new: int) -> list[Range]:
    _check_size("old size", old)
    if old > new:
        raise bad_argument(f"old size {old} is larger than new size {new}", code="size_out_of_range")
    if old == 0 or old == new:
        return []
    level = (old & -old).bit_length() - 1
    index = (old - 1) >> level
    path = _path_ranges(level, index, new)
    if index == 0:  # old is a power of two: the verifier already knows that node (it is the old root)
        return path
    return [(old - (1 << level), old), *path]


def _keys_of(ranges: Iterable[Range]) -> list[NodeKey]:
    return [key for start, end in ranges for key in _range_keys(start, end)]


def inclusion_node_keys(index: int, size: int) -> list[NodeKey]:
    """Every stored node needed for the inclusion proof of leaf ``index`` in a tree of ``size`` leaves."""
    return _keys_of(_inclusion_ranges(index, size))


def consistency_node_keys(old: int, new: int) -> list[NodeKey]:
    """Every stored node needed for the consistency proof from ``old`` to ``new`` leaves."""
    return _keys_of(_consistency_ranges(old, new))


def append_node_keys(size: int, count: int) -> list[NodeKey]:
    """The frontier nodes of a ``size``-leaf tree that get a new parent when ``count`` leaves are appended.

    A subset of :func:`root_node_keys`; it is what :func:`new_nodes` fetches.
    """
    _check_size("size", size)
    _check_size("count", count)
    new_size = size + count
    return [key for key in root_node_keys(size) if new_size >> (key[0] + 1) > size >> (key[0] + 1)]


# ------------------------------------------------------------------------------------------------------------
# Plan + fetch + assemble


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its perfect nodes (largest first): fold from the right edge."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _fetch(source: NodeSource, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
    nodes = source.get_nodes(keys) if keys else {}
    for key in keys:
        value = nodes.get(key)
        if value is None or len(value) != HASH_SIZE:
            raise LookupError(f"node source returned no 32-byte hash for node {key}")
    return nodes


def _assemble(source: NodeSource, ranges: Sequence[Range]) -> list[bytes]:
    per_range = [_range_keys(start, end) for start, end in ranges]
    nodes = _fetch(source, [key for keys in per_range for key in keys])
    return [_fold([nodes[key] for key in keys]) for keys in per_range]


def root(source: NodeSource, size: int) -> bytes:
    """RFC 9162 ``MTH`` of the first ``size`` leaves; :data:`EMPTY_ROOT` for 0."""
    if size == 0:
        return EMPTY_ROOT
    keys = root_node_keys(size)
    nodes = _fetch(source, keys)
    return _fold([nodes[key] for key in keys])


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """RFC 9162 2.1.3.1 ``PATH(index, D[size])``, sibling of the leaf first."""
    return _assemble(source, _inclusion_ranges(index, size))


def consistency_proof(source: NodeSource, old: int, new: int) -> list[bytes]:
    """RFC 9162 2.1.4.1 ``PROOF(old, D[new])``; empty when ``old`` is 0 or equal to ``new``."""
    return _assemble(source, _consistency_ranges(old, new))


def new_nodes(source: NodeSource, size: int, leaf_hashes: Sequence[bytes]) -> dict[NodeKey, bytes]:
    """Every perfect node completed by appending ``leaf_hashes`` to a tree of ``size`` leaves.

    Level 0 (the leaf hashes themselves) is included. The dict is ordered by level, then index, so a store can
    append per level in order. Only :func:`append_node_keys` is fetched from ``source``.
    """
    for i, leaf in enumerate(leaf_hashes):
        if len(leaf) != HASH_SIZE:
            raise bad_argument(f"leaf hash {i} must be {HASH_SIZE} bytes, got {len(leaf)}")
    frontier = _fetch(source, append_node_keys(size, len(leaf_hashes)))
    sha256 = hashlib.sha256
    result: dict[NodeKey, bytes] = {}
    level, start = 0, size
    current = list(leaf_hashes)
    while current:
        result.update(zip(((level, i) for i in range(start, start + len(current))), current, strict=True))
        if start & 1:
            current.insert(0, frontier[(level, start - 1)])
        left, right = current[0::2], current[1::2]
        current = [sha256(b"\x01" + a + b).digest() for a, b in zip(left, right, strict=False)]
        level, start = level + 1, start >> 1
    return result


# ------------------------------------------------------------------------------------------------------------
# Verification (RFC 9162 2.1.3.2 and 2.1.4.2)


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(
            f"{what} must be {HASH_SIZE} bytes, got {len(value)} bytes ({hx(value)})", "hash_length"
        )


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for i, item in enumerate(proof):
        _check_hash(f"proof hash {i}", item)


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` in a tree of ``size`` leaves.

    Raises :class:`ProofError` when the proof has the wrong shape (too short, too long, bad hash lengths).
    """
    _check_hash("leaf hash", leaf_hash)
    _check_proof_hashes(proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index must be in [0, {size}), got {index}", "index_out_of_range")
    fn, sn, result = index, size - 1, leaf_hash
    for item in proof:
        if sn == 0:
            raise ProofError(
                f"inclusion proof for index {index} in size {size} is too long: "
                f"expected {_inclusion_length(index, size)} hashes, got {len(proof)}"
            )
        if fn & 1 or fn == sn:
            result = node_hash(item, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(
            f"inclusion proof for index {index} in size {size} is too short: "
            f"expected {_inclusion_length(index, size)} hashes, got {len(proof)}"
        )
    return result


def _inclusion_length(index: int, size: int) -> int:
    return len(_path_ranges(0, index, size))


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the ``size``-leaf tree with ``root``; raise otherwise."""
    _check_hash("expected root", root)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in tree size {size} does not match the root: "
            f"expected {hx(root)}, computed {hx(computed)}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the ``new_size`` tree with ``new_root`` extends the ``old_size`` one with ``old_root``.

    Strict: any proof from ``old_size == 0`` is rejected (it proves nothing); callers that must accept the
    empty tree as a prefix of everything (the witness, for ``old 0``) handle that case themselves.
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_proof_hashes(proof)
    if old_size < 0 or old_size > new_size:
        raise ProofError(f"old size must be in [1, new size {new_size}], got {old_size}", "size_out_of_range")
    if old_size == 0:
        raise ProofError(
            "a consistency proof from tree size 0 is meaningless; expected old size >= 1, got 0",
            "size_out_of_range",
        )
    if old_size == new_size:
        _verify_same_size(old_size, old_root, new_root, proof)
        return
    old_computed, new_computed = _roots_from_consistency(old_size, new_size, old_root, proof)
    if old_computed != old_root:
        raise ProofError(
            f"consistency proof {old_size} -> {new_size} does not match the old root: "
            f"expected {hx(old_root)}, computed {hx(old_computed)}"
        )
    if new_computed != new_root:
        raise ProofError(
            f"consistency proof {old_size} -> {new_size} does not match the new root: "
            f"expected {hx(new_root)}, computed {hx(new_computed)}"
        )


def _verify_same_size(size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    if proof:
        raise ProofError(
            f"consistency proof between equal sizes {size} must be empty, got {len(proof)} hashes"
        )
    if old_root != new_root:
        raise ProofError(
            f"trees of equal size {size} must have equal roots: expected {hx(old_root)}, got {hx(new_root)}"
        )


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 2.1.4.2 steps 1 to 6: the (old, new) roots the proof implies."""
    expected = len(_consistency_ranges(old_size, new_size))
    if not proof:
        raise ProofError(f"consistency proof {old_size} -> {new_size} is empty; expected {expected} hashes")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for item in path[1:]:
        if sn == 0:
            raise ProofError(
                f"consistency proof {old_size} -> {new_size} is too long: "
                f"expected {expected} hashes, got {len(proof)}"
            )
        if fn & 1 or fn == sn:
            fr, sr = node_hash(item, fr), node_hash(item, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(
            f"consistency proof {old_size} -> {new_size} is too short: "
            f"expected {expected} hashes, got {len(proof)}"
        )
    return fr, sr
