"""The language switch in a real browser: a visitor's 中文 link on the login page, then an English user who
switches the console to Simplified Chinese, keeps it across a reload and across pages, and switches back.

Screenshots of the Chinese pages: /tmp/rt-zh-*.png. The user is made here (a viewer of group-north) so that
the other browser tests' users keep their language whatever happens in this one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_site import PASSWORD, Site

from reetrace.authz.passwords import Passwords
from reetrace.authz.service import add_user
from reetrace.errors import Error

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")
USERNAME = "lang.reader"


@pytest.fixture
def english_user(site: Site) -> str:
    try:
        with site.container.unit_of_work() as (uow, vault):
            add_user(uow, vault, Passwords("low"), "setup", "group-north", USERNAME, "Lang Reader", ["viewer"],
                     PASSWORD, locale="en")
    except Error as exc:
        if exc.code != "duplicate":
            raise
    return USERNAME


def heading(page: Any) -> str:
    text: str = page.locator("h1").inner_text()
    return text


def test_switch_to_chinese_and_back(site: Site, page: Any, english_user: str) -> None:
    page.goto(site.url + "/login")
    assert heading(page) == "Sign in" and page.locator("html").get_attribute("lang") == "en"
    page.click("#languages a[lang=zh-Hans]")  # a visitor's choice: ?lang=zh-Hans, remembered in a cookie
    page.wait_for_url(re.compile(r"/login\?lang=zh-Hans$"))
    assert heading(page) == "登录" and page.locator("label[for=username]").inner_text() == "用户名"
    page.screenshot(path=str(SHOTS / "rt-zh-login.png"), full_page=True)

    page.fill("#username", english_user)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/$"))
    assert heading(page) == "Dashboard"  # the user's own setting (English) wins over the visitor's choice

    page.select_option("#locale", "zh-Hans")
    page.click("#change-language")
    page.wait_for_url(re.compile(r"/$"))
    assert_dashboard_in_chinese(page)
    page.screenshot(path=str(SHOTS / "rt-zh-dashboard.png"), full_page=True)
    page.reload()
    assert_dashboard_in_chinese(page)

    page.click("nav.nav >> text=检查点")
    page.wait_for_url(re.compile(r"/log/checkpoints$"))
    assert heading(page) == "检查点" and page.locator("#checkpoints .badge").first.inner_text() == "已验证"
    page.screenshot(path=str(SHOTS / "rt-zh-checkpoints.png"), full_page=True)
    page.goto(site.url + "/")
    page.locator("#recent-entries a.entry-link").first.click()
    page.wait_for_url(re.compile(r"/log/entries/\d+$"))
    assert heading(page).startswith("条目 ") and page.locator("#verdict .badge").inner_text() == "已验证"
    assert re.search(r"\d+ 字节$", page.locator("dl.facts dd").last.inner_text())
    page.screenshot(path=str(SHOTS / "rt-zh-entry.png"), full_page=True)
    response = page.goto(site.url + "/registry/enterprises/JX-GANZHOU-11")  # group-south: not in her scope
    assert response is not None and response.status == 404
    assert heading(page) == "未找到" and "不在您可查看的租户范围内" in page.locator("#error-summary").inner_text()
    page.screenshot(path=str(SHOTS / "rt-zh-error.png"), full_page=True)

    page.goto(site.url + "/")
    page.select_option("#locale", "en")
    page.click("#change-language")
    page.wait_for_url(re.compile(r"/$"))
    assert heading(page) == "Dashboard" and page.locator("html").get_attribute("lang") == "en"
    page.reload()
    assert heading(page) == "Dashboard"
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))
    assert heading(page) == "Sign in"  # the browser now remembers the user's English


def assert_dashboard_in_chinese(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert heading(page) == "总览"
    assert re.fullmatch(r"[\d,]+ 个条目", page.locator("#log-size").inner_text())
    assert page.locator("#alerts h2").inner_text() == "告警"
    assert page.locator("#change-language").inner_text() == "切换语言"
    assert page.locator("#locale option:checked").inner_text() == "中文"
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d UTC", page.locator("#recent-entries").inner_text())
