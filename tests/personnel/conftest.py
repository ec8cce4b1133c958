"""Fixtures of the personnel tests: a container on each backend with three enterprises in two group tenants."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
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
