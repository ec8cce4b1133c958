"""Fixtures for the log unit tests: a log key with a 20-entry tree, three witness cosigners."""

from __future__ import annotations

import pytest
from log_helpers import ORIGIN, LogFixture

from reetrace.log.memory import MemoryTree
from reetrace.log.note import CosignatureSigner, Signer


@pytest.fixture
def log() -> LogFixture:
    return LogFixture(Signer.generate(ORIGIN), MemoryTree(f"entry {i}".encode() for i in range(20)))


@pytest.fixture
def witness_signers() -> list[CosignatureSigner]:
    return [CosignatureSigner.generate(f"witness{i}.example.org") for i in range(3)]
