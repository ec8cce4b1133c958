"""Who is asking: a user (through a console session or an API token) with permissions and a tenant scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Row, select, text

from reetrace.authz.permissions import narrow, permissions_of
from reetrace.authz.scope import TenantScope
from reetrace.authz.tables import supervision, tenants, users

assert supervision.name == "authz_supervision"  # named in VISIBLE_TENANTS


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    tenant: str
    tenant_kind: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    scope: TenantScope
    locale: str
    via: Literal["session", "token", "system"]
    token_id: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


# One round trip for the whole supervision tree (UNION, not UNION ALL: a cycle ends instead of looping).
VISIBLE_TENANTS = text(
    "WITH RECURSIVE seen(tenant) AS ("
    " SELECT CAST(:tenant AS VARCHAR(64))"
    " UNION SELECT s.supervised FROM authz_supervision s JOIN seen ON s.supervisor = seen.tenant)"
    " SELECT tenant FROM seen"
)


def visible_tenants(conn: Connection, tenant: str) -> frozenset[str]:
    """The tenant itself and every tenant it supervises, directly or through supervised tenants."""
    return frozenset(str(t) for (t,) in conn.execute(VISIBLE_TENANTS, {"tenant": tenant}))


PRINCIPAL_COLUMNS = (users.c.user_id, users.c.username, users.c.tenant, users.c.roles, users.c.locale,
                     users.c.disabled_at, tenants.c.kind)


def load_principal(conn: Connection, user_id: str, via: Literal["session", "token", "system"],
                   token_scopes: frozenset[str] | None = None, token_id: str | None = None) -> Principal | None:
    """The principal of an enabled user, or None (unknown or disabled)."""
    row = conn.execute(
        select(*PRINCIPAL_COLUMNS).join(tenants, tenants.c.tenant_id == users.c.tenant)
        .where(users.c.user_id == user_id)
    ).one_or_none()
    return None if row is None else principal_from_row(conn, row, via, token_scopes, token_id)


def principal_from_row(conn: Connection, row: Row[Any], via: Literal["session", "token", "system"],
                       token_scopes: frozenset[str] | None = None, token_id: str | None = None) -> Principal | None:
    """A principal from a row holding :data:`PRINCIPAL_COLUMNS` (None when the user is disabled)."""
    if row.disabled_at is not None:
        return None
    roles = tuple(row.roles.split())
    granted = narrow(permissions_of(roles), token_scopes)
    authority = row.kind == "authority"
    scope = TenantScope(visible_tenants(conn, row.tenant), system=authority)
    return Principal(row.user_id, row.username, row.tenant, row.kind, roles, granted, scope, row.locale, via,
                     token_id)
