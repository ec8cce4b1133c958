"""Console pages for accounts: the tenant's users and roles (tenant admins), and one's own API tokens.

Forms post back and redirect (303) to the page with a ``notice``; a new token is the exception: it is shown
once, in the answer to the form, and never again.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reetrace.authz.permissions import PERMISSIONS, ROLES
from reetrace.authz.service import MAX_TOKEN_DAYS
from reetrace.errors import Detail, invalid
from reetrace.web import accountsview as accounts
from reetrace.web.access import require
from reetrace.web.auth import safe_next
from reetrace.web.console.render import render
from reetrace.web.deps import Visible

router = APIRouter(include_in_schema=False)
MANAGE_USERS = require("authz:user:manage")
MANAGE_TOKENS = require("authz:token:manage")
UserId = Annotated[str, Path(pattern=accounts.USER_ID)]
Roles = Annotated[list[str], Form(max_length=len(ROLES))]
Notice = Annotated[Literal["user-added", "roles-set", "user-disabled", "token-revoked"] | None, Query()]
NO_STORE = {"Cache-Control": "no-store"}


def done(url: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?notice={notice}", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse, **require("authz:user:read"))
def users_page(request: Request, scoped: Visible, notice: Notice = None) -> HTMLResponse:
    context = {"page": "users", "users": accounts.tenant_users(scoped), "tokens": accounts.tenant_tokens(scoped),
               "roles": ROLES, "notice": notice, "tenant": scoped.principal.tenant}
    return render(request, "users.html", context)


@router.post("/admin/users", **MANAGE_USERS)
def add_user(request: Request, scoped: Visible,
             username: Annotated[str, Form(pattern=accounts.USERNAME)],
             display_name: Annotated[str, Form(min_length=1, max_length=200)],
             password: Annotated[str, Form(min_length=1, max_length=1024)], roles: Roles = []) -> Response:  # noqa: B006
    new = accounts.NewUser(username=username, display_name=display_name, password=password, roles=roles)
    accounts.add_user(request, scoped.principal, new)
    return done("/admin/users", "user-added")


@router.post("/admin/users/{user_id}/roles", **MANAGE_USERS)
def set_roles(request: Request, scoped: Visible, user_id: UserId, roles: Roles = []) -> Response:  # noqa: B006
    accounts.set_roles(request, scoped, user_id, roles)
    return done("/admin/users", "roles-set")


@router.post("/admin/users/{user_id}/disable", **MANAGE_USERS)
def disable_user(request: Request, scoped: Visible, user_id: UserId,
                 reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    accounts.disable_user(request, scoped, user_id, reason)
    return done("/admin/users", "user-disabled")


def tokens_context(scoped: Visible, notice: str | None) -> dict[str, object]:
    grantable = [p for p in PERMISSIONS if scoped.principal.can(p)]
    return {"page": "tokens", "tokens": accounts.own_tokens(scoped), "grantable": grantable, "notice": notice,
            "max_days": MAX_TOKEN_DAYS, "issued": None}


@router.get("/tokens", response_class=HTMLResponse, **MANAGE_TOKENS)
def tokens_page(request: Request, scoped: Visible, notice: Notice = None) -> HTMLResponse:
    return render(request, "tokens.html", tokens_context(scoped, notice))


@router.post("/tokens", response_class=HTMLResponse, **MANAGE_TOKENS)
def issue_token(request: Request, scoped: Visible, label: Annotated[str, Form(min_length=1, max_length=100)],
                scopes: Annotated[list[str], Form(max_length=len(PERMISSIONS))] = [],  # noqa: B006
                days: Annotated[int, Form(ge=1, le=MAX_TOKEN_DAYS)] = 90) -> HTMLResponse:
    if not scopes:
        raise invalid("choose at least one scope for the token", Detail("at least one", "scopes"), code="invalid")
    issued = accounts.issue_token(request, scoped.principal, accounts.TokenRequest(label=label, scopes=scopes,
                                                                                   days=days))
    context = {**tokens_context(scoped, None), "issued": issued}
    context["tokens"] = [issued.row(scoped.principal), *accounts.own_tokens(scoped)]
    return render(request, "tokens.html", context, status_code=201, headers=NO_STORE)


@router.post("/tokens/{token_id}/revoke", **MANAGE_TOKENS)
def revoke_token(request: Request, scoped: Visible, token_id: Annotated[str, Path(pattern=accounts.TOKEN_ID)],
                 next: Annotated[str, Form(max_length=100)] = "/tokens") -> Response:
    accounts.revoke_token(request, scoped, token_id)
    back = "/admin/users" if safe_next(next) == "/admin/users" else "/tokens"
    return done(back, "token-revoked")
