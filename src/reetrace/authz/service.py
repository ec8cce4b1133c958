"""Commands on tenants, users and tokens. Each records an event; projections keep the tables in step."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from reetrace.authz.models import (
    AccessAudited,
    SupervisionGranted,
    TenantCreated,
    TokenIssued,
    TokenRevoked,
    UserAdded,
    UserDisabled,
    UserLocaleSet,
    UserRolesSet,
)
from reetrace.authz.passwords import Passwords, check_strength
from reetrace.authz.permissions import check_permission, check_roles
from reetrace.authz.tables import audit_trail, credentials, sessions, supervision, tenants, token_secrets, tokens, users
from reetrace.errors import Detail, invalid, not_found
from reetrace.events import Event, EventKind, Projector
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.vault import Vault

TOKEN_PREFIX = "rt_"
MAX_TOKEN_DAYS = 366


def create_tenant(uow: UnitOfWork, actor: str, body: TenantCreated) -> int:
    if _exists(uow.conn, tenants.c.tenant_id, body.tenant_id):
        raise invalid(f"tenant {body.tenant_id!r} exists already", code="duplicate")
    return uow.record(Event(kind="authz.tenant.created", tenant=body.tenant_id, actor=actor,
                            subjects=(body.tenant_id,), body=body.model_dump(mode="json")))


def grant_supervision(uow: UnitOfWork, actor: str, supervisor: str, supervised: str) -> int:
    for tenant_id in (supervisor, supervised):
        if not _exists(uow.conn, tenants.c.tenant_id, tenant_id):
            raise not_found(f"no tenant {tenant_id!r}")
    if supervisor == supervised:
        raise invalid("a tenant cannot supervise itself", code="invalid")
    body = SupervisionGranted(supervisor=supervisor, supervised=supervised)
    return uow.record(Event(kind="authz.supervision.granted", tenant=supervisor, actor=actor,
                            subjects=(supervisor, supervised), body=body.model_dump()))


def add_user(uow: UnitOfWork, vault: Vault, passwords: Passwords, actor: str, tenant: str, username: str,
             display_name: str, roles: list[str], password: str, locale: str = "en") -> str:
    """Add a user; the display name goes to the vault, the password hash to the credentials table."""
    if not _exists(uow.conn, tenants.c.tenant_id, tenant):
        raise not_found(f"no tenant {tenant!r}")
    if _exists(uow.conn, users.c.username, username):
        raise invalid(f"username {username!r} is taken", Detail("choose another", "username"), code="duplicate")
    check_strength(password)
    user_id = f"user-{uuid.uuid4().hex}"
    body = UserAdded(user_id=user_id, username=username, roles=check_roles(roles), locale=locale,
                     display_name=vault.commit(user_id, "display_name", display_name))
    uow.record(Event(kind="authz.user.added", tenant=tenant, actor=actor, subjects=(user_id,),
                     body=body.model_dump(mode="json")))
    uow.conn.execute(insert(credentials).values(user_id=user_id, password_hash=passwords.hash(password),
                                                updated_at=datetime.now(UTC)))
    return user_id


def set_roles(uow: UnitOfWork, actor: str, user_id: str, roles: list[str]) -> int:
    tenant = user_tenant(uow.conn, user_id)
    body = UserRolesSet(user_id=user_id, roles=check_roles(roles))
    return uow.record(Event(kind="authz.user.roles_set", tenant=tenant, actor=actor, subjects=(user_id,),
                            body=body.model_dump()))


def set_locale(uow: UnitOfWork, actor: str, user_id: str, locale: str) -> int:
    tenant = user_tenant(uow.conn, user_id)
    body = UserLocaleSet(user_id=user_id, locale=locale)
    return uow.record(Event(kind="authz.user.locale_set", tenant=tenant, actor=actor, subjects=(user_id,),
                            body=body.model_dump()))


def disable_user(uow: UnitOfWork, actor: str, user_id: str, reason: str) -> int:
    """Disable at once: the user's sessions are deleted in the same transaction; tokens stop resolving."""
    tenant = user_tenant(uow.conn, user_id)
    index = uow.record(Event(kind="authz.user.disabled", tenant=tenant, actor=actor, subjects=(user_id,),
                             body=UserDisabled(user_id=user_id, reason=reason).model_dump()))
    uow.conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
    return index


def set_password(conn: Connection, passwords: Passwords, user_id: str, password: str) -> None:
    check_strength(password)
    user_tenant(conn, user_id)
    found = conn.execute(update(credentials).where(credentials.c.user_id == user_id)
                         .values(password_hash=passwords.hash(password), updated_at=datetime.now(UTC))).rowcount
    if not found:
        conn.execute(insert(credentials).values(user_id=user_id, password_hash=passwords.hash(password),
                                                updated_at=datetime.now(UTC)))
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def issue_token(uow: UnitOfWork, actor: str, user_id: str, label: str, scopes: list[str], days: int = 90) \
        -> tuple[str, str]:
    """A new API token for ``user_id``: returns (token id, the token). Only its SHA-256 is stored."""
    tenant = user_tenant(uow.conn, user_id)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise invalid(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}", Detail("", "days"), code="invalid")
    if not scopes:
        raise invalid("a token needs at least one scope", Detail("e.g. log:entry:read", "scopes"), code="invalid")
    checked = sorted({check_permission(s) for s in scopes})
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    body = TokenIssued(token_id=token_id, user_id=user_id, label=label, scopes=checked,
                       expires_at=datetime.now(UTC) + timedelta(days=days))
    uow.record(Event(kind="authz.token.issued", tenant=tenant, actor=actor, subjects=(token_id, user_id),
                     body=body.model_dump(mode="json")))
    uow.conn.execute(insert(token_secrets).values(token_id=token_id, secret_hash=secret_digest(secret)))
    return token_id, f"{TOKEN_PREFIX}{token_id}_{secret}"


def revoke_token(uow: UnitOfWork, actor: str, token_id: str) -> int:
    row = uow.conn.execute(select(tokens.c.tenant, tokens.c.revoked_at).where(tokens.c.token_id == token_id)).first()
    if row is None:
        raise not_found(f"no token {token_id!r}")
    if row.revoked_at is not None:
        raise invalid(f"token {token_id} was revoked already", code="already_revoked")
    return uow.record(Event(kind="authz.token.revoked", tenant=row.tenant, actor=actor, subjects=(token_id,),
                            body=TokenRevoked(token_id=token_id).model_dump()))


def record_audit(uow: UnitOfWork, tenant: str | None, actor: str, body: AccessAudited) -> int:
    return uow.record(Event(kind="audit.access", tenant=tenant, actor=actor,
                            subjects=tuple(s for s in (body.user_id,) if s), body=body.model_dump()))


def secret_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def user_tenant(conn: Connection, user_id: str) -> str:
    tenant = conn.execute(select(users.c.tenant).where(users.c.user_id == user_id)).scalar_one_or_none()
    if tenant is None:
        raise not_found(f"no user {user_id!r}")
    return str(tenant)


def _exists(conn: Connection, column: object, value: str) -> bool:
    return conn.execute(select(column).where(column == value)).first() is not None  # type: ignore[call-overload]


# Projections ---------------------------------------------------------------------------------------------------

Items = Sequence[tuple[Event, int]]


def _tenant_created(conn: Connection, items: Items) -> None:
    conn.execute(insert(tenants), [{"created_at": e.occurred_at, "entry_idx": i,
                                    **TenantCreated.model_validate(e.body).model_dump()} for e, i in items])


def _supervision(conn: Connection, items: Items) -> None:
    conn.execute(insert(supervision), [{"entry_idx": i, **SupervisionGranted.model_validate(e.body).model_dump()}
                                       for e, i in items])


def _user_added(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        body = UserAdded.model_validate(event.body)
        rows.append({"user_id": body.user_id, "tenant": event.tenant, "username": body.username,
                     "display_name": body.display_name, "roles": " ".join(body.roles), "locale": body.locale,
                     "created_at": event.occurred_at, "disabled_at": None, "entry_idx": index})
    conn.execute(insert(users), rows)


def _updater(table: Table, key: str, values: Callable[[Event, dict[str, Any]], dict[str, Any]]) -> Projector:
    """A projector that updates the row of ``table`` whose ``key`` column equals the body's ``key`` field."""

    def project(conn: Connection, items: Items) -> None:
        for event, _ in items:
            conn.execute(update(table).where(table.c[key] == event.body[key]).values(**values(event, event.body)))

    return project


_roles_set = _updater(users, "user_id", lambda e, b: {"roles": " ".join(UserRolesSet.model_validate(b).roles)})
_locale_set = _updater(users, "user_id", lambda e, b: {"locale": UserLocaleSet.model_validate(b).locale})
_disabled = _updater(users, "user_id", lambda e, b: {"disabled_at": e.occurred_at})


def _token_issued(conn: Connection, items: Items) -> None:
    rows = []
    for event, index in items:
        body = TokenIssued.model_validate(event.body)
        rows.append({"token_id": body.token_id, "tenant": event.tenant, "user_id": body.user_id,
                     "label": body.label, "scopes": " ".join(body.scopes), "created_at": event.occurred_at,
                     "expires_at": body.expires_at, "revoked_at": None, "entry_idx": index})
    conn.execute(insert(tokens), rows)


_token_revoked = _updater(tokens, "token_id", lambda e, b: {"revoked_at": e.occurred_at})


def _audited(conn: Connection, items: Items) -> None:
    conn.execute(insert(audit_trail), [{"entry_idx": i, "tenant": e.tenant, "occurred_at": e.occurred_at,
                                        **AccessAudited.model_validate(e.body).model_dump()} for e, i in items])


KINDS = [
    EventKind("authz.tenant.created", TenantCreated, _tenant_created, "an organisation joins"),
    EventKind("authz.supervision.granted", SupervisionGranted, _supervision, "an authority supervises a tenant"),
    EventKind("authz.user.added", UserAdded, _user_added, "a user account; display name as a vault commitment"),
    EventKind("authz.user.roles_set", UserRolesSet, _roles_set, "a user's roles change"),
    EventKind("authz.user.locale_set", UserLocaleSet, _locale_set, "a user's console language"),
    EventKind("authz.user.disabled", UserDisabled, _disabled, "a user is disabled at once"),
    EventKind("authz.token.issued", TokenIssued, _token_issued, "an API token (its secret is never logged)"),
    EventKind("authz.token.revoked", TokenRevoked, _token_revoked, "an API token is revoked"),
    EventKind("audit.access", AccessAudited, _audited, "a read of personal data, a login, or a refused request"),
]
