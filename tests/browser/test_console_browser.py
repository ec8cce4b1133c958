"""The console in a real browser: the dashboard, following an entry, the verdict, the lookup form, screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_site import WITNESSES, Site, cosign
from sqlalchemy import func, select

from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader
from reetrace.storage.tables import log_checkpoints

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")


def test_overview_entry_and_lookup(site: Site, page: Any, sign_in: Any) -> None:
    sign_in("officer")  # signing in is an audit event: a new checkpoint, which the witnesses now cosign
    cosign(site.container)
    page.reload()
    with read_transaction(site.container.engine) as conn:
        size, root = LogReader(conn).size(), LogReader(conn).root().hex()
    assert page.locator("#log-size").get_attribute("data-size") == str(size)
    assert page.locator("#log-size").inner_text() == f"{size:,} entries"
    assert page.locator("#log-root").inner_text() == root
    assert page.locator("#recent-entries tbody tr").count() == 20
    assert page.locator("#alerts").inner_text().endswith("No alerts yet.")
    cosignatures = page.locator("table.cosignatures tbody tr")
    assert cosignatures.count() == len(WITNESSES)
    assert sorted(cosignatures.locator("td:first-child").all_inner_texts()) == sorted(WITNESSES)
    assert cosignatures.locator(".badge.ok").count() == len(WITNESSES)
    page.screenshot(path=str(SCREENSHOTS / "rt-dashboard.png"), full_page=True)

    link = page.locator("#recent-entries a.entry-link").nth(2)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    assert page.locator("#verdict .badge").inner_text() == "verified"
    page.screenshot(path=str(SCREENSHOTS / "rt-entry.png"), full_page=True)

    page.fill("#q", site.event_ids[42])
    page.click("form.lookup button[type=submit]")
    page.wait_for_url(re.compile(r"/log/entries/42$"))
    assert page.locator("#event-id").inner_text() == site.event_ids[42]
    assert page.locator("#verdict .badge").inner_text() == "verified"
    assert "batch inspection 42" in page.locator("pre.event-json").inner_text()

    page.fill("#q", "7")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/log/entries/7$"))
    assert page.locator("h1").inner_text() == "Entry 7"


def test_unknown_entry_shows_the_error_page(site: Site, page: Any, sign_in: Any) -> None:
    sign_in("officer")
    page.fill("#q", "no-such-event")
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Not found"
    assert "no entry with event id 'no-such-event'" in page.locator("#error-message").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "rt-error.png"), full_page=True)


def test_checkpoints_page(site: Site, page: Any, sign_in: Any) -> None:
    sign_in("officer")
    page.click("nav.nav >> text=Checkpoints")
    page.wait_for_url(re.compile(r"/log/checkpoints$"))
    with read_transaction(site.container.engine) as conn:
        signed = conn.execute(select(func.count()).select_from(log_checkpoints)).scalar_one()
    assert page.locator("#checkpoints tbody tr").count() == min(signed, 50)
    page.locator("#checkpoints details summary").first.click()
    assert page.locator("#checkpoints details pre").first.is_visible()
