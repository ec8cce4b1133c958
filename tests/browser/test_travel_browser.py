"""Travel approval in a real browser: a request through two approvals (enterprise, then group), a refusal whose
reason shows on the page, and a debrief after the return (screenshots in /tmp/rt-travel-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_site import Site
from travel_site import TravelSite, plant, submit

from reetrace.web.travelview import today

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def travel(site: Site) -> TravelSite:
    return plant(site.container)


def test_a_request_goes_through_two_approvals(site: Site, travel: TravelSite, page: Any, sign_in: Any) -> None:
    sign_in("north.security", "/personnel/travel/new")
    page.wait_for_url(re.compile(r"/personnel/travel/new$"))
    start = today() + timedelta(days=14)
    page.fill("#person_id", travel.persons[0])
    page.fill("#destinations", "HK")
    page.fill("#depart_on", str(start))
    page.fill("#return_on", str(start + timedelta(days=4)))
    page.select_option("#purpose", "conference")
    page.fill("#inviting_organisation", "Hong Kong Magnetics Forum")
    page.locator("input[name=contact_name]").first.fill("Jane Roe")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/personnel/travel/travel-[0-9a-f]{32}\?notice=submitted$"))
    url = page.url.split("?")[0]
    assert page.locator("#status").inner_text() == "pending"
    assert "Hong Kong (HK, tier 2)" in page.locator("#destinations").inner_text()
    page.click("#approve")
    page.wait_for_url(re.compile(r"\?notice=acted$"))
    assert "north.security" in page.locator("#step-1").inner_text()
    assert page.locator("#act-form").count() == 0  # the group level is next, and needs another person
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login$"))

    sign_in("north.group", url.removeprefix(site.url))
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    page.fill("#reason", "invitation verified with the forum")
    page.click("#approve")
    page.wait_for_url(re.compile(r"\?notice=acted$"))
    assert page.locator("#status").inner_text() == "approved"
    assert "invitation verified with the forum" in page.locator("#step-2").inner_text()
    page.screenshot(path=str(SHOTS / "rt-travel-approved.png"), full_page=True)


def test_a_refusal_shows_its_reason(site: Site, travel: TravelSite, page: Any, sign_in: Any) -> None:
    request_id = submit(site.container, travel.persons[0], today())
    sign_in("north.security", f"/personnel/travel/{request_id}")
    page.click("#refuse")  # without a reason: the page says what is missing, nothing is recorded
    assert "a refusal needs a reason" in page.locator("#act-error").inner_text()
    assert page.locator("#status").inner_text() == "pending"
    page.fill("#reason", "no business need for this trip")
    page.click("#refuse")
    page.wait_for_url(re.compile(r"\?notice=acted$"))
    assert page.locator("#status").inner_text() == "refused"
    assert page.locator("#step-1 .reason").inner_text() == "no business need for this trip"
    page.screenshot(path=str(SHOTS / "rt-travel-refused.png"), full_page=True)


def test_a_debrief_after_the_return(site: Site, travel: TravelSite, page: Any, sign_in: Any) -> None:
    sign_in("north.security", f"/personnel/travel/{travel.past_trip}")
    assert page.locator("#status").inner_text() == "approved"
    page.fill("#actual_destinations", "HK MO")
    page.fill("#actual_return_on", str(today()))
    page.fill("#notes", "met the distributor as planned")
    page.click("#record-debrief")
    page.wait_for_url(re.compile(r"\?notice=debriefed$"))
    assert page.locator("#status").inner_text() == "completed"
    assert page.locator("#actual-destinations").inner_text() == "HK, MO"
    assert "MO" in page.locator("#deviations").inner_text()
    page.screenshot(path=str(SHOTS / "rt-travel-debrief.png"), full_page=True)
