"""Fixtures of the flow tests: a container on each backend with enterprises of two group tenants."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "personnel"))  # the enterprises of personnel tests

from personnel_people import add_enterprises

from reetrace.container import Container, build_container
from reetrace.settings import Settings


@pytest.fixture
def world(backend: Settings) -> Iterator[Container]:
    """A fresh container with ENT-N1, ENT-N2 (group-north) and ENT-S1 (group-south)."""
    container = build_container(backend)
    add_enterprises(container)
    try:
        yield container
    finally:
        container.close()
