"""Templates for the console and the filters they use.

Every string a template shows goes through ``_()``. The environment has Jinja2's i18n extension with *null*
translations installed (``newstyle=True``): ``_("Log size")`` returns the English text and
``_("%(n)s entries", n=size)`` interpolates. Babel can extract these calls unchanged; adding a language (issue 3) is
``env.install_gettext_translations(catalog, newstyle=True)`` or a per-request ``_`` in the template context.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
from reetrace.web.locale import locale_of
from reetrace.web.logview import aware

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
BYTE_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def utc(moment: datetime | None) -> str:
    """``2026-11-23 14:05:09 UTC``."""
    if moment is None:
        return "—"
    return aware(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_timestamp(seconds: int) -> str:
    return utc(datetime.fromtimestamp(seconds, UTC))


def count(number: int) -> str:
    """Thousands separated: ``3,001``."""
    return f"{number:,}"


def byte_size(number: int) -> str:
    """``812 bytes``, ``1.4 KiB``, ``3.0 MiB``."""
    value = float(number)
    for unit in BYTE_UNITS:
        if value < 1024 or unit == BYTE_UNITS[-1]:
            return f"{number:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{number:,} bytes"


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
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(utc=utc, utc_timestamp=utc_timestamp, count=count, byte_size=byte_size, short_hex=short_hex)
    return env


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(env=make_environment())


def page_context(request: Request) -> dict[str, Any]:
    """What every page needs: who is signed in, their CSRF token, the locale, and ``can(permission)``."""
    principal: Principal | None = getattr(request.state, "principal", None)

    def can(permission: str) -> bool:
        return principal is not None and principal.can(permission)

    return {"principal": principal, "csrf_token": getattr(request.state, "csrf_token", None),
            "locale": locale_of(request), "can": can}


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, {**page_context(request), **context},
                                          status_code=status_code, headers=headers)
    assert isinstance(response, HTMLResponse)
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
    context = {"error": error, "status": error.http_status, "details": error.details}
    return render(request, "error.html", context, status_code=error.http_status)
