"""Planning, assembly and strict verification in reetrace.log.tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from reetrace.errors import Error, VerificationError
from reetrace.log import tree
from reetrace.log.errors import ProofError
from reetrace.log.hashing import EMPTY_ROOT, leaf_hash
from reetrace.log.memory import MemoryTree
from reetrace.log.tree import NodeKey


class CountingSource:
    """Wraps a MemoryTree and records every batched lookup."""

    def __init__(self, inner: MemoryTree) -> None:
        self.inner = inner
        self.calls: list[list[NodeKey]] = []

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls.append(list(keys))
        return self.inner.get_nodes(keys)


@pytest.fixture
def t() -> MemoryTree:
    return MemoryTree(i.to_bytes(2, "big") for i in range(1000))


def test_root_node_keys_are_the_right_edge() -> None:
    assert tree.root_node_keys(0) == []
    assert tree.root_node_keys(1) == [(0, 0)]
    assert tree.root_node_keys(7) == [(2, 0), (1, 2), (0, 6)]
    assert tree.root_node_keys(8) == [(3, 0)]
    assert tree.root_node_keys(1000) == [(9, 0), (8, 2), (7, 6), (6, 14), (5, 30), (3, 124)]


def test_planned_keys_for_known_proofs() -> None:
    assert tree.inclusion_node_keys(0, 8) == [(0, 1), (1, 1), (2, 1)]
    assert tree.inclusion_node_keys(6, 7) == [(1, 2), (2, 0)]
    assert tree.inclusion_node_keys(4, 7) == [(0, 5), (0, 6), (2, 0)]  # sibling range [6, 7) is one leaf
    assert tree.inclusion_node_keys(0, 1) == []
    assert tree.consistency_node_keys(6, 8) == [(1, 2), (1, 3), (2, 0)]
    assert tree.consistency_node_keys(4, 8) == [(2, 1)]
    assert tree.consistency_node_keys(3, 3) == []
    assert tree.consistency_node_keys(0, 5) == []


def test_one_batched_lookup_per_proof_and_logarithmic_keys(t: MemoryTree) -> None:
    source = CountingSource(t)
    proof = tree.inclusion_proof(source, 700, 999)
    assert len(source.calls) == 1
    assert source.calls[0] == tree.inclusion_node_keys(700, 999)
    assert len(source.calls[0]) <= 2 * (999).bit_length()
    assert proof == t.inclusion_proof(700, 999)
    source.calls.clear()
    tree.consistency_proof(source, 333, 999)
    assert len(source.calls) == 1 and len(source.calls[0]) <= 3 * (999).bit_length()
    source.calls.clear()
    assert tree.root(source, 999) == t.root(999)
    assert source.calls == [tree.root_node_keys(999)]


def test_empty_tree_root_needs_no_lookup(t: MemoryTree) -> None:
    source = CountingSource(t)
    assert tree.root(source, 0) == EMPTY_ROOT
    assert source.calls == []


def test_new_nodes_fetches_only_the_frontier(t: MemoryTree) -> None:
    source = CountingSource(t)
    leaves = [leaf_hash(b"x%d" % i) for i in range(5)]
    nodes = tree.new_nodes(source, 999, leaves)
    assert source.calls == [tree.append_node_keys(999, 5)]
    assert set(tree.append_node_keys(999, 5)) <= set(tree.root_node_keys(999))
    assert nodes[(0, 999)] == leaves[0]
    assert (1, 499) in nodes  # leaf 998 (frontier) + leaf 999
    assert all(nodes[k] for k in nodes)
    bigger = MemoryTree()
    bigger.extend([t.leaf_hash(i) for i in range(999)] + leaves)
    assert {k: bigger.node(*k) for k in nodes} == nodes


def test_new_nodes_rejects_bad_leaf_hashes(t: MemoryTree) -> None:
    with pytest.raises(Error, match="leaf hash 1 must be 32 bytes, got 3"):
        tree.new_nodes(t, t.size, [leaf_hash(b"a"), b"abc"])


def test_new_nodes_from_empty_and_nothing() -> None:
    empty = MemoryTree()
    assert tree.new_nodes(empty, 0, []) == {}
    one = tree.new_nodes(empty, 0, [leaf_hash(b"a"), leaf_hash(b"b")])
    assert list(one) == [(0, 0), (0, 1), (1, 0)]


def test_missing_node_in_source_is_an_error(t: MemoryTree) -> None:
    with pytest.raises(LookupError, match="beyond the stored size"):
        t.inclusion_proof(0, 1001)
    with pytest.raises(LookupError):
        tree.inclusion_proof(t, 0, 4096)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.inclusion_proof(5, 5), r"leaf index must be in \[0, 5\), got 5"),
        (lambda t: t.inclusion_proof(-1, 5), r"got -1"),
        (lambda t: t.consistency_proof(6, 5), "old size 6 is larger than new size 5"),
    ],
)
def test_impossible_requests_are_400(t: MemoryTree, call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(Error, match=message) as info:
        call(t)
    assert info.value.http_status == 400
    assert not isinstance(info.value, VerificationError)


def test_inclusion_failure_names_expected_and_computed(t: MemoryTree) -> None:
    proof = t.inclusion_proof(3, 10)
    wrong_root = t.root(11)
    with pytest.raises(ProofError) as info:
        tree.verify_inclusion(t.leaf_hash(3), 3, 10, proof, wrong_root)
    assert wrong_root.hex() in info.value.message
    assert t.root(10).hex() in info.value.message
    assert info.value.http_status == 422


def test_root_from_inclusion_proof(t: MemoryTree) -> None:
    assert tree.root_from_inclusion_proof(t.leaf_hash(9), 9, 17, t.inclusion_proof(9, 17)) == t.root(17)
    with pytest.raises(ProofError, match="too short: expected 5 hashes, got 4"):
        tree.root_from_inclusion_proof(t.leaf_hash(9), 9, 17, t.inclusion_proof(9, 17)[:-1])
    with pytest.raises(ProofError, match="too long"):
        tree.root_from_inclusion_proof(t.leaf_hash(9), 9, 17, [*t.inclusion_proof(9, 17), EMPTY_ROOT])


def test_hash_lengths_are_strict(t: MemoryTree) -> None:
    proof = t.inclusion_proof(1, 4)
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes, got 0 bytes"):
        tree.verify_inclusion(b"", 1, 4, proof, t.root(4))
    with pytest.raises(ProofError, match="expected root must be 32 bytes"):
        tree.verify_inclusion(t.leaf_hash(1), 1, 4, proof, t.root(4)[:31])
    with pytest.raises(ProofError, match="proof hash 1 must be 32 bytes"):
        tree.verify_inclusion(t.leaf_hash(1), 1, 4, [proof[0], proof[1] + b"\0"], t.root(4))


def test_consistency_from_zero_is_rejected_by_the_pure_verifier() -> None:
    with pytest.raises(ProofError, match="from tree size 0 is meaningless"):
        tree.verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(ProofError, match="size 0"):
        tree.verify_consistency(0, 3, EMPTY_ROOT, leaf_hash(b"x"), [])


def test_consistency_failures_name_values(t: MemoryTree) -> None:
    proof = t.consistency_proof(7, 20)
    tree.verify_consistency(7, 20, t.root(7), t.root(20), proof)
    with pytest.raises(ProofError) as info:
        tree.verify_consistency(7, 20, t.root(7), t.root(21), proof)
    assert t.root(21).hex() in info.value.message and t.root(20).hex() in info.value.message
    with pytest.raises(ProofError, match="does not match the old root"):
        tree.verify_consistency(7, 20, t.root(6), t.root(20), proof)
    with pytest.raises(ProofError, match="between equal sizes 20 must be empty"):
        tree.verify_consistency(20, 20, t.root(20), t.root(20), proof)
    with pytest.raises(ProofError, match="equal roots"):
        tree.verify_consistency(20, 20, t.root(20), t.root(19), [])
    with pytest.raises(ProofError, match="is empty; expected"):
        tree.verify_consistency(7, 20, t.root(7), t.root(20), [])
    with pytest.raises(ProofError, match="old size must be in"):
        tree.verify_consistency(21, 20, t.root(7), t.root(20), proof)


def test_memory_tree_append_and_sizes() -> None:
    m = MemoryTree()
    assert m.size == 0 and m.root() == EMPTY_ROOT
    assert m.append(b"a") == 0
    assert m.append(b"b") == 1
    assert m.root() == tree.root(m, 2)
    assert m.leaf_hash(1) == leaf_hash(b"b")
    assert m.node_count() == 3
    with pytest.raises(LookupError, match=r"node \(1, 1\) is not stored"):
        m.get_nodes([(1, 1)])
