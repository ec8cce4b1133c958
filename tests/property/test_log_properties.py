"""Property tests for RFC 9162 proofs over stored nodes (reetrace.log.tree, reetrace.log.memory).

One tree of 2**14 leaves is built once; a proof for size n only reads the first n leaves, so every size up to
2**14 is available without rebuilding. Sizes are drawn to hit edges (powers of two and their neighbours) as
well as uniformly.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reetrace.log import tree
from reetrace.log.errors import ProofError
from reetrace.log.hashing import leaf_hash, node_hash
from reetrace.log.memory import MemoryTree

MAX_SIZE = 2**14
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def big_tree() -> MemoryTree:
    return MemoryTree(i.to_bytes(4, "big") for i in range(MAX_SIZE))


def _edge_sizes(maximum: int) -> st.SearchStrategy[int]:
    edges = sorted({s for k in range(15) for s in (2**k - 1, 2**k, 2**k + 1) if 1 <= s <= maximum})
    return st.one_of(st.sampled_from(edges), st.integers(1, 80), st.integers(1, maximum))


sizes = _edge_sizes(MAX_SIZE)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return size, draw(st.one_of(st.just(0), st.just(size - 1), st.integers(0, size - 1)))


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(sizes)
    return draw(st.one_of(st.just(new), st.just(1), st.integers(1, new))), new


def _flip(value: bytes, position: int, mask: int) -> bytes:
    data = bytearray(value)
    data[position % len(data)] ^= mask
    return bytes(data)


# -- naive RFC 9162 reference (recursive MTH / PATH / PROOF over leaf hashes), for small trees ---------------


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def ref_mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = _split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


# -- properties ---------------------------------------------------------------------------------------------


@SETTINGS
@given(size_and_index())
def test_inclusion_proofs_verify(case: tuple[int, int]) -> None:
    size, index = case
    t = big_tree()
    proof = t.inclusion_proof(index, size)
    tree.verify_inclusion(t.leaf_hash(index), index, size, proof, t.root(size))
    assert len(tree.inclusion_node_keys(index, size)) <= 2 * size.bit_length()


@SETTINGS
@given(old_and_new())
def test_consistency_proofs_verify(case: tuple[int, int]) -> None:
    old, new = case
    t = big_tree()
    proof = t.consistency_proof(old, new)
    tree.verify_consistency(old, new, t.root(old), t.root(new), proof)
    assert len(tree.consistency_node_keys(old, new)) <= 3 * new.bit_length()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_proofs_equal_naive_rfc_reference(size: int, data: st.DataObject) -> None:
    t = big_tree()
    leaves = [t.leaf_hash(i) for i in range(size)]
    assert t.root(size) == ref_mth(leaves)
    index = data.draw(st.integers(0, size - 1))
    assert t.inclusion_proof(index, size) == ref_path(index, leaves)
    old = data.draw(st.integers(1, size))
    assert t.consistency_proof(old, size) == ref_subproof(old, leaves, True)


@SETTINGS
@given(size_and_index(), st.data())
def test_tampered_inclusion_fails(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    t = big_tree()
    leaf, proof, root = t.leaf_hash(index), t.inclusion_proof(index, size), t.root(size)
    mask = data.draw(st.integers(1, 255))
    position = data.draw(st.integers(0, 31))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:which], _flip(proof[which], position, mask), *proof[which + 1 :]]
        _raises(lambda: tree.verify_inclusion(leaf, index, size, bad, root))
        _raises(lambda: tree.verify_inclusion(leaf, index, size, proof[:-1], root))
    _raises(lambda: tree.verify_inclusion(leaf, index, size, [*proof, root], root))
    _raises(lambda: tree.verify_inclusion(leaf, index, size, proof, _flip(root, position, mask)))
    _raises(lambda: tree.verify_inclusion(_flip(leaf, position, mask), index, size, proof, root))
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        _raises(lambda: tree.verify_inclusion(leaf, other, size, proof, root))
    _raises(lambda: tree.verify_inclusion(leaf, index + size, size, proof, root))


@SETTINGS
@given(size_and_index(), sizes)
def test_inclusion_proof_for_another_tree_fails(case: tuple[int, int], other_size: int) -> None:
    """A proof for one tree size never verifies against another size's (honest) root, unless identical."""
    size, index = case
    t = big_tree()
    if other_size == size or index >= other_size:
        return
    proof, other_proof = t.inclusion_proof(index, size), t.inclusion_proof(index, other_size)

    def check() -> None:
        tree.verify_inclusion(t.leaf_hash(index), index, other_size, proof, t.root(other_size))

    if proof == other_proof:
        check()
    else:
        _raises(check)


@SETTINGS
@given(old_and_new(), st.data())
def test_tampered_consistency_fails(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    t = big_tree()
    old_root, new_root, proof = t.root(old), t.root(new), t.consistency_proof(old, new)
    mask, position = data.draw(st.integers(1, 255)), data.draw(st.integers(0, 31))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:which], _flip(proof[which], position, mask), *proof[which + 1 :]]
        _raises(lambda: tree.verify_consistency(old, new, old_root, new_root, bad))
        _raises(lambda: tree.verify_consistency(old, new, old_root, new_root, proof[1:]))
    _raises(lambda: tree.verify_consistency(old, new, old_root, new_root, [*proof, new_root]))
    _raises(lambda: tree.verify_consistency(old, new, _flip(old_root, position, mask), new_root, proof))
    _raises(lambda: tree.verify_consistency(old, new, old_root, _flip(new_root, position, mask), proof))
    other_old = data.draw(st.integers(1, new))
    if other_old != old:
        _raises(lambda: tree.verify_consistency(other_old, new, t.root(other_old), new_root, proof))
        _raises(lambda: tree.verify_consistency(other_old, new, old_root, new_root, proof))
    other_new = data.draw(st.integers(old, MAX_SIZE))
    if other_new != new and t.consistency_proof(old, other_new) != proof:
        _raises(lambda: tree.verify_consistency(old, other_new, old_root, t.root(other_new), proof))
    _raises(lambda: tree.verify_consistency(0, new, old_root, new_root, proof))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 600), st.lists(st.integers(0, 700), max_size=8), st.data())
def test_new_nodes_batches_equal_one_by_one(start: int, cuts: list[int], data: st.DataObject) -> None:
    total = start + max(cuts, default=0) + data.draw(st.integers(0, 50))
    hashes = [leaf_hash(hashlib.sha256(i.to_bytes(4, "big")).digest()) for i in range(total)]
    one_by_one = MemoryTree()
    for h in hashes:
        one_by_one.extend([h])
    batched = MemoryTree()
    batched.extend(hashes[:start])
    points = sorted({start, *(start + c for c in cuts), total})
    for lo, hi in itertools.pairwise(points):
        added = tree.new_nodes(batched, batched.size, hashes[lo:hi])
        assert all(added[key] == one_by_one.node(*key) for key in added)
        batched.extend(hashes[lo:hi])
    assert batched.all_nodes() == one_by_one.all_nodes()
    assert batched.node_count() == 2 * total - bin(total).count("1")


def _raises(call: Callable[[], None]) -> None:
    try:
        call()
    except ProofError:
        return
    raise AssertionError("verification passed although it should have failed")
