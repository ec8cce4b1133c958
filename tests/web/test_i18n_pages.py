"""Pages in the user's language: Simplified Chinese for a zh-Hans user, Accept-Language or the ``?lang=`` choice
for visitors, error pages in the language of whoever sees them, dates and numbers formatted per locale."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from authz_world import ENTERPRISE, PASSWORD, World, login_csrf_of
from fastapi.testclient import TestClient

from reetrace.authz.service import set_locale
from reetrace.web.i18n import (
    ERROR_SUMMARIES,
    format_bytes,
    format_count,
    format_money,
    format_utc,
    format_weight,
    load_catalogs,
    po_path,
    read_catalog,
)
from reetrace.web.locale import LANG_COOKIE

CHINESE_USERS = ("anna", "alice")  # anna: viewer of group-a; alice: its tenant admin
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S)
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.fixture(scope="module")
def world(authz_world: World) -> World:
    with authz_world.container.unit_of_work() as (uow, _):
        for username in CHINESE_USERS:
            set_locale(uow, username, authz_world.user_ids[username], "zh-Hans")
    return authz_world


def visible_text(page: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", page)).split())


def english_phrases() -> list[str]:
    """The catalog's English texts of two words or more (placeholders cut out), longest first."""
    phrases: set[str] = set()
    for message in read_catalog(po_path("en"), "en"):
        for text in (message.id,) if isinstance(message.id, str) else message.id:
            phrases.update(p.strip(" .:()") for p in PLACEHOLDER.split(text) if len(p.split()) >= 2)
    return sorted(phrases - {""}, key=len, reverse=True)


def english_left(page: str) -> list[str]:
    text = visible_text(page)
    return [p for p in english_phrases() if re.search(r"(?<!\w)" + re.escape(p) + r"(?!\w)", text)]


def get(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == status, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


def chinese_pages(world: World) -> Iterator[tuple[str, str]]:
    anna, alice = world.session("anna"), world.session("alice")
    note = world.notes["group-a"]
    for url in ("/", "/log/checkpoints", "/registry/enterprises", f"/registry/enterprises/{ENTERPRISE['group-a']}",
                f"/log/entries/{note}"):
        yield url, get(anna, url)
    for url in ("/admin/users", "/tokens", "/audit"):
        yield url, get(alice, url)


def test_a_chinese_users_pages_are_in_chinese(world: World) -> None:
    for url, page in chinese_pages(world):
        assert '<html lang="zh-Hans">' in page, url
        assert english_left(page) == [], url
        assert "总览" in page and "退出登录" in page and "切换语言" in page, url


def test_the_dashboard_in_chinese(world: World) -> None:
    page = get(world.session("anna"), "/")
    for text in ("<h1>总览</h1>", "日志大小", "最新检查点", "签名文本", "最近事件", "各类型条目数", "暂无告警。",
                 "您可查看的租户："):
        assert text in page, text
    assert re.search(r'data-size="\d+">\d+ 个条目<', page)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d UTC", page)
    assert '<option value="zh-Hans" lang="zh-Hans" selected>中文</option>' in page


def test_an_english_users_pages_stay_in_english(world: World) -> None:
    page = get(world.session("adam"), "/")
    assert '<html lang="en">' in page and "<h1>Dashboard</h1>" in page and "Log size" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page) and "个条目" not in page


def test_the_users_page_in_chinese(world: World) -> None:
    page = get(world.session("alice"), "/admin/users")
    assert "查看日志和主数据" in page and "reads the log and master data" not in page  # role descriptions
    assert "简体中文" in page and "英语" in page  # each user's language, named in the reader's language


def test_the_login_page_follows_accept_language(world: World) -> None:
    visitor = world.client()
    page = get(visitor, "/login")
    assert '<html lang="en">' in page and "Sign in" in page and "用户名" not in page
    page = visitor.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert '<html lang="zh-Hans">' in page and "<h1>登录</h1>" in page and "用户名" in page and "密码" in page
    assert english_left(page) == []
    page = visitor.get("/login", headers={"Accept-Language": "zh-TW,zh-Hant;q=0.9"}).text
    assert '<html lang="en">' in page  # traditional Chinese is not offered: English


def test_a_visitor_chooses_the_language_with_lang(world: World) -> None:
    visitor = world.client()
    response = visitor.get("/login?next=%2Faudit&lang=zh-Hans", headers={"Accept-Language": "en"})
    assert "<h1>登录</h1>" in response.text
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{LANG_COOKIE}="))
    assert cookie.startswith(f"{LANG_COOKIE}=zh-Hans;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert 'name="next" value="/audit"' in response.text
    assert 'href="/login?next=%2Faudit&amp;lang=en"' in response.text  # the switch back keeps ``next``
    assert "<h1>登录</h1>" in visitor.get("/login", headers={"Accept-Language": "en"}).text  # the cookie stays
    assert "<h1>Sign in</h1>" in visitor.get("/login?lang=en").text
    assert "<h1>Sign in</h1>" in visitor.get("/login", headers={"Accept-Language": "zh-CN"}).text
    assert "<h1>Sign in</h1>" in world.client().get("/login?lang=fr").text
    assert LANG_COOKIE not in world.client().get("/login?lang=fr").headers.get("set-cookie", "")


def test_the_users_setting_beats_the_visitors_choice(world: World) -> None:
    adam = world.session("adam")
    adam.cookies.set(LANG_COOKIE, "zh-Hans")
    response = adam.get("/?lang=zh-Hans")
    assert "<h1>Dashboard</h1>" in response.text
    assert f"{LANG_COOKIE}=en;" in response.headers["set-cookie"]  # the login page after sign-out: English
    assert response.headers["content-language"] == "en"


def test_a_failed_sign_in_is_explained_in_chinese(world: World) -> None:
    visitor = world.client()
    visitor.headers["Accept-Language"] = "zh-CN"
    token = login_csrf_of(visitor.get("/login").text)
    page = visitor.post("/login", data={"username": "anna", "password": "Wrong-password-1", "csrf_token": token}).text
    assert "用户名或密码错误。" in page and "Wrong username or password" not in page
    page = visitor.post("/login", data={"username": "adam", "password": PASSWORD, "csrf_token": "forged"}).text
    assert "表单的安全令牌缺失或已过期" in page and "<h1>拒绝访问</h1>" in page


@pytest.mark.parametrize(("url", "status", "code", "heading"), [
    (f"/registry/enterprises/{ENTERPRISE['group-b']}", 404, "not_found", "未找到"),  # another tenant's object
    ("/log/entries/abc", 400, "invalid_request", "无法处理此请求"),
    ("/log/lookup?q=", 400, "empty_query", "无法处理此请求"),
    ("/audit", 403, "forbidden", "拒绝访问"),
])
def test_error_pages_speak_the_users_language(world: World, url: str, status: int, code: str, heading: str) -> None:
    page = get(world.session("anna"), url, status)
    summary = load_catalogs().gettext("zh-Hans", ERROR_SUMMARIES[code])
    assert f"<h1>{heading}</h1>" in page and f'<p id="error-summary">{summary}</p>' in page
    assert f"HTTP 状态 {status} · 错误代码 {code}" in page and "详细信息（英文）：" in page
    english = get(world.session("adam"), url, status)
    assert f'<p id="error-summary">{html.escape(ERROR_SUMMARIES[code], quote=True)}</p>' in english


def test_a_form_without_its_token_is_refused_in_chinese(world: World) -> None:
    anna = world.session("anna")
    anna.headers.pop("X-CSRF-Token")
    page = anna.post("/account/locale", data={"locale": "en"}, follow_redirects=False).text
    assert "<h1>拒绝访问</h1>" in page and "表单的安全令牌缺失或已过期。请刷新页面后重试。" in page
    assert "the form's security token is missing or wrong" in html.unescape(page)  # the English details


def test_an_unknown_address_answers_in_the_language_the_browser_remembers(world: World) -> None:
    """No route, no principal: the ``rt_lang`` cookie left by the user's last page chooses the language."""
    anna = world.session("anna")
    get(anna, "/")
    assert anna.cookies.get(LANG_COOKIE) == "zh-Hans"
    page = get(anna, "/no-such-page", 404)
    assert "<h1>未找到</h1>" in page and "nothing here: /no-such-page" in page


def test_error_details_are_escaped(world: World) -> None:
    page = get(world.session("anna"), "/log/lookup?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<h1>未找到</h1>" in page


def test_two_languages_render_side_by_side(world: World) -> None:
    """Translations follow each render's own locale: concurrent requests never see each other's language."""
    clients = {"anna": world.session("anna"), "adam": world.session("adam")}

    def language_of(username: str) -> tuple[str, bool, bool]:
        page = clients[username].get("/").text
        return username, "<h1>总览</h1>" in page, "<h1>Dashboard</h1>" in page

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(language_of, ["anna", "adam"] * 12))
    assert all((chinese, english) == (name == "anna", name == "adam") for name, chinese, english in results), results


# Formatting ---------------------------------------------------------------------------------------------------

MOMENT = datetime(2026, 3, 1, 17, 59, 7, tzinfo=UTC)


def test_times_are_utc_in_each_locales_form() -> None:
    assert format_utc(MOMENT, "en") == "2026-03-01 17:59:07 UTC"
    assert format_utc(MOMENT, "zh-Hans") == "2026年3月1日 17:59:07 UTC"
    assert format_utc(MOMENT.replace(tzinfo=None), "en") == "2026-03-01 17:59:07 UTC"  # SQLite: naive is UTC
    from zoneinfo import ZoneInfo

    assert format_utc(MOMENT.astimezone(ZoneInfo("Asia/Shanghai")), "zh-Hans") == "2026年3月1日 17:59:07 UTC"
    assert format_utc(None, "zh-Hans") == "—"


def test_numbers_sizes_weights_and_money_carry_units() -> None:
    found = load_catalogs()
    assert format_count(3001, "en") == "3,001" and format_count(1234567, "zh-Hans") == "1,234,567"
    assert format_bytes(1, "en", found) == "1 byte" and format_bytes(812, "en", found) == "812 bytes"
    assert format_bytes(812, "zh-Hans", found) == "812 字节"
    assert format_bytes(1434, "en", found) == "1.4 KiB" and format_bytes(3 * 1024**2, "zh-Hans", found) == "3.0 MiB"
    assert format_bytes(5 * 1024**5, "en", found) == "5,120.0 TiB"
    assert format_weight(Decimal("1234.5"), "en") == "1,234.5 kg"
    assert format_weight(12.25, "zh-Hans", "t") == "12.25 t"
    assert format_weight(Decimal("0.0004"), "en") == "0 kg"  # three decimals: to the gram
    assert format_money(Decimal("1234.5"), "CNY", "en") == "CN¥1,234.50"
    assert format_money(Decimal("1234.5"), "CNY", "zh-Hans") == "¥1,234.50"
    assert format_money(99, "USD", "zh-Hans") == "US$99.00"
