"""The console's language: the user's setting, else Accept-Language, else English (the seam for the catalogs)."""

from __future__ import annotations

import pytest
from authz_world import World

from reetrace.web.locale import choose_locale, from_accept_language


@pytest.mark.parametrize(("header", "expected"), [
    (None, None),
    ("", None),
    ("en-GB,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
    ("zh-Hans-CN", "zh-Hans"),
    ("zh-TW,zh-Hant;q=0.9,en;q=0.5", "en"),
    ("fr-FR,de;q=0.9", None),
    ("en;q=0.4,zh;q=0.8", "zh-Hans"),
    ("zh;q=0,en;q=0.1", "en"),
    ("*", None),
    ("zh;q=abc,en", "en"),
])
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_the_user_setting_wins() -> None:
    assert choose_locale("zh-Hans", "en") == "zh-Hans"
    assert choose_locale(None, "zh-CN") == "zh-Hans"
    assert choose_locale("xx", None) == "en"


def test_pages_carry_the_locale(fresh_authz_world: World) -> None:
    world = fresh_authz_world
    anonymous = world.client()
    assert '<html lang="zh-Hans">' in anonymous.get("/login", headers={"Accept-Language": "zh-CN,zh"}).text
    assert '<html lang="en">' in anonymous.get("/login").text
    client = world.session("anna")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text  # her setting: en
    response = client.post("/account/locale", data={"locale": "zh-Hans", "next": "/registry/enterprises"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/registry/enterprises"
    assert '<html lang="zh-Hans">' in client.get("/").text
    assert client.get("/api/v1/me").json()["locale"] == "zh-Hans"
    assert client.post("/account/locale", data={"locale": "fr"}).status_code == 400
