"""RFC 9162 proofs vs transparency-dev/merkle golden vectors, the RFC 6962 test tree, sigstore and pymerkle.

Deliberate difference from transparency-dev (documented in reetrace.log.tree): every hash must be 32 bytes, so
``consistency/additional/sizes-are-equal-one-and-proof-is-empty.json`` (12-byte "don't care" roots, equal
sizes) is rejected here although transparency-dev accepts it.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reetrace.log import tree
from reetrace.log.errors import ProofError
from reetrace.log.hashing import EMPTY_ROOT, leaf_hash
from reetrace.log.memory import MemoryTree

MERKLE = Path("vectors/merkle/transparency-dev-merkle/testdata")

STRICTER_THAN_UPSTREAM = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"}


def _load(shared_dir: Path, rel: str) -> dict[str, Any]:
    path = shared_dir / MERKLE / rel
    if not path.is_file():
        pytest.fail(f"vector file {path} is missing although {shared_dir} exists")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b(h) for h in data["proof"] or []]


@pytest.fixture(scope="module")
def test_tree(shared_dir: Path) -> tuple[MemoryTree, dict[str, Any]]:
    data = json.loads((shared_dir / "vectors/merkle/rfc6962-test-tree.json").read_text())
    return MemoryTree(bytes.fromhex(x) for x in data["leaves_hex"]), data


def sigstore_verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Independent oracle: sigstore-python's private helpers plus the guards they lack (research note 1.2)."""
    merkle = pytest.importorskip("sigstore._internal.merkle")
    if not 0 <= index < size or any(len(h) != 32 for h in (leaf, root, *proof)):
        return False
    inner, border = merkle._decomp_inclusion_proof(index, size)
    if len(proof) != inner + border:
        return False
    computed = merkle._chain_border_right(
        merkle._chain_inner(leaf, list(proof[:inner]), index), proof[inner:]
    )
    return bool(computed == root)


@pytest.mark.merkle_kind("inclusion")
def test_inclusion_vector(shared_dir: Path, merkle_vector_path: str) -> None:
    data = _load(shared_dir, merkle_vector_path)
    args = (_b(data["leafHash"]), data["leafIdx"], data["treeSize"], _proof(data), _b(data["root"]))
    if data["wantErr"]:
        with pytest.raises(ProofError):
            tree.verify_inclusion(*args)
    else:
        tree.verify_inclusion(*args)
    assert sigstore_verify_inclusion(*args) is not data["wantErr"], "sigstore oracle disagrees"


@pytest.mark.merkle_kind("consistency")
def test_consistency_vector(shared_dir: Path, merkle_vector_path: str) -> None:
    data = _load(shared_dir, merkle_vector_path)
    args = (data["size1"], data["size2"], _b(data["root1"]), _b(data["root2"]), _proof(data))
    if merkle_vector_path in STRICTER_THAN_UPSTREAM:
        assert not data["wantErr"]
        with pytest.raises(ProofError, match="must be 32 bytes, got 12 bytes"):
            tree.verify_consistency(*args)
    elif data["wantErr"]:
        with pytest.raises(ProofError):
            tree.verify_consistency(*args)
    else:
        tree.verify_consistency(*args)


def _happy(shared_dir: Path, kind: str) -> list[dict[str, Any]]:
    files = sorted((shared_dir / MERKLE / kind).rglob("*.json"))
    return [d for d in (json.loads(f.read_text()) for f in files) if not d["wantErr"]]


def test_generated_proofs_equal_happy_vectors(
    shared_dir: Path, test_tree: tuple[MemoryTree, dict[str, Any]]
) -> None:
    """Every happy-path vector over the RFC test tree is reproduced exactly by the proof generator."""
    t, _ = test_tree
    matched = 0
    for data in _happy(shared_dir, "inclusion"):
        size, index = data["treeSize"], data["leafIdx"]
        if size <= t.size and _b(data["root"]) == t.root(size):
            assert t.inclusion_proof(index, size) == _proof(data), data
            matched += 1
    for data in _happy(shared_dir, "consistency"):
        old, new = data["size1"], data["size2"]
        if 0 < old <= new <= t.size and _b(data["root2"]) == t.root(new):
            assert t.consistency_proof(old, new) == _proof(data), data
            matched += 1
    assert matched >= 10, f"expected at least 10 happy vectors over the RFC test tree, matched {matched}"


def test_rfc_test_tree_roots(test_tree: tuple[MemoryTree, dict[str, Any]]) -> None:
    t, data = test_tree
    assert [h.hex() for h in (t.leaf_hash(i) for i in range(8))] == data["leaf_hashes_hex"]
    for size, expected in data["roots_hex_by_tree_size"].items():
        assert t.root(int(size)).hex() == expected
    assert t.root(0) == EMPTY_ROOT


def test_rfc_sample_proofs(test_tree: tuple[MemoryTree, dict[str, Any]]) -> None:
    """The proofs printed by transparency-dev cmd/proofgen (research ledger section 2, head...tail)."""
    t, _ = test_tree
    inclusion = [(h.hex()[:8], h.hex()[-4:]) for h in t.inclusion_proof(0, 8)]
    assert inclusion == [("96a296d2", "cfc7"), ("5f083f0a", "031e"), ("6b47aaf2", "f6e4")]
    consistency = [(h.hex()[:8], h.hex()[-4:]) for h in t.consistency_proof(6, 8)]
    assert consistency == [("0ebc5d34", "ef6a"), ("ca854ea1", "0ae0"), ("d37ee418", "14b7")]


def test_every_proof_of_the_test_tree(test_tree: tuple[MemoryTree, dict[str, Any]]) -> None:
    t, _ = test_tree
    for size in range(1, 9):
        root = t.root(size)
        for index in range(size):
            proof = t.inclusion_proof(index, size)
            tree.verify_inclusion(t.leaf_hash(index), index, size, proof, root)
            assert sigstore_verify_inclusion(t.leaf_hash(index), index, size, proof, root)
        for old in range(1, size + 1):
            tree.verify_consistency(old, size, t.root(old), root, t.consistency_proof(old, size))


def test_sigstore_agrees_on_a_larger_tree() -> None:
    rng = random.Random(6962)
    t = MemoryTree(rng.randbytes(rng.randrange(40)) for _ in range(1000))
    for size in (1, 2, 3, 255, 256, 257, 999, 1000):
        for index in {0, size // 3, size - 1}:
            proof = t.inclusion_proof(index, size)
            assert sigstore_verify_inclusion(t.leaf_hash(index), index, size, proof, t.root(size))
            assert not sigstore_verify_inclusion(
                t.leaf_hash(index), index, size, proof, t.root(size - 1 or 2)
            )


def test_roots_and_inclusion_paths_match_pymerkle() -> None:
    pymerkle = pytest.importorskip("pymerkle")
    rng = random.Random(7)
    entries = [rng.randbytes(rng.randrange(1, 50)) for _ in range(300)]
    ours = MemoryTree()
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in entries:
        ours.append(entry)
        theirs.append_entry(entry)
    for size in range(1, 301):
        assert ours.root(size) == theirs.get_root(size), size
    for size, index in [(1, 0), (7, 3), (64, 63), (300, 0), (300, 150), (300, 299)]:
        path = [bytes.fromhex(h) for h in theirs.prove_inclusion(index + 1, size).serialize()["path"]]
        assert path == [leaf_hash(entries[index]), *ours.inclusion_proof(index, size)]
