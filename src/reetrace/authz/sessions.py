"""Console sessions and API tokens: from a cookie or a bearer token to a Principal.

Session ids are 256-bit random values kept only as SHA-256 digests; a new id is made at every login (the
pre-login id, if any, is dropped), so a fixed session id never becomes an authenticated one. Logins are
throttled per username and per IP address.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from reetrace.authz.passwords import Passwords
from reetrace.authz.principal import PRINCIPAL_COLUMNS, Principal, load_principal, principal_from_row
from reetrace.authz.service import TOKEN_PREFIX, secret_digest
from reetrace.authz.tables import credentials, login_attempts, sessions, tenants, token_secrets, tokens, users
from reetrace.errors import Error

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 30


# Built once: these run on every request (a statement built per call costs more than the query itself).
# One query each for the token or session, its user and the user's tenant.
TOKEN_QUERY = (select(tokens.c.scopes, tokens.c.expires_at, tokens.c.revoked_at, token_secrets.c.secret_hash,
                      *PRINCIPAL_COLUMNS)
               .join(token_secrets, token_secrets.c.token_id == tokens.c.token_id)
               .join(users, users.c.user_id == tokens.c.user_id)
               .join(tenants, tenants.c.tenant_id == users.c.tenant)
               .where(tokens.c.token_id == bindparam("token_id")))
SESSION_QUERY = (select(sessions.c.csrf_token, sessions.c.expires_at, sessions.c.created_at, sessions.c.last_seen_at,
                        *PRINCIPAL_COLUMNS)
                 .join(users, users.c.user_id == sessions.c.user_id)
                 .join(tenants, tenants.c.tenant_id == users.c.tenant)
                 .where(sessions.c.session_hash == bindparam("session_hash")))


class LoginRefused(Error):
    def __init__(self) -> None:
        super().__init__("wrong username or password", code="login_failed", http_status=401)


class LoginThrottled(Error):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed logins: try again in {minutes} minutes", code="login_throttled",
                         http_status=429)


@dataclass(frozen=True)
class Session:
    session_id: str
    csrf_token: str
    principal: Principal
    expires_at: datetime
    last_seen_at: datetime | None = None  # the last request (kept to the minute), or the login


# A session's last use is written at most this often: an idle timeout needs minutes, not every request's time.
TOUCH_EVERY = timedelta(minutes=1)


def login(conn: Connection, passwords: Passwords, username: str, password: str, ip: str, hours: int,
          previous_session_id: str | None = None) -> Session:
    """Check the password (throttled), drop any previous session, and open a new one."""
    now = datetime.now(UTC)
    _throttle(conn, username, ip, now)
    row = conn.execute(select(users.c.user_id, credentials.c.password_hash)
                       .join(credentials, credentials.c.user_id == users.c.user_id, isouter=True)
                       .where(users.c.username == username)).one_or_none()
    ok = passwords.verify(row.password_hash if row else None, password)
    principal = load_principal(conn, row.user_id, "session") if (row and ok) else None
    if principal is None:
        conn.execute(insert(login_attempts).values(username=username[:64], ip=ip[:64], at=now))
        raise LoginRefused()
    conn.execute(delete(login_attempts).where(login_attempts.c.username == username))
    if previous_session_id:
        conn.execute(delete(sessions).where(sessions.c.session_hash == secret_digest(previous_session_id)))
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    conn.execute(insert(sessions).values(session_hash=secret_digest(session_id), user_id=principal.user_id,
                                         csrf_token=csrf, created_at=now, expires_at=expires, ip=ip[:64]))
    return Session(session_id, csrf, principal, expires, now)


def _throttle(conn: Connection, username: str, ip: str, now: datetime) -> None:
    since = now - FAILURE_WINDOW
    conn.execute(delete(login_attempts).where(login_attempts.c.at < since))
    by_user = conn.execute(select(func.count()).select_from(login_attempts)
                           .where(login_attempts.c.username == username, login_attempts.c.at >= since)).scalar_one()
    by_ip = conn.execute(select(func.count()).select_from(login_attempts)
                         .where(login_attempts.c.ip == ip, login_attempts.c.at >= since)).scalar_one()
    if by_user >= MAX_FAILURES_PER_USER or by_ip >= MAX_FAILURES_PER_IP:
        raise LoginThrottled(int(FAILURE_WINDOW.total_seconds() // 60))


def resolve_session(conn: Connection, session_id: str, idle: timedelta | None = None) -> Session | None:
    """The session, unless unknown, past its expiry, idle for longer than ``idle``, or its user disabled."""
    row = conn.execute(SESSION_QUERY, {"session_hash": secret_digest(session_id)}).one_or_none()
    now = datetime.now(UTC)
    if row is None or _aware(row.expires_at) <= now:
        return None
    last_seen = _aware(row.last_seen_at or row.created_at)
    if idle is not None and last_seen + idle <= now:
        return None
    principal = principal_from_row(conn, row, "session")
    if principal is None:
        return None
    return Session(session_id, row.csrf_token, principal, _aware(row.expires_at), last_seen)


def needs_touch(session: Session, now: datetime | None = None) -> bool:
    return session.last_seen_at is None or session.last_seen_at + TOUCH_EVERY <= (now or datetime.now(UTC))


def touch_session(conn: Connection, session_id: str, now: datetime | None = None) -> None:
    """Record that the session was used (the idle timeout counts from here)."""
    conn.execute(update(sessions).where(sessions.c.session_hash == secret_digest(session_id))
                 .values(last_seen_at=now or datetime.now(UTC)))


def logout(conn: Connection, session_id: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.session_hash == secret_digest(session_id)))


def resolve_token(conn: Connection, token: str) -> Principal | None:
    """``rt_<id>_<secret>`` -> the principal, if the token is known, unexpired, unrevoked and its user enabled."""
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
        return None
    token_id, _, secret = token[len(TOKEN_PREFIX):].partition("_")
    row = conn.execute(TOKEN_QUERY, {"token_id": token_id}).one_or_none()
    if row is None or not hmac.compare_digest(bytes(row.secret_hash), secret_digest(secret)):
        return None
    if row.revoked_at is not None or _aware(row.expires_at) <= datetime.now(UTC):
        return None
    return principal_from_row(conn, row, "token", frozenset(row.scopes.split()), token_id)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
