"""The one scoping mechanism: every read a request makes goes through a ScopedReader.

A ScopedReader wraps the request's connection and adds, to every SELECT it runs, a condition on every
tenant-bearing table in the statement: the table's tenant column must be one of the tenants the principal may
see. A table is tenant-bearing when it has a ``tenant`` column, or names another one in
``info={"tenant_column": ...}``. Handlers never receive a raw connection, so a forgotten filter cannot happen:
the filter is not theirs to write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, CursorResult, Select, Table, or_
from sqlalchemy.sql.util import find_tables

from reetrace.errors import Error


@dataclass(frozen=True)
class TenantScope:
    """The tenants a principal may read; ``system`` also sees rows that belong to no tenant."""

    tenants: frozenset[str]
    system: bool = False

    def allows(self, tenant: str | None) -> bool:
        return self.system if tenant is None else tenant in self.tenants


def tenant_column(table: Table) -> Column[str] | None:
    name = table.info.get("tenant_column", "tenant")
    column = table.c.get(name)
    return column


def apply_scope(statement: Select[tuple[object, ...]], scope: TenantScope) -> Select[tuple[object, ...]]:
    """The statement with a tenant condition for every tenant-bearing table it reads."""
    for table in _tables(statement):
        column = tenant_column(table)
        if column is None:
            continue
        allowed = column.in_(sorted(scope.tenants))
        statement = statement.where(or_(allowed, column.is_(None)) if scope.system else allowed)
    return statement


def _tables(statement: Select[tuple[object, ...]]) -> Iterable[Table]:
    seen: dict[str, Table] = {}
    for table in find_tables(statement, include_joins=True, include_aliases=False):
        if isinstance(table, Table):
            seen.setdefault(table.name, table)
    return seen.values()


class ScopedReader:
    """Read-only access to the database within a tenant scope. The only handle request code gets."""

    def __init__(self, conn: Connection, scope: TenantScope) -> None:
        self._conn = conn
        self.scope = scope

    def execute(self, statement: Select[tuple[object, ...]]) -> CursorResult[tuple[object, ...]]:
        if not isinstance(statement, Select):
            raise Error("a scoped reader runs SELECT statements only", code="not_a_read", http_status=500)
        return self._conn.execute(apply_scope(statement, self.scope))

    @property
    def dialect_name(self) -> str:
        """``sqlite`` or ``postgresql``: for the few expressions that differ (e.g. a substring test on bytes)."""
        return str(self._conn.dialect.name)

    def unscoped_connection_for_log_proofs(self) -> Connection:
        """The connection, for tables that hold no tenant data (tree nodes, checkpoints) — proofs only."""
        return self._conn
