"""The test tree imports its modules by basename (rootdir-relative, no packages): two files with one name in two
folders make collection fail with an "import file mismatch", so every module name must be unique."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_module_name_is_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py" and "__pycache__" not in p.parts)
    assert [name for name, count in names.items() if count > 1] == []
