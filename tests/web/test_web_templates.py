"""Every string a template shows goes through ``_()``; the translation seam really is used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from web_world import World

from reetrace.web.console.render import TEMPLATES

JINJA = re.compile(r"{#.*?#}|{{.*?}}|{%.*?%}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
TEXT_ATTRIBUTE = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
ALLOWED = {"reetrace", "·", "›", "←", "→", "—", "…"}


def visible_words(template: str) -> list[str]:
    without_jinja = JINJA.sub(" ", template)
    return [w for w in TAG.sub(" ", without_jinja).split() if w not in ALLOWED and not w.startswith("&")]


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_no_bare_text_in_templates(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert visible_words(source) == [], f"{path.name}: wrap visible text in _()"
    for value in TEXT_ATTRIBUTE.findall(source):
        assert not value or value.startswith("{{"), f"{path.name}: attribute text {value!r} needs _()"


def test_translations_reach_every_page(log_world: World) -> None:
    """Install a fake catalog that brackets every message: the brackets must show up on each page."""
    env: Any = log_world.client.app.state.templates.env  # type: ignore[attr-defined]

    def gettext(message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"

    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    try:
        for url in ("/", "/log/entries/3", "/log/checkpoints", "/no-such-page"):
            page = log_world.client.get(url).text
            assert "⟦Dashboard⟧" in page and "⟦Look up⟧" in page, url
        assert "⟦%(n)s entries⟧" not in log_world.client.get("/").text  # interpolation happens after translating
    finally:
        env.install_null_translations(newstyle=True)
