"""Locate the shared test vectors (``REETRACE_SHARED`` or ``<repo>/../shared``).

Without them the vector tests skip with the reason, except on CI (``CI=true``) where they fail: a CI run that
silently skipped every known-answer test would prove nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MERKLE = Path("vectors/merkle/transparency-dev-merkle/testdata")


def locate_shared() -> Path:
    return Path(os.environ.get("REETRACE_SHARED", REPO / ".." / "shared")).resolve()


def missing_shared(path: Path) -> None:
    reason = f"shared test vectors not found at {path} (set REETRACE_SHARED to the shared/ directory)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = locate_shared()
    if not (path / "vectors").is_dir():
        missing_shared(path)
    return path


def _vector_files(kind: str) -> list[str]:
    root = locate_shared() / MERKLE / kind
    return sorted(str(p.relative_to(root.parent)) for p in root.rglob("*.json")) if root.is_dir() else []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``merkle_vector_path`` by every inclusion/consistency file (relative to testdata/)."""
    if "merkle_vector_path" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("merkle_kind")
    kind = marker.args[0] if marker else "inclusion"
    files = _vector_files(kind) or [f"{kind}/<vectors missing>"]
    metafunc.parametrize("merkle_vector_path", files, ids=files)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "merkle_kind(kind): which transparency-dev testdata directory to use")
