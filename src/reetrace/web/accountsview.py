"""Users and API tokens as the console and the API show and change them.

Tenant admins see and manage the users of their own tenant only (not of supervised tenants). Tokens: anyone with
``authz:token:manage`` issues and revokes their own; a tenant admin (``authz:user:manage``) may also revoke any
token of the tenant. A token's scopes must be permissions its holder has. Every lookup by id goes through the
scoped reader, so an id of another tenant is "not found" (and the attempt audited).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import Row, select

from reetrace.authz import service
from reetrace.authz.permissions import ROLES, check_roles, permissions_of
from reetrace.authz.principal import Principal
from reetrace.authz.tables import tokens, users
from reetrace.errors import Detail, invalid
from reetrace.web.deps import Scoped, passwords_of, unit_of_work
from reetrace.web.logview import aware

USERNAME = r"^[a-z0-9][a-z0-9._-]{2,63}$"
USER_ID = r"^user-[0-9a-f]{32}$"
TOKEN_ID = r"^[0-9a-f]{16}$"
MANAGE_USERS = "authz:user:manage"


class UserRow(BaseModel):
    user_id: str
    username: str
    roles: list[str]
    locale: str
    created_at: datetime
    disabled_at: datetime | None


class TokenRow(BaseModel):
    token_id: str
    user_id: str
    label: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenRequest(BaseModel):
    label: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20)
    days: int = Field(default=90, ge=1, le=service.MAX_TOKEN_DAYS)


class TokenIssuedOut(BaseModel):
    token_id: str
    token: str = Field(description="The token itself: shown once, never stored in clear")
    label: str
    scopes: list[str]
    expires_at: datetime

    def row(self, principal: Principal) -> TokenRow:
        """The new token as a line of the list (the request's read snapshot predates it)."""
        return TokenRow(token_id=self.token_id, user_id=principal.user_id, label=self.label, scopes=self.scopes,
                        created_at=datetime.now(UTC), expires_at=self.expires_at, revoked_at=None)


class NewUser(BaseModel):
    username: str = Field(pattern=USERNAME)
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(max_length=len(ROLES))  # at least one: checked by grantable_roles


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


def _user(row: Row[Any]) -> UserRow:
    return UserRow(user_id=row.user_id, username=row.username, roles=row.roles.split(), locale=row.locale,
                   created_at=aware(row.created_at), disabled_at=_utc(row.disabled_at))


def _token(row: Row[Any]) -> TokenRow:
    return TokenRow(token_id=row.token_id, user_id=row.user_id, label=row.label, scopes=row.scopes.split(),
                    created_at=aware(row.created_at), expires_at=aware(row.expires_at),
                    revoked_at=_utc(row.revoked_at))


def tenant_users(scoped: Scoped) -> list[UserRow]:
    rows = scoped.all(select(users).where(users.c.tenant == scoped.principal.tenant).order_by(users.c.username))
    return [_user(r) for r in rows]


def tenant_tokens(scoped: Scoped) -> list[TokenRow]:
    query = select(tokens).where(tokens.c.tenant == scoped.principal.tenant).order_by(tokens.c.created_at.desc())
    return [_token(r) for r in scoped.all(query)]


def own_tokens(scoped: Scoped) -> list[TokenRow]:
    query = select(tokens).where(tokens.c.user_id == scoped.principal.user_id).order_by(tokens.c.created_at.desc())
    return [_token(r) for r in scoped.all(query)]


def user_of_tenant(scoped: Scoped, user_id: str) -> UserRow:
    """A user of the principal's own tenant; anyone else is "not found"."""
    row = scoped.one_or_refuse(select(users).where(users.c.user_id == user_id,
                                                   users.c.tenant == scoped.principal.tenant),
                               f"no user {user_id!r} in your tenant")
    return _user(row)


def grantable_roles(principal: Principal, roles: list[str]) -> list[str]:
    """Known roles that grant nothing beyond the granting admin's own permissions."""
    if not roles:
        raise invalid("choose at least one role", Detail("at least one", "roles"), code="invalid")
    checked = check_roles(roles)
    beyond = sorted(permissions_of(checked) - principal.permissions)
    if beyond:
        raise invalid("you cannot grant permissions you do not hold", Detail(", ".join(beyond), "roles"),
                      code="beyond_own_permissions")
    return checked


def add_user(request: Request, principal: Principal, new: NewUser) -> str:
    roles = grantable_roles(principal, new.roles)
    with unit_of_work(request) as (uow, vault):
        return service.add_user(uow, vault, passwords_of(request), principal.username, principal.tenant,
                                new.username, new.display_name, roles, new.password)


def set_roles(request: Request, scoped: Scoped, user_id: str, roles: list[str]) -> None:
    user_of_tenant(scoped, user_id)
    checked = grantable_roles(scoped.principal, roles)
    if user_id == scoped.principal.user_id and MANAGE_USERS not in permissions_of(checked):
        raise invalid("you cannot take away your own right to manage users", Detail(MANAGE_USERS, "roles"),
                      code="cannot_demote_self")
    with unit_of_work(request) as (uow, _):
        service.set_roles(uow, scoped.principal.username, user_id, checked)


def disable_user(request: Request, scoped: Scoped, user_id: str, reason: str) -> None:
    user = user_of_tenant(scoped, user_id)
    if user.user_id == scoped.principal.user_id:
        raise invalid("you cannot disable your own account", code="cannot_disable_self")
    if user.disabled_at is not None:
        raise invalid(f"{user.username} is disabled already", code="already_disabled")
    with unit_of_work(request) as (uow, _):
        service.disable_user(uow, scoped.principal.username, user_id, reason)


def issue_token(request: Request, principal: Principal, wanted: TokenRequest) -> TokenIssuedOut:
    """A token for oneself, scoped to permissions one holds."""
    beyond = sorted(set(wanted.scopes) - principal.permissions)
    if beyond:
        raise invalid("a token's scopes must be permissions you hold", Detail(", ".join(beyond), "scopes"),
                      code="beyond_own_permissions")
    with unit_of_work(request) as (uow, _):
        token_id, token = service.issue_token(uow, principal.username, principal.user_id, wanted.label,
                                              wanted.scopes, wanted.days)
    return TokenIssuedOut(token_id=token_id, token=token, label=wanted.label, scopes=sorted(set(wanted.scopes)),
                          expires_at=datetime.now(UTC) + timedelta(days=wanted.days))


def revoke_token(request: Request, scoped: Scoped, token_id: str) -> None:
    """One's own token; a tenant admin may revoke any token of the tenant. Others' tokens are "not found"."""
    principal = scoped.principal
    query = select(tokens).where(tokens.c.token_id == token_id)
    if not principal.can(MANAGE_USERS):
        query = query.where(tokens.c.user_id == principal.user_id)
    row = scoped.one_or_refuse(query.where(tokens.c.tenant == principal.tenant), f"no token {token_id!r} of yours")
    if row.revoked_at is not None:
        raise invalid(f"token {token_id} was revoked already", code="already_revoked")
    with unit_of_work(request) as (uow, _):
        service.revoke_token(uow, principal.username, token_id)
