"""``/api/v1/me`` and ``/api/v1/tokens``: who one is, and one's own API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from reetrace.web import accountsview as accounts
from reetrace.web.access import require, signed_in
from reetrace.web.api.common import ERROR_RESPONSES
from reetrace.web.deps import Visible

router = APIRouter(prefix="/api/v1", tags=["account"], responses=ERROR_RESPONSES)
MANAGE = require("authz:token:manage")
TokenId = Annotated[str, Path(pattern=accounts.TOKEN_ID, description="A token id (16 hex digits)")]


class Me(BaseModel):
    user_id: str
    username: str
    tenant: str
    tenant_kind: str
    roles: list[str]
    permissions: list[str]
    tenants: list[str]  # the tenants whose data one may read
    locale: str
    via: str  # session or token
    token_id: str | None
    csrf_token: str | None  # for a session: send it as X-CSRF-Token on POST/DELETE


class TokenList(BaseModel):
    tokens: list[accounts.TokenRow]


class Revoked(BaseModel):
    token_id: str
    revoked: bool


@router.get("/me", **signed_in())
def me(request: Request, scoped: Visible) -> Me:
    """The signed-in principal: tenant, roles, permissions (narrowed by the token's scopes) and visible tenants."""
    p = scoped.principal
    return Me(user_id=p.user_id, username=p.username, tenant=p.tenant, tenant_kind=p.tenant_kind,
              roles=list(p.roles), permissions=sorted(p.permissions), tenants=sorted(p.scope.tenants),
              locale=p.locale, via=p.via, token_id=p.token_id, csrf_token=request.state.csrf_token)


@router.get("/tokens", **MANAGE)
def list_tokens(scoped: Visible) -> TokenList:
    """One's own API tokens (never their secrets)."""
    return TokenList(tokens=accounts.own_tokens(scoped))


@router.post("/tokens", status_code=201, **MANAGE)
def issue_token(request: Request, scoped: Visible, wanted: accounts.TokenRequest) -> accounts.TokenIssuedOut:
    """Issue a token for oneself with some of one's permissions as scopes. The token is in this answer only."""
    return accounts.issue_token(request, scoped.principal, wanted)


@router.delete("/tokens/{token_id}", **MANAGE)
def revoke_token(request: Request, scoped: Visible, token_id: TokenId) -> Revoked:
    """Revoke one's own token (a tenant admin: any token of the tenant). It stops working at once."""
    accounts.revoke_token(request, scoped, token_id)
    return Revoked(token_id=token_id, revoked=True)
