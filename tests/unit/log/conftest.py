"""Shared fixtures for the log unit tests: a log key, two witnesses, an in-memory tree."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reetrace.log.checkpoint import Checkpoint, sign_checkpoint
from reetrace.log.memory import MemoryTree
from reetrace.log.note import CosignatureSigner, Signer

ORIGIN = "example.com/reetrace/log1"


@dataclass
class LogFixture:
    signer: Signer
    tree: MemoryTree

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.tree.size if size is None else size
        return Checkpoint(self.signer.name, size, self.tree.root(size))

    def signed(self, size: int | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), self.signer)


@pytest.fixture
def log() -> LogFixture:
    return LogFixture(Signer.generate(ORIGIN), MemoryTree(f"entry {i}".encode() for i in range(20)))


@pytest.fixture
def witness_signers() -> list[CosignatureSigner]:
    return [CosignatureSigner.generate(f"witness{i}.example.org") for i in range(3)]
