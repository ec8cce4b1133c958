"""Login, logout and the language choice.

The login form is protected by a double-submit cookie (``rt_login_csrf``, also in a hidden field), since there is
no session yet. A successful login drops any session id the browser had (``sessions.login`` with
``previous_session_id``) and sets a new ``rt_session`` cookie: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS.
Logins, failed logins and logouts are audit events. Failed logins are throttled per user and per IP; a throttled
attempt is refused before the password is checked and is not logged again (the throttle bounds what anonymous
visitors can add to the log).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reetrace.authz.service import set_locale
from reetrace.authz.sessions import LoginRefused, LoginThrottled
from reetrace.errors import Error
from reetrace.web.access import public, signed_in
from reetrace.web.auth import (
    LOGIN_CSRF_COOKIE,
    CsrfFailed,
    clear_session_cookie,
    login_csrf,
    safe_next,
    set_login_csrf_cookie,
    set_session_cookie,
    tokens_match,
)
from reetrace.web.console.render import render
from reetrace.web.deps import (
    SESSION_COOKIE,
    Credentials,
    CurrentPrincipal,
    close_session,
    container_of,
    credentials,
    open_session,
    record_access,
    tenant_of_username,
    unit_of_work,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]


def login_form(request: Request, next_url: str, problem: Error | None = None, status_code: int = 200) -> Response:
    token = login_csrf(request)
    context = {"page": "login", "next": safe_next(next_url), "login_csrf": token, "problem": problem}
    response = render(request, "login.html", context, status_code=status_code)
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login", response_class=HTMLResponse, **public())
def login_page(request: Request, found: Annotated[Credentials | None, Depends(credentials)],
               next: Annotated[str, Query(max_length=500)] = "") -> Response:
    """The sign-in form; a user who is already signed in goes on to where they were heading."""
    if found is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_form(request, next)


@router.post("/login", response_class=HTMLResponse, **public())
def login_submit(request: Request, username: Annotated[str, Form(max_length=64)] = "",
                 password: Annotated[str, Form(max_length=1024)] = "", csrf_token: Text = "",
                 next: Annotated[str, Form(max_length=500)] = "") -> Response:
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        raise CsrfFailed()
    username = username.strip()
    try:
        session = open_session(request, username, password, request.cookies.get(SESSION_COOKIE))
    except LoginThrottled as exc:
        return login_form(request, next, exc, exc.http_status)
    except LoginRefused as exc:
        record_access(request, None, "login.failed", target="/login", username=username or None,
                      tenant=tenant_of_username(request, username), reason=exc.message)
        return login_form(request, next, exc, exc.http_status)
    record_access(request, session.principal, "session.login", target="/login")
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, session, container_of(request).settings.session_hours)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", **signed_in())
def logout_submit(request: Request, principal: CurrentPrincipal) -> Response:
    close_session(request, request.cookies.get(SESSION_COOKIE, ""))
    record_access(request, principal, "session.logout", target="/logout")
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.post("/account/locale", **signed_in())
def choose_language(request: Request, principal: CurrentPrincipal, locale: Annotated[Literal["en", "zh-Hans"], Form()],
                    next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    """Store the console language for this user (it follows them to every browser)."""
    with unit_of_work(request) as (uow, _):
        set_locale(uow, principal.username, principal.user_id, locale)
    return RedirectResponse(safe_next(next), status_code=303)
