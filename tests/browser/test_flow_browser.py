"""Flow import in a real browser: a security officer uploads an EPCIS 2.0 document through the import page, sees
what was stored, follows the lot to its trace graph; a document with an unknown lot is refused with the event and
field named, and nothing is stored; the late April report handed in from the reports page (screenshots in
/tmp/rt-flow-*.png)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from browser_site import ENTERPRISES, PASSWORD, Site

from reetrace.authz import service
from reetrace.authz.passwords import Passwords
from reetrace.storage.engine import read_transaction
from reetrace.storage.logread import LogReader

pytestmark = pytest.mark.browser
TENANT = "group-north"
ENTERPRISE = ENTERPRISES[TENANT][0]


@pytest.fixture(scope="module")
def officer(site: Site) -> str:
    with site.container.unit_of_work() as (uow, vault):
        service.add_user(uow, vault, Passwords("low"), "setup", TENANT, "north.flow", "North Flow",
                         ["security_officer"], PASSWORD)
    return "north.flow"


def epcis(events: list[dict[str, Any]]) -> str:
    return json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                    {"reetrace": "https://reetrace.org/voc/flow/"}],
                       "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-04-30T00:00:00Z",
                       "epcisBody": {"eventList": events}})


def mined(lot: str) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "ADD", "eventTime": "2026-04-02T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00", "bizStep": "commissioning", "reetrace:processStep": "mining",
            "quantityList": [{"epcClass": f"urn:reetrace:lot:{lot}", "quantity": 900, "uom": "KGM"}],
            "ilmd": {"reetrace:lotMasterData": [{"lot": f"urn:reetrace:lot:{lot}", "productClass": "concentrate",
                                                 "reoContent": 0.6, "elementDistribution": {"Nd": 0.75, "Pr": 0.25}}]}}


def size(site: Site) -> int:
    with read_transaction(site.container.engine) as conn:
        return LogReader(conn).size()


def test_an_officer_imports_a_document_and_sees_the_lot(site: Site, officer: str, page: Any, sign_in: Any,
                                                        tmp_path: Path) -> None:
    sign_in(officer, "/flow/import")
    page.wait_for_url(re.compile(r"/flow/import$"))
    assert page.locator("#flow-enterprise").input_value() == ENTERPRISE
    bad = tmp_path / "april-bad.jsonld"
    bad.write_text(epcis([mined("BR-CONC-1"), {**mined("BR-CONC-2"), "quantityList": [
        {"epcClass": "urn:reetrace:lot:BR-CONC-2", "quantity": -5, "uom": "KGM"}]}]), encoding="utf-8")
    before = size(site)
    page.set_input_files("#flow-file", str(bad))
    page.click("#flow-import-form button[type=submit]")
    page.wait_for_selector("#flow-import-refused")
    assert "april-bad.jsonld: epcisBody.eventList[1]" in page.locator("#flow-import-errors").inner_text()
    assert size(site) == before
    good = tmp_path / "april.jsonld"
    good.write_text(epcis([mined("BR-CONC-1")]), encoding="utf-8")
    page.set_input_files("#flow-file", str(good))
    page.click("#flow-import-form button[type=submit]")
    report = page.locator("#flow-import-report").inner_text()
    assert "1 of 1 events stored, 0 recognised as imported before." in report
    page.screenshot(path="/tmp/rt-flow-import.png", full_page=True)
    page.goto(site.url + "/flow/lots/BR-CONC-1")
    assert "BR-CONC-1" in (page.locator("#node-BR-CONC-1").text_content() or "")
    assert ENTERPRISE in page.content()
    page.goto(site.url + "/flow/reports")
    row = page.locator(f"#due-{ENTERPRISE}-2026-04")
    assert "days late" in row.inner_text()
    page.screenshot(path="/tmp/rt-flow-reports.png", full_page=True)
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/flow/reports\?notice=submitted$"))
    assert page.locator("#notice").is_visible() and page.locator(f"#due-{ENTERPRISE}-2026-04").count() == 0
