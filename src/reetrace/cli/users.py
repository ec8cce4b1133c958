"""`reetrace users ...` and `reetrace tenants ...`: accounts, roles, API tokens, organisations."""

from __future__ import annotations

import getpass
import os

import typer
from rich.table import Table
from sqlalchemy import select

from reetrace.authz import service
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.permissions import ROLES
from reetrace.authz.tables import tenants, tokens, users
from reetrace.cli.common import handle_errors, out_console, print_json, state
from reetrace.errors import Detail, invalid
from reetrace.storage.engine import read_transaction, write_transaction

app = typer.Typer(help="Users: add, list, disable, roles, passwords, API tokens.", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenants (organisations) and which authority supervises which.",
                          no_args_is_help=True)

ACTOR = "cli"
ROLE_HELP = f"Role; repeat. One of: {', '.join(ROLES)}."


def _password(given: str | None) -> str:
    if given:
        return given
    env = os.environ.get("REETRACE_PASSWORD")
    if env:
        return env
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise invalid("the two passwords differ", code="password_mismatch")
    return first


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Login name (lower case, digits, . _ -)."),
    tenant: str = typer.Option(..., help="The user's tenant."),
    name: str = typer.Option(..., help="Display name (kept encrypted in the vault)."),
    role: list[str] = typer.Option(["viewer"], "--role", help=ROLE_HELP),
    locale: str = typer.Option("en", help="Console language: en or zh-Hans."),
    password: str | None = typer.Option(None, help="Password (else REETRACE_PASSWORD, else asked twice)."),
) -> None:
    """Add a user; prints the user id."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, vault):
        user_id = service.add_user(uow, vault, Passwords(c.settings.password_cost), ACTOR, tenant, username, name,
                                   role, _password(password), locale)
    typer.echo(user_id)


@app.command("list")
@handle_errors
def list_users(ctx: typer.Context, tenant: str | None = typer.Option(None, help="Only this tenant."),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """List users with their tenant, roles and state."""
    c = state(ctx).container()
    query = select(users.c.user_id, users.c.username, users.c.tenant, users.c.roles, users.c.locale,
                   users.c.disabled_at).order_by(users.c.tenant, users.c.username)
    if tenant:
        query = query.where(users.c.tenant == tenant)
    with read_transaction(c.engine) as conn:
        rows = conn.execute(query).all()
    if as_json:
        print_json([{"user_id": r.user_id, "username": r.username, "tenant": r.tenant, "roles": r.roles.split(),
                     "locale": r.locale, "disabled": r.disabled_at is not None} for r in rows])
        return
    table = Table("username", "tenant", "roles", "state", "user id")
    for r in rows:
        table.add_row(r.username, r.tenant, r.roles, "disabled" if r.disabled_at else "active", r.user_id)
    out_console.print(table)


def _user_id(conn: object, username: str) -> str:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    user_id = conn.execute(select(users.c.user_id).where(users.c.username == username)).scalar_one_or_none()
    if user_id is None:
        raise invalid(f"no user {username!r}", Detail("see `reetrace users list`", "username"), code="not_found")
    return str(user_id)


@app.command("disable")
@handle_errors
def disable(ctx: typer.Context, username: str = typer.Argument(...),
            reason: str = typer.Option(..., help="Why (kept on the log).")) -> None:
    """Disable a user at once: sessions end and tokens stop working."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        service.disable_user(uow, ACTOR, _user_id(uow.conn, username), reason)
    out_console.print(f"{username} disabled")


@app.command("roles")
@handle_errors
def roles(ctx: typer.Context, username: str = typer.Argument(...),
          role: list[str] = typer.Option(..., "--role", help="The new set of roles; repeat.")) -> None:
    """Replace a user's roles."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        service.set_roles(uow, ACTOR, _user_id(uow.conn, username), role)
    out_console.print(f"{username}: {' '.join(sorted(set(role)))}")


@app.command("password")
@handle_errors
def password(ctx: typer.Context, username: str = typer.Argument(...),
             new_password: str | None = typer.Option(None, "--password")) -> None:
    """Set a user's password (ends the user's sessions)."""
    c = state(ctx).container()
    with write_transaction(c.engine) as conn:
        service.set_password(conn, Passwords(c.settings.password_cost), _user_id(conn, username),
                             _password(new_password))
    out_console.print(f"password of {username} changed")


@app.command("token")
@handle_errors
def token(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    scope: list[str] = typer.Option(..., "--scope", help="A permission the token may use, e.g. log:entry:read."),
    label: str = typer.Option("cli", help="What the token is for."),
    days: int = typer.Option(90, help="Days until it expires (1-366)."),
    revoke: str | None = typer.Option(None, help="Revoke this token id instead of issuing one."),
) -> None:
    """Issue an API token (printed once; only its hash is kept), or revoke one with --revoke ID."""
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        if revoke:
            service.revoke_token(uow, ACTOR, revoke)
            out_console.print(f"token {revoke} revoked")
            return
        _, secret = service.issue_token(uow, ACTOR, _user_id(uow.conn, username), label, scope, days)
    typer.echo(secret)


@app.command("tokens")
@handle_errors
def list_tokens(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """List a user's tokens (ids, scopes, expiry; never the secrets)."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        rows = conn.execute(select(tokens).where(tokens.c.user_id == _user_id(conn, username))).all()
    table = Table("token id", "label", "scopes", "expires", "state")
    for r in rows:
        table.add_row(r.token_id, r.label, r.scopes, str(r.expires_at)[:16], "revoked" if r.revoked_at else "active")
    out_console.print(table)


@tenants_app.command("add")
@handle_errors
def add_tenant(
    ctx: typer.Context,
    tenant_id: str = typer.Argument(..., help="Short id, e.g. 'mofcom' or 'group-north'."),
    name: str = typer.Option(...),
    kind: str = typer.Option(..., help="authority, group, enterprise or customs."),
    name_zh: str | None = typer.Option(None, help="Chinese name."),
    supervised_by: str | None = typer.Option(None, help="An authority or group tenant that supervises it."),
) -> None:
    """Add a tenant."""
    from pydantic import ValidationError

    try:
        body = TenantCreated.model_validate({"tenant_id": tenant_id, "name": name, "kind": kind, "name_zh": name_zh})
    except ValidationError as exc:
        raise invalid("the tenant is not valid", *[Detail(e["msg"], ".".join(map(str, e["loc"])))
                                                   for e in exc.errors()]) from None
    c = state(ctx).container()
    with c.unit_of_work() as (uow, _):
        service.create_tenant(uow, ACTOR, body)
        if supervised_by:
            service.grant_supervision(uow, ACTOR, supervised_by, tenant_id)
    out_console.print(f"tenant {tenant_id} added")


@tenants_app.command("list")
@handle_errors
def list_tenants(ctx: typer.Context) -> None:
    """List tenants."""
    c = state(ctx).container()
    with read_transaction(c.engine) as conn:
        rows = conn.execute(select(tenants).order_by(tenants.c.kind, tenants.c.tenant_id)).all()
    table = Table("tenant", "kind", "name", "name (zh)")
    for r in rows:
        table.add_row(r.tenant_id, r.kind, r.name, r.name_zh or "")
    out_console.print(table)
