"""Accounts, tenants, permissions, tokens and the tenant scope, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from reetrace.authz import service
from reetrace.authz.models import TenantCreated
from reetrace.authz.passwords import Passwords
from reetrace.authz.permissions import PERMISSIONS, ROLES, check_permission, narrow, permissions_of
from reetrace.authz.principal import Principal, load_principal
from reetrace.authz.scope import ScopedReader
from reetrace.authz.sessions import LoginRefused, LoginThrottled, login, logout, resolve_session, resolve_token
from reetrace.authz.tables import tokens, users
from reetrace.container import Container, build_container
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Error
from reetrace.events import Event
from reetrace.settings import Settings
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.tables import log_entries

PASSWORD = "Correct-horse-42"


@pytest.fixture
def world(backend: Settings) -> Iterator[tuple[Container, dict[str, str]]]:
    """An authority supervising a group; a second, unrelated group; one user in each."""
    c = build_container(backend.with_(password_cost="low"))
    pw = Passwords("low")
    ids = {}
    with c.unit_of_work() as (uow, vault):
        for tenant_id, kind in (("regulator", "authority"), ("group-a", "group"), ("group-b", "group")):
            service.create_tenant(uow, "test", TenantCreated(tenant_id=tenant_id, name=tenant_id, kind=kind))
        service.grant_supervision(uow, "test", "regulator", "group-a")
        ids["reg"] = service.add_user(uow, vault, pw, "test", "regulator", "reg.officer", "Officer Li",
                                      ["supervisor"], PASSWORD)
        ids["a"] = service.add_user(uow, vault, pw, "test", "group-a", "alice", "Alice", ["tenant_admin"], PASSWORD)
        ids["b"] = service.add_user(uow, vault, pw, "test", "group-b", "bob", "Bob", ["viewer"], PASSWORD)
    c.ledger.record([Event(kind="note", tenant=t, body={"t": t}) for t in ("group-a", "group-b", "regulator")])
    try:
        yield c, ids
    finally:
        c.close()


def principal(c: Container, user_id: str) -> Principal:
    with read_transaction(c.engine) as conn:
        p = load_principal(conn, user_id, "session")
    assert p is not None
    return p


def test_roles_name_only_known_permissions() -> None:
    for role in ROLES.values():
        assert role.permissions <= set(PERMISSIONS), role.name
    for name in PERMISSIONS:
        assert check_permission(name) == name


def test_token_scopes_narrow_permissions() -> None:
    granted = permissions_of(["tenant_admin"])
    assert narrow(granted, frozenset({"log:entry:read"})) == {"log:entry:read"}
    assert narrow(granted, frozenset({"authz:user:*"})) == {"authz:user:read", "authz:user:manage"}
    assert narrow(permissions_of(["viewer"]), frozenset({"personal:data:read"})) == frozenset()


def test_scope_sees_own_and_supervised_tenants_only(world: tuple[Container, dict[str, str]]) -> None:
    c, ids = world
    reg, alice, bob = (principal(c, ids[k]) for k in ("reg", "a", "b"))
    assert reg.scope.tenants == {"regulator", "group-a"}
    assert alice.scope.tenants == {"group-a"}
    with read_transaction(c.engine) as conn:
        for p, expected in ((reg, {"regulator", "group-a"}), (alice, {"group-a"}), (bob, {"group-b"})):
            seen = {t for (t,) in ScopedReader(conn, p.scope).execute(select(log_entries.c.tenant))}
            assert seen - {None} == expected
            # a join across two tenant tables is scoped on both
            joined = ScopedReader(conn, p.scope).execute(
                select(users.c.username).join(enterprises, enterprises.c.tenant == users.c.tenant, isouter=True))
            assert {u for (u,) in joined} <= {"reg.officer", "alice", "bob"}


def test_scoped_reader_refuses_writes(world: tuple[Container, dict[str, str]]) -> None:
    c, ids = world
    with read_transaction(c.engine) as conn, pytest.raises(Error):
        ScopedReader(conn, principal(c, ids["a"]).scope).execute(update(users).values(locale="en"))  # type: ignore[arg-type]


def test_login_rotates_and_logout_ends_the_session(world: tuple[Container, dict[str, str]]) -> None:
    c, ids = world
    pw = Passwords("low")
    with write_transaction(c.engine) as conn:
        first = login(conn, pw, "alice", PASSWORD, "127.0.0.1", 12)
        second = login(conn, pw, "alice", PASSWORD, "127.0.0.1", 12, previous_session_id=first.session_id)
    assert first.session_id != second.session_id and first.csrf_token != second.csrf_token
    with write_transaction(c.engine) as conn:
        assert resolve_session(conn, first.session_id) is None  # the pre-login id does not survive login
        assert resolve_session(conn, second.session_id).principal.user_id == ids["a"]  # type: ignore[union-attr]
        logout(conn, second.session_id)
        assert resolve_session(conn, second.session_id) is None


def test_wrong_password_then_throttle(world: tuple[Container, dict[str, str]]) -> None:
    c, _ = world
    pw = Passwords("low")
    for _ in range(5):
        with write_transaction(c.engine) as conn, pytest.raises(LoginRefused):
            login(conn, pw, "alice", "Wrong-password-1", "10.0.0.9", 12)
    with write_transaction(c.engine) as conn, pytest.raises(LoginThrottled):
        login(conn, pw, "alice", PASSWORD, "10.0.0.9", 12)
    with write_transaction(c.engine) as conn, pytest.raises(LoginRefused):
        login(conn, pw, "nobody", PASSWORD, "10.0.0.10", 12)


def test_tokens_are_scoped_expiring_revocable(world: tuple[Container, dict[str, str]]) -> None:
    c, ids = world
    with c.unit_of_work() as (uow, _):
        token_id, token = service.issue_token(uow, "test", ids["a"], "ci", ["log:entry:read"], days=30)
    with read_transaction(c.engine) as conn:
        p = resolve_token(conn, token)
        assert p is not None and p.permissions == {"log:entry:read"} and p.via == "token"
        assert resolve_token(conn, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert resolve_token(conn, "rt_nothing") is None
        secret_hashes = conn.execute(select(log_entries.c.entry)).scalars().all()
    assert not any(token.split("_", 2)[2].encode() in bytes(e) for e in secret_hashes), "the secret reached the log"
    with write_transaction(c.engine) as conn:
        conn.execute(update(tokens).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert resolve_token(conn, token) is None
        conn.execute(update(tokens).values(expires_at=datetime.now(UTC) + timedelta(days=1)))
    with c.unit_of_work() as (uow, _):
        service.revoke_token(uow, "test", token_id)
    with read_transaction(c.engine) as conn:
        assert resolve_token(conn, token) is None


def test_disabled_user_loses_sessions_and_tokens_at_once(world: tuple[Container, dict[str, str]]) -> None:
    c, ids = world
    with write_transaction(c.engine) as conn:
        session = login(conn, Passwords("low"), "bob", PASSWORD, "127.0.0.1", 12)
    with c.unit_of_work() as (uow, _):
        _, token = service.issue_token(uow, "test", ids["b"], "ci", ["log:entry:read"])
        service.disable_user(uow, "test", ids["b"], "left the company")
    with read_transaction(c.engine) as conn:
        assert resolve_session(conn, session.session_id) is None
        assert resolve_token(conn, token) is None


@pytest.mark.parametrize(("call", "code"), [
    (lambda u, v: service.add_user(u, v, Passwords("low"), "t", "nope", "x.y.z", "X", ["viewer"], PASSWORD),
     "not_found"),
    (lambda u, v: service.add_user(u, v, Passwords("low"), "t", "group-a", "alice", "X", ["viewer"], PASSWORD),
     "duplicate"),
    (lambda u, v: service.add_user(u, v, Passwords("low"), "t", "group-a", "carol", "X", ["root"], PASSWORD),
     "unknown_role"),
    (lambda u, v: service.add_user(u, v, Passwords("low"), "t", "group-a", "carol", "X", ["viewer"], "short"),
     "weak_password"),
    (lambda u, v: service.issue_token(u, "t", "user-" + "0" * 32, "x", ["log:entry:read"]), "not_found"),
    (lambda u, v: service.grant_supervision(u, "t", "group-a", "group-a"), "invalid"),
])
def test_bad_account_input_is_refused_and_nothing_is_written(world: tuple[Container, dict[str, str]], call: object,
                                                             code: str) -> None:
    c, _ = world
    with read_transaction(c.engine) as conn:
        before = LogReader(conn).size()
    with pytest.raises(Error) as info, c.unit_of_work() as (uow, vault):
        call(uow, vault)  # type: ignore[operator]
    assert info.value.code == code
    with read_transaction(c.engine) as conn:
        assert LogReader(conn).size() == before
