"""The console in a real browser: the overview, following an entry, the verdict, the lookup form, a screenshot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_site import ENTRIES, WITNESSES, Site

from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")


def test_overview_entry_and_lookup(site: Site, page: Any) -> None:
    response = page.goto(site.url + "/")
    assert response is not None and response.status == 200
    assert page.locator("#log-size").get_attribute("data-size") == str(ENTRIES)
    assert page.locator("#log-size").inner_text() == f"{ENTRIES:,} entries"
    with read_transaction(site.container.engine) as conn:
        root = LogReader(conn).root().hex()
    assert page.locator("#log-root").inner_text() == root
    assert page.locator("#recent-entries tbody tr").count() == 20
    cosignatures = page.locator("table.cosignatures tbody tr")
    assert cosignatures.count() == len(WITNESSES)
    assert sorted(cosignatures.locator("td:first-child").all_inner_texts()) == sorted(WITNESSES)
    assert cosignatures.locator(".badge.ok").count() == len(WITNESSES)
    page.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=True)

    page.locator("#recent-entries a.entry-link").nth(2).click()
    page.wait_for_url(re.compile(rf"/log/entries/{ENTRIES - 3}$"))
    assert page.locator("#verdict .badge").inner_text() == "verified"
    assert "batch inspection" in page.locator("pre.event-json").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "console-entry.png"), full_page=True)

    page.fill("#q", site.event_ids[42])
    page.click("form.lookup button[type=submit]")
    page.wait_for_url(re.compile(r"/log/entries/42$"))
    assert page.locator("#event-id").inner_text() == site.event_ids[42]
    assert page.locator("#verdict .badge").inner_text() == "verified"

    page.fill("#q", "7")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/log/entries/7$"))
    assert page.locator("h1").inner_text() == "Entry 7"


def test_unknown_entry_shows_the_error_page(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    page.fill("#q", "no-such-event")
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Not found"
    assert "no entry with event id 'no-such-event'" in page.locator("#error-message").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "console-error.png"), full_page=True)


def test_checkpoints_page(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    page.click("nav.nav >> text=Checkpoints")
    page.wait_for_url(re.compile(r"/log/checkpoints$"))
    assert page.locator("#checkpoints tbody tr").count() == 3  # batches of 100, 100, 50
    page.locator("#checkpoints details summary").first.click()
    assert page.locator("#checkpoints details pre").first.is_visible()
