"""Reads go through the principal's scope: only ``reetrace.web.deps`` touches transactions, the engine or a raw
connection; every other web module gets a :class:`Scoped` view (or, on public routes, a tree-only reader)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import reetrace.web

WEB = Path(reetrace.web.__file__).resolve().parent
DEPS = WEB / "deps.py"
FORBIDDEN = {
    "read_transaction(": re.compile(r"\bread_transaction\("),
    "write_transaction(": re.compile(r"\bwrite_transaction\("),
    ".engine": re.compile(r"\.engine\b"),
    ".conn": re.compile(r"\.conn\b"),
    "unscoped_connection": re.compile(r"unscoped_connection"),
    "LogReader(": re.compile(r"\bLogReader\("),
    "ScopedReader(": re.compile(r"\bScopedReader\("),
    "Vault(": re.compile(r"\bVault\("),
    "import Connection/Engine": re.compile(r"^from sqlalchemy(\.\w+)* import .*\b(Connection|Engine)\b", re.M),
}
MODULES = sorted(p for p in WEB.rglob("*.py") if p != DEPS and p.name != "witness_app.py")


def offences(source: str) -> list[str]:
    return [name for name, pattern in FORBIDDEN.items() if pattern.search(source)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_raw_database_access_outside_deps(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == [], f"{path.name}: read through reetrace.web.deps"


def test_the_patterns_catch_what_they_should() -> None:
    assert offences("with read_transaction(c.engine) as conn:") == ["read_transaction(", ".engine"]
    assert offences("rows = reader.conn.execute(q)") == [".conn"]
    assert offences("from sqlalchemy import Connection, select") == ["import Connection/Engine"]
    assert offences("LogReader(conn).entry(3)") == ["LogReader("]
    assert offences("from sqlalchemy import select") == []


def test_deps_is_where_the_transactions_are() -> None:
    source = DEPS.read_text(encoding="utf-8")
    assert "read_transaction(" in source and "write_transaction(" in source
    assert len(MODULES) >= 15  # the walk found the web package's modules


def test_witness_app_has_no_database() -> None:
    """The witness endpoint (a separate app) never touches the log's database."""
    assert offences((WEB / "witness_app.py").read_text(encoding="utf-8")) == []
