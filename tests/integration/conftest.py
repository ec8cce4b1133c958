"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from reetrace.cli import common


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables at full width, so that in-process CLI tests can read every column."""
    monkeypatch.setattr(common.out_console, "_width", 250)
    monkeypatch.setattr(common.err_console, "_width", 250)
