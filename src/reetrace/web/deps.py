"""The one module of the web app that touches the database directly.

Every request gets one read transaction (:func:`request_connection`). Handlers never see that connection: they
get a :class:`Scoped` view — a :class:`ScopedReader` and a :class:`LogReader` limited to the principal's tenants —
or, on the few public routes, a :class:`LogReader` that sees no entry at all (:data:`TreeReader`: sizes, roots,
tree nodes and checkpoints hold no tenant data). Writes go through ``container.unit_of_work()``
(:func:`unit_of_work`), and the account operations that need a raw transaction (login, logout, revealing vault
fields) are functions here. ``tests/web/test_web_scoping.py`` fails when another web module opens a transaction
or reaches for the engine.

A scoped miss on an object lookup (:meth:`Scoped.refuse`) is answered as a plain 404, whether the object belongs
to another tenant or does not exist at all (no oracle, not even a timing one: both cases write the same audit
event), and is recorded as an ``access.denied`` audit event with the reason ``not found in scope``: probing for
other tenants' objects leaves a trace. Only a log index at or beyond the log's size is not audited: the size is
public (every checkpoint states it), so such a miss says nothing about anyone's entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

import anyio
from fastapi import BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, Row, Select, select
from sqlalchemy.pool import QueuePool

from reetrace.authz.models import AccessAudited
from reetrace.authz.passwords import Passwords
from reetrace.authz.principal import Principal
from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.authz.service import record_audit
from reetrace.authz.sessions import (
    LoginRefused,
    Session,
    login,
    logout,
    needs_touch,
    resolve_session,
    resolve_token,
    touch_session,
)
from reetrace.authz.tables import users
from reetrace.container import Container
from reetrace.domains.flow.certificates import Certificate, build_certificate
from reetrace.domains.flow.reports import MonthlyReport, monthly_report
from reetrace.domains.flow.tables import lots as flow_lots
from reetrace.domains.registry.tables import enterprises
from reetrace.errors import Detail, Error, not_found
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.ledger import UnitOfWork
from reetrace.storage.logread import LogReader, StoredEntry
from reetrace.storage.nodes import DbNodeSource
from reetrace.storage.vault import Vault
from reetrace.web.locale import locale_of

SESSION_COOKIE = "rt_session"
NOT_IN_SCOPE = "not found in scope"
NO_TENANTS = TenantScope(frozenset())
API_PREFIXES = ("/api/", "/tlog/")
AuditAction = Literal["personal_data.read", "access.denied", "session.login", "session.logout", "login.failed"]


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def passwords_of(request: Request) -> Passwords:
    """One hasher per app (its dummy hash for unknown users is computed once)."""
    state = request.app.state
    if getattr(state, "passwords", None) is None:
        state.passwords = Passwords(container_of(request).settings.password_cost)
    passwords: Passwords = state.passwords
    return passwords


async def app_container(request: Request) -> Container:
    """The container as a dependency (async: a plain attribute read needs no worker thread)."""
    return container_of(request)


def connection_gate(request: Request) -> anyio.CapacityLimiter:
    """How many requests may hold a database connection at once (see :func:`request_connection`).

    One gate per event loop: a limiter wakes its waiters through its own loop, so a gate shared by two loops (the
    test client runs each request in a fresh one, from several threads at once) could leave a waiter asleep for
    ever. A server process has one loop, hence one gate.
    """
    gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = getattr(
        request.app.state, "connection_gates", None)
    if gates is None:
        gates = request.app.state.connection_gates = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    gate = gates.get(loop)
    if gate is None:
        gate = gates[loop] = anyio.CapacityLimiter(request_connection_limit(container_of(request).engine))
    return gate


def request_connection_limit(engine: Engine) -> int:
    """Half the pool (a request may open a second, writing connection for an audit event), at least one."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return max(1, (pool.size() + max(int(getattr(pool, "_max_overflow", 0)), 0)) // 2)
    return 8


async def request_connection(request: Request) -> AsyncIterator[Connection]:
    """One read transaction per request: authentication and every value shown come from one snapshot.

    Requests queue at :func:`connection_gate` *before* they take a pooled connection, in the event loop where
    waiting costs nothing. The gate admits at most half the pool, so taking a connection never waits for the
    pool, and a request that also writes (an audit event) finds a second one. Without the gate a burst of
    requests each took a connection and then waited for another one: with every worker thread waiting for the
    pool the server stalled until the pool's timeout.

    Opening the connection, resolving the request's credentials (two prebuilt point queries) and closing it
    run in the event loop itself: each is well under a millisecond, less than the two trips to a worker
    thread they would otherwise cost. The handler, which may run longer queries, runs in a worker thread.
    """
    async with connection_gate(request):
        with contextlib.ExitStack() as stack:
            yield _open_and_authenticate(request, stack)


def _open_and_authenticate(request: Request, stack: contextlib.ExitStack) -> Connection:
    conn = stack.enter_context(read_transaction(container_of(request).engine))
    request.state.credentials = _authenticate(request, conn)
    return conn


# Who is asking ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    principal: Principal
    session: Session | None  # None when the request carried an API token


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; ``""`` for any other Authorization header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def credentials(request: Request, conn: Annotated[Connection, Depends(request_connection)],
                      background: BackgroundTasks) -> Credentials | None:
    """The principal behind the request, or None (resolved with the connection, see :func:`request_connection`).

    API paths take a bearer token when one is sent (a bad one is never rescued by a cookie), else the session
    cookie; console pages take the session cookie only. The principal goes into ``request.state``.
    """
    found: Credentials | None = request.state.credentials
    if found and found.session and needs_touch(found.session):
        background.add_task(_touch, container_of(request).engine, found.session.session_id)
    request.state.principal = found.principal if found else None
    request.state.csrf_token = found.session.csrf_token if found and found.session else None
    locale_of(request)
    return found


def _authenticate(request: Request, conn: Connection) -> Credentials | None:
    token = bearer_token(request) if request.url.path.startswith(API_PREFIXES) else None
    if token is not None:
        principal = resolve_token(conn, token) if token else None
        return Credentials(principal, None) if principal else None
    if cookie := request.cookies.get(SESSION_COOKIE):
        idle = timedelta(minutes=container_of(request).settings.session_idle_minutes)
        session = resolve_session(conn, cookie, idle)
        return Credentials(session.principal, session) if session else None
    return None


def _touch(engine: Engine, session_id: str) -> None:
    """After the response: note the session's use, at most once a minute (the idle timeout counts from it)."""
    with write_transaction(engine) as conn:
        touch_session(conn, session_id)


# Reads within the principal's scope ------------------------------------------------------------------------


class Scoped:
    """What one request may read: the principal's tenants, nothing else."""

    def __init__(self, request: Request, conn: Connection, principal: Principal) -> None:
        self.principal = principal
        self._conn = conn
        self.reader = ScopedReader(conn, principal.scope)
        self.log = LogReader(conn, principal.scope)
        self._request = request

    def all(self, statement: Select[Any]) -> list[Row[Any]]:
        return list(self.reader.execute(statement))

    def first(self, statement: Select[Any]) -> Row[Any] | None:
        return self.reader.execute(statement).first()

    def one_or_refuse(self, statement: Select[Any], message: str) -> Row[Any]:
        row = self.first(statement)
        if row is None:
            raise self.refuse(message)
        return row

    def refuse(self, message: str) -> Error:
        """A 404 for an object outside the scope (or nowhere), audited as access.denied."""
        record_access(self._request, self.principal, "access.denied", reason=NOT_IN_SCOPE)
        return not_found(message)

    def size(self) -> int:
        return self.log.size()

    def entry(self, index: int) -> StoredEntry:
        """An entry by index; a miss below the log's size is another tenant's entry: refused and audited."""
        try:
            return self.log.entry(index)
        except Error as exc:
            if exc.code == "not_found" and index < self.log.size():
                raise self.refuse(exc.message) from None
            raise

    async def entry_now(self, index: int) -> StoredEntry:
        """:meth:`entry` for an ``async`` handler: the point lookup runs in the event loop (well under a
        millisecond, cheaper than a trip to a worker thread); only a refusal's audit write, which may wait for
        the writer lock, goes to a worker thread."""
        try:
            return self.log.entry(index)
        except Error as exc:
            if exc.code == "not_found" and index < self.log.size():
                await run_in_threadpool(record_access, self._request, self.principal, "access.denied",
                                        reason=NOT_IN_SCOPE)
                raise not_found(exc.message) from None
            raise

    def entry_by_event_id(self, event_id: str) -> StoredEntry:
        try:
            return self.log.entry_by_event_id(event_id)
        except Error as exc:
            if exc.code == "not_found":
                raise self.refuse(exc.message) from None
            raise


async def current_principal(found: Annotated[Credentials | None, Depends(credentials)]) -> Principal:
    if found is None:
        raise SignInRequired()
    return found.principal


class SignInRequired(Error):
    """No valid session or token: the API answers 401, the console redirects to the login page."""

    def __init__(self) -> None:
        super().__init__("sign in first: this needs a valid session or API token", code="sign_in_required",
                         http_status=401)
        self.headers = {"WWW-Authenticate": 'Bearer realm="reetrace"'}


async def scoped(request: Request, conn: Annotated[Connection, Depends(request_connection)],
           principal: Annotated[Principal, Depends(current_principal)]) -> Scoped:
    return Scoped(request, conn, principal)


async def tree_reader(conn: Annotated[Connection, Depends(request_connection)]) -> LogReader:
    """For public routes: the tree (size, roots, nodes, checkpoints) without any entry."""
    return LogReader(conn, NO_TENANTS)


def provenance_certificate(scoped: Scoped, lot_id: str) -> Certificate:
    """A lot's provenance certificate, for a principal whose scope covers every step of it.

    A certificate carries the log entries of each step (the EPCIS event that made the lot, the registration of its
    enterprise), so it is given only when every lot of the genealogy and every enterprise belongs to a tenant the
    principal may read (an enterprise for its own chain; the supervising authority across tenants); otherwise a 403
    that says how many steps lie outside, without naming them. A lot outside the scope is an audited 404.
    """
    tenants = scoped.principal.scope.tenants
    try:
        cert = build_certificate(scoped._conn, lot_id, frozenset(tenants))
    except Error as exc:
        if exc.code == "unknown_lot":
            raise scoped.refuse(exc.message) from None
        raise
    outside: set[str] = set()
    for key, tenant, wanted in ((flow_lots.c.lot_id, flow_lots.c.tenant, sorted({s.lot for s in cert.steps})),
                                (enterprises.c.enterprise_id, enterprises.c.tenant,
                                 sorted({s.enterprise_id for s in cert.steps}))):
        for start in range(0, len(wanted), 500):
            outside |= {row[0] for row in scoped._conn.execute(select(key, tenant)
                                                                .where(key.in_(wanted[start:start + 500])))
                        if row[1] not in tenants}
    if outside:
        raise Error(f"the genealogy of this lot reaches {len(outside)} lot(s) or enterprise(s) outside your scope: "
                    "its certificate would disclose their log entries", code="outside_scope", http_status=403,
                    details=[Detail("ask an authority that supervises every step to issue it", "lot")])
    return cert


def monthly_flow_report(scoped: Scoped, enterprise_id: str, month: str) -> MonthlyReport:
    """An enterprise's monthly flow report (the national system's fields), for a principal who may read it; an
    enterprise outside the scope is an audited 404."""
    try:
        return monthly_report(scoped._conn, enterprise_id, month, tenants=frozenset(scoped.principal.scope.tenants))
    except Error as exc:
        if exc.code == "unknown_enterprise":
            raise scoped.refuse(exc.message) from None
        raise


def node_chunk(reader: LogReader, level: int, chunk: int) -> bytes:
    """One stored row of tree nodes (256 hashes of one level; no tenant data), as tlog-tiles serves it."""
    return DbNodeSource(reader.conn).chunk(level, chunk)


Visible = Annotated[Scoped, Depends(scoped)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
TreeReader = Annotated[LogReader, Depends(tree_reader)]
AppContainer = Annotated[Container, Depends(app_container)]


# Writes: each in its own transaction ------------------------------------------------------------------------


@contextlib.contextmanager
def unit_of_work(request: Request) -> Iterator[tuple[UnitOfWork, Vault]]:
    with container_of(request).unit_of_work() as (uow, vault):
        yield uow, vault


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def request_target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def record_access(request: Request, principal: Principal | None, action: AuditAction, *, target: str | None = None,
                  permission: str | None = None, reason: str = "", username: str | None = None,
                  tenant: str | None = None) -> None:
    """Append one ``audit.access`` event (who, what, from where) and commit it at once."""
    who = principal.username if principal else username
    body = AccessAudited(action=action, user_id=principal.user_id if principal else None, username=who,
                         target=(target or request_target(request))[:500], permission=permission,
                         reason=reason[:500], ip=client_ip(request)[:64], method=request.method[:10])
    with unit_of_work(request) as (uow, _):
        record_audit(uow, principal.tenant if principal else tenant, who or "anonymous", body)


def open_session(request: Request, username: str, password: str, previous: str | None) -> Session:
    """Check the password (throttled) and open a session; a refused attempt is committed, then raised."""
    container = container_of(request)
    refused: LoginRefused | None = None
    with write_transaction(container.engine) as conn:
        try:
            return login(conn, passwords_of(request), username, password, client_ip(request),
                         container.settings.session_hours, previous_session_id=previous)
        except LoginRefused as exc:
            refused = exc  # leave the with-block normally so that the failed attempt is counted
    assert refused is not None
    raise refused


def close_session(request: Request, session_id: str) -> None:
    with write_transaction(container_of(request).engine) as conn:
        logout(conn, session_id)


def tenant_of_username(request: Request, username: str) -> str | None:
    """The tenant of a login name (for the audit of a failed login), or None when nobody has that name."""
    with read_transaction(container_of(request).engine) as conn:
        tenant = conn.execute(select(users.c.tenant).where(users.c.username == username)).scalar_one_or_none()
    return None if tenant is None else str(tenant)


def reveal_fields(request: Request, subject_id: str, fields: list[str]) -> dict[str, str]:
    """Decrypt personal fields from the vault. Callers record the audit event first."""
    container = container_of(request)
    with read_transaction(container.engine) as conn:
        vault = Vault(conn, container.master_key)
        return {field: vault.reveal(subject_id, field) for field in fields}
