"""Who is asking: a user (through a console session or an API token) with permissions and a tenant scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from reetrace.authz.permissions import narrow, permissions_of
from reetrace.authz.scope import TenantScope
from reetrace.authz.tables import supervision, tenants, users


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


def visible_tenants(conn: Connection, tenant: str) -> frozenset[str]:
    """The tenant itself and every tenant it supervises, directly or through supervised tenants."""
    seen = {tenant}
    frontier = [tenant]
    while frontier:
        rows = conn.execute(select(supervision.c.supervised).where(supervision.c.supervisor.in_(frontier)))
        frontier = [t for (t,) in rows if t not in seen]
        seen.update(frontier)
    return frozenset(seen)


def load_principal(conn: Connection, user_id: str, via: Literal["session", "token", "system"],
                   token_scopes: frozenset[str] | None = None, token_id: str | None = None) -> Principal | None:
    """The principal of an enabled user, or None (unknown or disabled)."""
    row = conn.execute(
        select(users.c.user_id, users.c.username, users.c.tenant, users.c.roles, users.c.locale,
               users.c.disabled_at, tenants.c.kind)
        .join(tenants, tenants.c.tenant_id == users.c.tenant)
        .where(users.c.user_id == user_id)
    ).one_or_none()
    if row is None or row.disabled_at is not None:
        return None
    roles = tuple(row.roles.split())
    granted = narrow(permissions_of(roles), token_scopes)
    authority = row.kind == "authority"
    scope = TenantScope(visible_tenants(conn, row.tenant), system=authority)
    return Principal(row.user_id, row.username, row.tenant, row.kind, roles, granted, scope, row.locale, via,
                     token_id)
