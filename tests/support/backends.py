"""What the fixtures share with test modules: the backend list, settings for tests, the skip-or-fail rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reetrace.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def unavailable(reason: str) -> None:
    """Skip with ``reason``; on CI (``CI=true``) fail instead, so a missing dependency is never silent."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


def locate_shared() -> Path:
    """``REETRACE_SHARED`` or ``<repo>/../shared``."""
    return Path(os.environ.get("REETRACE_SHARED", REPO / ".." / "shared")).resolve()


def make_settings(home: Path, database_url: str | None = None) -> Settings:
    """Settings that ignore the caller's environment (no REETRACE_* leaks into tests)."""
    return load_settings({}, home=home, database_url=database_url)
