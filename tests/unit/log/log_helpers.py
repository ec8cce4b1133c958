"""Helpers shared by the log unit tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

from dataclasses import dataclass

from reetrace.log.checkpoint import Checkpoint, sign_checkpoint
from reetrace.log.memory import MemoryTree
from reetrace.log.note import Signer

ORIGIN = "example.com/reetrace/log1"


@dataclass
class LogFixture:
    """A log: its checkpoint key and its tree (20 entries to start with)."""

    signer: Signer
    tree: MemoryTree

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.tree.size if size is None else size
        return Checkpoint(self.signer.name, size, self.tree.root(size))

    def signed(self, size: int | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), self.signer)
