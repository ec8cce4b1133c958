"""`log replay`: rebuild every read table from the log and report where the stored tables differed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, delete, select

from reetrace.events import KindRegistry, event_from_entry
from reetrace.storage.ledger import project_runs
from reetrace.storage.tables import log_entries, projection_tables

Progress = Callable[[int], None]
PAGE = 5000


@dataclass
class TableDiff:
    table: str
    missing: list[str] = field(default_factory=list)  # rows the log implies but the table lacked
    extra: list[str] = field(default_factory=list)  # rows the table had that the log does not imply
    changed: list[str] = field(default_factory=list)  # same key, different values

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.changed)


@dataclass
class ReplayReport:
    entries: int = 0
    tables: list[TableDiff] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(t.count for t in self.tables)


def _snapshot(conn: Connection, table: Table) -> dict[str, str]:
    keys = list(table.primary_key.columns)
    out = {}
    for row in conn.execute(select(table)):
        mapping = row._mapping
        key = "/".join(str(mapping[c.name]) for c in keys)
        out[key] = hashlib.sha256(repr(tuple(mapping.values())).encode()).hexdigest()
    return out


def replay(conn: Connection, kinds: KindRegistry, progress: Progress | None = None) -> ReplayReport:
    """Inside the caller's write transaction: wipe the projections, re-apply every entry, diff before/after."""
    tables = projection_tables()
    before = {t.name: _snapshot(conn, t) for t in tables}
    for table in reversed(tables):
        conn.execute(delete(table))
    report = ReplayReport()
    start = 0
    while True:  # page by index: flat memory, and no open cursor while the projections write
        page = conn.execute(select(log_entries.c.idx, log_entries.c.entry).where(log_entries.c.idx >= start)
                            .order_by(log_entries.c.idx).limit(PAGE)).all()
        project_runs(conn, kinds, [(event_from_entry(bytes(entry)), int(idx)) for idx, entry in page])
        report.entries += len(page)
        if progress:
            progress(report.entries)
        if len(page) < PAGE:
            break
        start = int(page[-1][0]) + 1
    for table in tables:
        after = _snapshot(conn, table)
        old = before[table.name]
        diff = TableDiff(table.name)
        diff.missing = sorted(k for k in after if k not in old)
        diff.extra = sorted(k for k in old if k not in after)
        diff.changed = sorted(k for k in after if k in old and after[k] != old[k])
        report.tables.append(diff)
    return report
