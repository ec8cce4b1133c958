"""The console's language for one request.

In order: the signed-in user's setting (``users.locale``, set by ``POST /account/locale``); else the visitor's
choice, a ``?lang=`` parameter on any page (the login page's language links) or the ``rt_lang`` cookie that such
a choice leaves; else the browser's Accept-Language; else English.

Only the choice is made here; :mod:`reetrace.web.i18n` holds the catalogs and the console renders with them. The
chosen locale is put into ``request.state.locale`` and every template's context. :func:`remember_language` keeps
``rt_lang`` in step with the choice (also with a signed-in user's setting, so that the login page after signing
out and error pages outside any session speak that user's language).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request, Response

SUPPORTED = ("en", "zh-Hans")
DEFAULT = "en"
LANGUAGES = (("en", "English"), ("zh-Hans", "中文"))  # each language named in itself, for the switcher
LANG_PARAM = "lang"
LANG_COOKIE = "rt_lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
MAX_ITEMS = 20
MAX_TAG = 35


def supported(tag: str) -> str | None:
    """``en``/``en-GB`` -> en; ``zh``/``zh-CN``/``zh-SG``/``zh-Hans`` -> zh-Hans; anything else -> None."""
    tag = tag.strip().lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or (tag.startswith("zh-") and not tag.startswith(_TRADITIONAL)):
        return "zh-Hans"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 quality values), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_ITEMS]):
        tag, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = supported(tag)
        if locale and quality > 0:
            ranked.append((-quality, position, locale))
    return min(ranked)[2] if ranked else None


def choose_locale(user_locale: str | None, accept_language: str | None, chosen: str | None = None) -> str:
    """The user's setting, else the visitor's explicit choice (already normalised), else Accept-Language."""
    if user_locale in SUPPORTED:
        return str(user_locale)
    if chosen in SUPPORTED:
        return str(chosen)
    return from_accept_language(accept_language) or DEFAULT


def visitor_choice(request: Request) -> str | None:
    """``?lang=`` on this request, else the ``rt_lang`` cookie; None when neither names a supported language."""
    for value in (request.query_params.get(LANG_PARAM), request.cookies.get(LANG_COOKIE)):
        if value and len(value) <= MAX_TAG and (locale := supported(value)):
            return locale
    return None


def locale_of(request: Request) -> str:
    """The request's locale, chosen once and kept in ``request.state.locale``."""
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    principal = getattr(request.state, "principal", None)
    locale = choose_locale(getattr(principal, "locale", None), request.headers.get("accept-language"),
                           visitor_choice(request))
    request.state.locale = locale
    return locale


def remember_language(request: Request, response: Response) -> None:
    """Set ``rt_lang`` when the page was asked for with ``?lang=`` or a signed-in user's setting differs from it."""
    principal = getattr(request.state, "principal", None)
    wanted = getattr(principal, "locale", None)
    if wanted not in SUPPORTED:
        asked = request.query_params.get(LANG_PARAM)
        wanted = supported(asked) if asked and len(asked) <= MAX_TAG else None
    if wanted is None or request.cookies.get(LANG_COOKIE) == wanted:
        return
    response.set_cookie(LANG_COOKIE, wanted, max_age=LANG_COOKIE_SECONDS, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def language_url(request: Request, locale: str) -> str:
    """This page again, in ``locale`` (for visitors who are not signed in): the query kept, ``lang`` replaced."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_PARAM]
    return request.url.path + "?" + urlencode([*query, (LANG_PARAM, locale)])
