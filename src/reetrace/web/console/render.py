"""Templates for the console and the filters they use.

Every string a template shows goes through ``_()`` (or ``ngettext()``), with Jinja2's i18n extension in its
*newstyle* form: ``_("%(n)s entries", n=size)`` translates, then interpolates (escaping the values). The catalogs
(English, Simplified Chinese) and the locale-aware filters (``utc``, ``count``, ``byte_size``, ``weight``,
``money``) come from :mod:`reetrace.web.i18n`; each render translates into the ``locale`` of its own context,
which :func:`page_context` takes from :func:`reetrace.web.locale.locale_of`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from reetrace.authz.principal import Principal
from reetrace.errors import Error
from reetrace.web.deps import request_target
from reetrace.web.i18n import catalogs, error_summary, install
from reetrace.web.locale import LANGUAGES, language_url, locale_of, remember_language

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"


def short_hex(data: bytes, chars: int = 16) -> str:
    text = data.hex()
    return text if len(text) <= chars else text[:chars] + "…"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install(env, catalogs())
    env.filters.update(short_hex=short_hex)
    return env


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(env=make_environment())


def page_context(request: Request) -> dict[str, Any]:
    """What every page needs: who is signed in, their CSRF token, the locale, ``can(permission)``, and the
    language switcher's choices (for visitors: links to this page with ``?lang=``; for users: where the form
    returns to, ``here``: this page, or the dashboard after a form's answer)."""
    principal: Principal | None = getattr(request.state, "principal", None)

    def can(permission: str) -> bool:
        return principal is not None and principal.can(permission)

    links = {} if principal else {tag: language_url(request, tag) for tag, _ in LANGUAGES}
    return {"principal": principal, "csrf_token": getattr(request.state, "csrf_token", None),
            "locale": locale_of(request), "can": can, "languages": LANGUAGES, "language_links": links,
            "here": request_target(request) if request.method == "GET" else "/"}


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, {**page_context(request), **context},
                                          status_code=status_code, headers=headers)
    assert isinstance(response, HTMLResponse)
    response.headers["Content-Language"] = locale_of(request)
    response.headers["Vary"] = "Accept-Language, Cookie"
    remember_language(request, response)
    return response


def render_error(request: Request, error: Error) -> Response:
    """The console's error page: the message, the status and the error code, never a traceback.

    Without a session the console sends the browser to the login page, with ``next`` set to the page it asked
    for (GET only: a form posted without a session cannot be replayed after login).
    """
    if error.code == "sign_in_required":
        target = "/login"
        if request.method == "GET":
            target += "?" + urlencode({"next": request_target(request)})
        return RedirectResponse(target, status_code=303)
    summary = catalogs().gettext(locale_of(request), error_summary(error))
    context = {"error": error, "status": error.http_status, "details": error.details, "summary": summary}
    return render(request, "error.html", context, status_code=error.http_status)
