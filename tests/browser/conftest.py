"""A real server on loopback (uvicorn in a thread) over a temporary log, and Debian's Chromium via Playwright.

The browser is never downloaded: without ``/usr/bin/chromium`` the tests skip with the reason, except on CI
(``CI=true``), where a missing browser is a failure. Chromium is launched once per xdist worker.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser_site import PASSWORD, Site, add_accounts, cosign, free_port, seed

from reetrace.container import build_container
from reetrace.settings import load_settings
from reetrace.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("browser-home")
    container = build_container(load_settings(environ={}, home=home, password_cost="low"))
    ids = seed(container)
    add_accounts(container)
    cosign(container)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 10 s")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", container, ids)
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium); never downloaded"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a missing browser is a failure)", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="UTC")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture
def sign_in(site: Site, page: Any) -> Any:
    """``sign_in(username)``: through the login form, as a person would; lands on the dashboard."""

    def go(username: str, next_path: str = "") -> None:
        page.goto(site.url + "/login" + (f"?next={next_path}" if next_path else ""))
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()[:500]

    return go

