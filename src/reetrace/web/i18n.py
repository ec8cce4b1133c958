"""The console in English and Simplified Chinese: Babel catalogs, translation per render, locale-aware formatting.

Catalogs are the ``.po`` files under ``locales/<name>/LC_MESSAGES/messages.po`` (``en``, ``zh_Hans``), extracted
from the templates and from this package's Python files as ``babel.cfg`` (repository root) says. Nothing compiled
is kept in the repository: :func:`catalogs` reads each ``.po`` with Babel once per process (the app calls it when
it starts, so a broken catalog stops the start, not a page), compiles it in memory (``write_mo`` into a buffer,
fuzzy entries left out) and opens that as :class:`gettext.GNUTranslations`.

Per request: the template environment's ``_``/``gettext``/``ngettext`` and the formatting filters are
``pass_context`` callables that read the locale from the render context (``locale``, put there for every page by
the console's ``page_context``), never from a global: two requests in two languages render side by side safely.
Translations are trusted text (Jinja2 marks them safe); the values interpolated into them are escaped.

Python code marks console strings with :func:`N_` and translates them with :meth:`Catalogs.gettext` when the
locale is known, e.g. the error page's message for an error ``code`` (:func:`error_summary`); the English
``Error.message`` stays on the page as the details.
"""

from __future__ import annotations

import functools
import gettext as gnu_gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from reetrace.errors import Error
from reetrace.web.locale import DEFAULT, SUPPORTED

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
POT = LOCALES / f"{DOMAIN}.pot"
BABEL_NAMES = {"en": "en", "zh-Hans": "zh_Hans"}  # console locale -> Babel/gettext name (and catalog folder)
DATETIME_PATTERNS = {"en": "yyyy-MM-dd HH:mm:ss", "zh-Hans": "y年M月d日 HH:mm:ss"}  # CLDR patterns, 24-hour, UTC
BYTE_UNITS = ("KiB", "MiB", "GiB", "TiB")
WEIGHT_UNITS = {"kg": "mass-kilogram", "t": "mass-tonne"}
Number = int | float | Decimal


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


# Catalogs ----------------------------------------------------------------------------------------------------


def po_path(locale: str, directory: Path = LOCALES) -> Path:
    return directory / BABEL_NAMES[locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """A ``.po``/``.pot`` file as a Babel catalog; a syntax error is an error, never a silently shorter catalog."""
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN, abort_invalid=True)


def compiled(catalog: Catalog) -> gnu_gettext.GNUTranslations:
    """The catalog as gettext translations, compiled in memory (fuzzy and untranslated entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gnu_gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Catalogs:
    """The translations of every supported locale; an unknown locale gets English."""

    translations: Mapping[str, gnu_gettext.GNUTranslations]

    def of(self, locale: str) -> gnu_gettext.GNUTranslations:
        return self.translations.get(locale) or self.translations[DEFAULT]

    def gettext(self, locale: str, message: str) -> str:
        return self.of(locale).gettext(message)

    def ngettext(self, locale: str, singular: str, plural: str, n: int) -> str:
        return self.of(locale).ngettext(singular, plural, n)


def load_catalogs(directory: Path = LOCALES) -> Catalogs:
    return Catalogs({locale: compiled(read_catalog(po_path(locale, directory), BABEL_NAMES[locale]))
                     for locale in SUPPORTED})


@functools.cache
def catalogs() -> Catalogs:
    """The installed catalogs, read once per process."""
    return load_catalogs()


# Formatting: times in UTC, numbers, sizes, weights and money, per locale ---------------------------------------


def babel_name(locale: str) -> str:
    return BABEL_NAMES.get(locale, BABEL_NAMES[DEFAULT])


def format_utc(moment: datetime | None, locale: str) -> str:
    """``2026-11-23 14:05:09 UTC`` (en), ``2026年11月23日 14:05:09 UTC`` (zh-Hans); a naive time is UTC."""
    if moment is None:
        return "—"
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    pattern = DATETIME_PATTERNS.get(locale, DATETIME_PATTERNS[DEFAULT])
    return format_datetime(moment, pattern, tzinfo=UTC, locale=babel_name(locale)) + " UTC"


def format_count(number: Number, locale: str) -> str:
    """Grouped digits: ``3,001``."""
    return format_decimal(number, locale=babel_name(locale))


def format_bytes(number: int, locale: str, found: Catalogs) -> str:
    """``812 bytes`` / ``812 字节``, ``1.4 KiB``, ``3.0 MiB``."""
    if number < 1024:
        text = found.of(locale).ngettext("%(num)s byte", "%(num)s bytes", number)
        return text % {"num": format_count(number, locale)}
    value, unit = number / 1024, BYTE_UNITS[0]
    for bigger in BYTE_UNITS[1:]:
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{format_decimal(value, format='#,##0.0', locale=babel_name(locale))} {unit}"


def format_weight(amount: Number, locale: str, unit: Literal["kg", "t"] = "kg") -> str:
    """``1,234.5 kg``, ``12.25 t`` (up to three decimals: grams of a kilogram, kilograms of a tonne)."""
    return format_unit(amount, WEIGHT_UNITS[unit], length="short", format="#,##0.###", locale=babel_name(locale))


def format_money(amount: Number, currency: str, locale: str) -> str:
    """``CN¥1,234.50`` (en), ``¥1,234.50`` (zh-Hans), ``US$1,234.50`` (zh-Hans): the currency always shown."""
    return format_currency(amount, currency, locale=babel_name(locale))


# Messages that Python code gives the console ---------------------------------------------------------------

ERROR_SUMMARIES: dict[str, str] = {
    "not_found": N_("Nothing was found here: the address is wrong, or the record is outside the tenants you may "
                    "see."),
    "forbidden": N_("Your roles do not grant the permission that this page needs."),
    "csrf_failed": N_("The form's security token is missing or out of date. Reload the page and try again."),
    "sign_in_required": N_("Sign in first: this page needs a valid session."),
    "login_failed": N_("Wrong username or password."),
    "login_throttled": N_("Too many failed sign-ins. Wait a few minutes, then try again."),
    "invalid_request": N_("Some values in the request are not valid; the details below name them."),
    "invalid": N_("The input is not valid; the details below say why."),
    "empty_query": N_("Type an entry index or an event id."),
    "out_of_range": N_("The index or size asked for is beyond the log."),
    "empty_log": N_("The log is empty: no checkpoint has been signed yet."),
    "duplicate": N_("This exists already."),
    "weak_password": N_("The password is too weak: use at least 10 characters with upper- and lower-case letters "
                        "and a digit."),
    "already_revoked": N_("The token was revoked already."),
    "already_disabled": N_("The user is disabled already."),
    "cannot_disable_self": N_("You cannot disable your own account."),
    "cannot_demote_self": N_("You cannot take away your own right to manage users."),
    "beyond_own_permissions": N_("You cannot grant permissions that you do not hold yourself."),
    "unknown_role": N_("There is no such role."),
    "unknown_permission": N_("There is no such permission."),
    "subject_erased": N_("This person's personal data has been erased."),
    "method_not_allowed": N_("This address does not accept this kind of request."),
    "too_large": N_("The request is too large."),
    "verification_failed": N_("Verification failed: the record does not match what was signed."),
    "internal": N_("The server could not answer this request. The operator's log has the details."),
}
STATUS_SUMMARIES: dict[int, str] = {
    401: ERROR_SUMMARIES["sign_in_required"],
    403: N_("This request is not allowed."),
    404: ERROR_SUMMARIES["not_found"],
    500: ERROR_SUMMARIES["internal"],
}
OTHER_ERROR = N_("This request cannot be answered as it was sent.")

ROLE_DESCRIPTIONS: dict[str, str] = {  # the descriptions of reetrace.authz.permissions.ROLES, word for word
    "viewer": N_("reads the log and master data"),
    "analyst": N_("works cases: contacts, notes"),
    "auditor": N_("checks the log and the audit trail"),
    "tenant_admin": N_("manages the users and tokens of the tenant"),
    "supervisor": N_("an authority's officer: reads the supervised tenants"),
    "security_officer": N_("an enterprise's security officer: staff, passports and travel"),
    "group_security": N_("a group's security office: watch list and travel endorsements"),
}


def error_summary(error: Error) -> str:
    """The console's message (a catalog id) for an error: by its stable code, else by its HTTP status."""
    if error.code in ERROR_SUMMARIES:
        return ERROR_SUMMARIES[error.code]
    status = 500 if error.http_status >= 500 else error.http_status
    return STATUS_SUMMARIES.get(status, OTHER_ERROR)


def role_description(name: str, description: str) -> str:
    """The catalog id of a role's description, or the description as it is when the catalog does not know it."""
    known = ROLE_DESCRIPTIONS.get(name)
    return known if known == description else description


# The template environment ----------------------------------------------------------------------------------


def context_locale(context: Context) -> str:
    locale = context.get("locale")
    return locale if isinstance(locale, str) and locale in SUPPORTED else DEFAULT


def install(env: Environment, found: Catalogs) -> None:
    """Translations and formatting filters that follow each render's ``locale``."""

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return found.gettext(context_locale(context), message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
        return found.ngettext(context_locale(context), singular, plural, n)

    @pass_context
    def utc(context: Context, moment: datetime | None) -> str:
        return format_utc(moment, context_locale(context))

    @pass_context
    def utc_timestamp(context: Context, seconds: int) -> str:
        return format_utc(datetime.fromtimestamp(seconds, UTC), context_locale(context))

    @pass_context
    def count(context: Context, number: Number) -> str:
        return format_count(number, context_locale(context))

    @pass_context
    def byte_size(context: Context, number: int) -> str:
        return format_bytes(number, context_locale(context), found)

    @pass_context
    def weight(context: Context, amount: Number, unit: Literal["kg", "t"] = "kg") -> str:
        return format_weight(amount, context_locale(context), unit)

    @pass_context
    def money(context: Context, amount: Number, currency: str) -> str:
        return format_money(amount, currency, context_locale(context))

    @pass_context
    def describe_role(context: Context, role: Any) -> str:
        return found.gettext(context_locale(context), role_description(role.name, role.description))

    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(utc=utc, utc_timestamp=utc_timestamp, count=count, byte_size=byte_size, weight=weight,
                       money=money)
    env.globals.update(describe_role=describe_role)
