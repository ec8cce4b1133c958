"""The console's language for one request: the user's setting, else Accept-Language, else English.

Only the choice is made here; the catalogs (English and Simplified Chinese) are installed by the template
environment. The chosen locale is put into ``request.state.locale`` and every template's context.
"""

from __future__ import annotations

from fastapi import Request

SUPPORTED = ("en", "zh-Hans")
DEFAULT = "en"
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
MAX_ITEMS = 20


def supported(tag: str) -> str | None:
    """``en``/``en-GB`` -> en; ``zh``/``zh-CN``/``zh-SG``/``zh-Hans`` -> zh-Hans; anything else -> None."""
    tag = tag.strip().lower()
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


def choose_locale(user_locale: str | None, accept_language: str | None) -> str:
    if user_locale in SUPPORTED:
        return str(user_locale)
    return from_accept_language(accept_language) or DEFAULT


def locale_of(request: Request) -> str:
    """The request's locale, chosen once and kept in ``request.state.locale``."""
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    principal = getattr(request.state, "principal", None)
    locale = choose_locale(getattr(principal, "locale", None), request.headers.get("accept-language"))
    request.state.locale = locale
    return locale
