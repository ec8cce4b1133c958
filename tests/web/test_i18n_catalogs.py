"""The catalogs: every console string has an English and a Simplified Chinese translation, and the .pot follows
the sources, so that a new string cannot slip into the console untranslated.

The sources are extracted here in memory, exactly as ``babel.cfg`` says (the mapping file is read, not copied).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from reetrace.authz.permissions import ROLES
from reetrace.authz.sessions import LoginRefused, LoginThrottled
from reetrace.web.auth import CsrfFailed, Forbidden
from reetrace.web.deps import SignInRequired
from reetrace.web.errors import internal_error, validation_error
from reetrace.web.i18n import (
    BABEL_NAMES,
    ERROR_SUMMARIES,
    POT,
    ROLE_DESCRIPTIONS,
    load_catalogs,
    po_path,
    read_catalog,
)
from reetrace.web.locale import SUPPORTED

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "reetrace" / "web"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MessageId = str | tuple[str, ...]


def key(message_id: str | Sequence[str]) -> str:
    """A message's identity: its msgid (the singular, for a plural message)."""
    return message_id if isinstance(message_id, str) else message_id[0]


def as_id(message_id: str | Sequence[str]) -> MessageId:
    return message_id if isinstance(message_id, str) else tuple(message_id)


@cache
def extracted() -> dict[str, MessageId]:
    """What the sources ask to translate, extracted with the mapping of ``babel.cfg``."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]

    def under_web(path: str) -> bool:  # walk only src/reetrace/web and the folders leading to it
        here = Path(path).resolve()
        inside = here == WEB or WEB in here.parents or here in WEB.parents
        return inside and not here.name.startswith((".", "_"))

    found: dict[str, MessageId] = {}
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, directory_filter=under_web):
        found[key(message)] = as_id(message)
    return found


def catalog_messages(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


@pytest.fixture(scope="module", params=SUPPORTED)
def po(request: pytest.FixtureRequest) -> tuple[str, Catalog]:
    locale = str(request.param)
    return locale, read_catalog(po_path(locale), BABEL_NAMES[locale])


def test_extraction_finds_templates_and_python() -> None:
    found = extracted()
    assert "Dashboard" in found and "Sign in" in found  # templates
    assert found["%(num)s entry"] == ("%(num)s entry", "%(num)s entries")  # ngettext in a template
    assert ERROR_SUMMARIES["forbidden"] in found and found["%(num)s byte"] == ("%(num)s byte", "%(num)s bytes")


def test_the_pot_is_up_to_date_with_the_sources() -> None:
    pot = {key(m.id): as_id(m.id) for m in catalog_messages(read_catalog(POT))}
    found = extracted()
    assert sorted(set(found) - set(pot)) == [], "new strings: run the pybabel extract and update in babel.cfg"
    assert sorted(set(pot) - set(found)) == [], "strings gone from the sources: re-extract the .pot (babel.cfg)"
    assert pot == found, "a message changed between singular and plural"


def test_every_message_is_translated(po: tuple[str, Catalog]) -> None:
    locale, catalog = po
    messages = {key(m.id): m for m in catalog_messages(catalog)}
    assert sorted(set(extracted()) - set(messages)) == [], f"{locale}: run pybabel update (babel.cfg)"
    assert sorted(set(messages) - set(extracted())) == [], f"{locale}: messages no source uses any more"
    untranslated = [k for k, m in messages.items() if not all(s.strip() for s in strings(m))]
    assert untranslated == [], f"{locale}: no translation for {untranslated}"
    assert [k for k, m in messages.items() if m.fuzzy] == [], f"{locale}: fuzzy entries (review, then unmark)"
    assert not catalog.obsolete, f"{locale}: obsolete entries: {list(catalog.obsolete)}"
    assert not catalog.fuzzy, f"{locale}: the catalog header is marked fuzzy"
    plurals = 2 if locale == "en" else 1
    assert catalog.num_plurals == plurals
    assert all(len(strings(m)) == plurals for m in messages.values() if m.pluralizable)


def strings(message: Message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string or ())


def test_translations_keep_the_placeholders(po: tuple[str, Catalog]) -> None:
    """Each translation uses exactly the placeholders of its msgid, and interpolates without error."""
    locale, catalog = po
    for message in catalog_messages(catalog):
        ids = (message.id,) if isinstance(message.id, str) else message.id
        names = {n for i in ids for n in PLACEHOLDER.findall(i)}
        for text in filter(None, strings(message)):  # an empty one is test_every_message_is_translated's
            assert set(PLACEHOLDER.findall(text)) == names, f"{locale}: {message.id!r} -> {text!r}"
            assert text % {n: "x" for n in names}
    assert [errors for _, errors in catalog.check() if errors] == []


def test_english_translations_are_the_source_text() -> None:
    catalog = read_catalog(po_path("en"), "en")
    for message in catalog_messages(catalog):
        ids = (message.id,) if isinstance(message.id, str) else message.id
        assert strings(message) == ids, f"en: {message.id!r} differs from its source text: intended?"


def test_chinese_translations_are_chinese() -> None:
    catalog = read_catalog(po_path("zh-Hans"), "zh_Hans")
    identical = [m.id for m in catalog_messages(catalog) if strings(m)[0] == key(m.id) and m.id not in ("IP",)]
    assert identical == []
    assert [m.id for m in catalog_messages(catalog) if not re.search(r"[\u4e00-\u9fff]", strings(m)[0])] == []


def test_catalogs_load_and_fall_back_to_english() -> None:
    loaded = load_catalogs()
    assert loaded.gettext("zh-Hans", "Dashboard") == "总览"
    assert loaded.ngettext("zh-Hans", "%(num)s entry", "%(num)s entries", 1) == "%(num)s 个条目"
    assert loaded.ngettext("en", "%(num)s entry", "%(num)s entries", 1) == "%(num)s entry"
    assert loaded.gettext("fr", "Dashboard") == "Dashboard"
    assert loaded.gettext("zh-Hans", "not a catalog message") == "not a catalog message"


def test_the_common_console_errors_have_translated_messages() -> None:
    codes = {CsrfFailed().code, Forbidden("log:entry:read").code, SignInRequired().code, LoginRefused().code,
             LoginThrottled(5).code, validation_error([]).code, internal_error().code, "not_found"}
    assert sorted(codes - set(ERROR_SUMMARIES)) == []


def test_role_descriptions_follow_the_roles() -> None:
    """The catalog holds the roles' descriptions word for word; a changed description must be re-translated."""
    assert {name: role.description for name, role in ROLES.items()} == ROLE_DESCRIPTIONS
