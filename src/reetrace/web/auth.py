"""Route guards: CSRF on every unsafe request of a session, the permission check, the session cookie.

This module deliberately does not use ``from __future__ import annotations``: :class:`PermissionCheck` instances
are FastAPI dependencies, and FastAPI resolves string annotations through a function's globals, which an
instance does not have.
"""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from reetrace.authz.permissions import check_permission
from reetrace.authz.principal import Principal
from reetrace.authz.sessions import Session
from reetrace.errors import Error
from reetrace.web.deps import SESSION_COOKIE, Credentials, SignInRequired, credentials, record_access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "rt_login_csrf"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_NEXT = 500


class CsrfFailed(Error):
    def __init__(self) -> None:
        super().__init__("the form's security token is missing or wrong: reload the page and try again",
                         code="csrf_failed", http_status=403)


class Forbidden(Error):
    def __init__(self, permission: str) -> None:
        super().__init__(f"you lack the permission {permission} that this needs", code="forbidden",
                         http_status=403)


async def form_value(request: Request, name: str) -> str:
    """A text field of a form body ("" when the body is not a form or has no such field)."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return ""
    try:
        form = await request.form()
    except Exception:  # a malformed body: the handler reports it; here it simply carries no token
        return ""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def tokens_match(sent: str, expected: str) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


async def csrf_checked(request: Request, found: Annotated[Credentials | None, Depends(credentials)]) -> Credentials:
    """Signed in, and for a session's POST/PUT/PATCH/DELETE the session's CSRF token (header or form field).

    Requests with an API token need no CSRF token: browsers never add an Authorization header on their own.
    """
    if found is None:
        raise SignInRequired()
    if request.method not in SAFE_METHODS and found.session is not None:
        sent = request.headers.get(CSRF_HEADER) or await form_value(request, CSRF_FIELD)
        if not tokens_match(sent, found.session.csrf_token):
            await run_in_threadpool(record_access, request, found.principal, "access.denied",
                                    reason="CSRF token missing or wrong")
            raise CsrfFailed()
    return found


class PermissionCheck:
    """The one dependency that guards a route: signed in, CSRF-checked, holding ``permission`` (if any).

    A refusal is recorded as an ``access.denied`` audit event (who, permission, path, method, IP) in its own
    transaction before the 403 is answered.
    """

    def __init__(self, permission: str | None) -> None:
        self.permission = None if permission is None else check_permission(permission)

    async def __call__(self, request: Request, found: Annotated[Credentials, Depends(csrf_checked)]) -> Principal:
        principal = found.principal
        if self.permission is not None and not principal.can(self.permission):
            await run_in_threadpool(record_access, request, principal, "access.denied",
                                    permission=self.permission, reason="missing permission")
            raise Forbidden(self.permission)
        return principal


def set_session_cookie(response: Response, request: Request, session: Session, hours: int) -> None:
    response.set_cookie(SESSION_COOKIE, session.session_id, max_age=hours * 3600, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")


def login_csrf(request: Request) -> str:
    """The pre-login double-submit token: the one in the browser's cookie, or a new one."""
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def safe_next(value: str | None) -> str:
    """Where to go after login: a path on this site only (``/x``), never ``//host``, a scheme or a backslash."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 0x20 or c == "\x7f" for c in value) or ":" in value.split("?", 1)[0]:
        return "/"
    if value.split("?", 1)[0] in ("/login", "/logout"):
        return "/"
    return value
