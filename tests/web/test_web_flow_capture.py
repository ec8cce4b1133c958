"""Capturing flow events through the API and the console, on SQLite and PostgreSQL: an EPCIS 2.0 document stored
once (a re-submission recognised by its event hash) and exported again as EPCIS 2.0, a CSV flow file, one bad event
or row refused with where it is and nothing stored, an oversized or empty upload, another tenant's enterprise as an
audited 404, the record permission required, and the console's import page with its report and its error table."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

import domain_flow as planted
import pytest
from authz_world import ENTERPRISE, World
from fastapi.testclient import TestClient
from web_checks import assert_error_shape

from reetrace.domains.flow.eventhash import event_hash
from reetrace.domains.flow.imports import COLUMNS
from reetrace.web import flowview

F = "/api/v1/flow"
A, B = ENTERPRISE["group-a"], ENTERPRISE["group-b"]


@pytest.fixture
def world(backend_world: World) -> World:
    return backend_world


api = planted.api  # a bearer-token client of a flow user, reg.officer or anna


def lot(name: str, kg: float) -> dict[str, Any]:
    return {"epcClass": f"urn:reetrace:lot:{name}", "quantity": kg, "uom": "KGM"}


def mined(name: str, kg: float, day: int = 1) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "ADD", "eventTime": f"2025-05-{day:02d}T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00", "bizStep": "commissioning", "quantityList": [lot(name, kg)],
            "rt:processStep": "mining",
            "ilmd": {"rt:lotMasterData": [{"lot": f"urn:reetrace:lot:{name}", "productClass": "concentrate",
                                           "reoContent": 0.5, "elementDistribution": {"Nd": 0.8, "Dy": 0.2}}]}}


def shipped(name: str, kg: float) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2025-05-20T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00", "bizStep": "shipping", "quantityList": [lot(name, kg)],
            "destinationList": [{"type": "owning_party", "destination": "urn:reetrace:party:BUYER-1"}]}


def document(events: list[dict[str, Any]]) -> bytes:
    """An EPCIS 2.0 JSON-LD document whose extension prefix is ``rt`` (not reetrace's own)."""
    return json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                    {"rt": "https://reetrace.org/voc/flow/"}],
                       "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-05-31T00:00:00Z",
                       "epcisBody": {"eventList": events}}).encode()


def post(client: TestClient, data: bytes, enterprise: str = A, name: str = "flows.jsonld") -> Any:
    return client.post(f"{F}/events", data={"enterprise": enterprise},
                       files={"file": (name, data, "application/ld+json")})


def lots_exported(client: TestClient, query: str = "") -> list[str]:
    answer = client.get(f"{F}/events{query}")
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    return [q["epcClass"].rsplit(":", 1)[1] for e in doc["epcisBody"]["eventList"] for q in e.get("quantityList", [])]


def test_a_document_is_captured_once_and_exported_as_epcis(world: World) -> None:
    client = api(world, "flow.officer.a")
    events = [mined("CAP-1", 600), shipped("CAP-1", 250)]
    first = post(client, document(events))
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["events"], report["stored"], report["duplicates"]) == (2, 2, 0)
    assert report["enterprise_id"] == A and report["source"] == "flows.jsonld"
    assert report["first_index"] is not None and report["last_index"] == report["first_index"] + 1
    prefixed = json.loads(json.dumps(events[0]).replace('"rt:', '"reetrace:'))
    assert report["event_hashes"][0] == event_hash(prefixed)  # the CBV 2.0 hash, whatever the prefix
    size = world.size()
    again = post(client, document(events)).json()
    assert (again["stored"], again["duplicates"], again["first_index"]) == (0, 2, None)
    assert world.size() == size  # a re-submission writes nothing
    assert lots_exported(client, f"?enterprise={A}&month=2025-05") == ["CAP-1", "CAP-1"]
    assert "CAP-1" in lots_exported(api(world, "reg.officer"))  # the supervising authority reads it
    assert "CAP-1" not in lots_exported(api(world, "flow.officer.b"))  # another tenant does not
    assert lots_exported(client, f"?enterprise={A}&month=2024-01") == []
    trace = client.get(f"{F}/lots/CAP-1/trace").json()
    assert trace["nodes"][0]["enterprise_id"] == A and trace["nodes"][0]["quantity_kg"] == 600


def rows_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


CSV_ROWS = [
    {"event": "E1", "kind": "create", "event_time": "2025-06-01T08:00:00+08:00", "lot": "CSV-ORE-1",
     "quantity": "1000", "unit": "KGM", "product_class": "ore", "reo_content": "5%", "distribution": "Nd:0.7;Pr:0.3",
     "process_step": "mining"},
    {"event": "E2", "kind": "ship", "event_time": "2025-06-02T08:00:00+08:00", "lot": "CSV-ORE-1",
     "quantity": "1000", "unit": "KGM", "counterparty": "PLANT-9", "end_user": "separation"},
]


def test_a_csv_flow_file_is_captured(world: World) -> None:
    answer = post(api(world, "flow.officer.a"), rows_csv(CSV_ROWS), name="june.csv")
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 2 and answer.json()["source"] == "june.csv"
    assert lots_exported(api(world, "flow.officer.a"), "?month=2025-06") == ["CSV-ORE-1", "CSV-ORE-1"]


@pytest.mark.parametrize(("name", "data", "code", "where"), [
    ("flows.jsonld", document([mined("BAD-1", 100), shipped("NO-SUCH-LOT", 5)]), "unknown_lot",
     "flows.jsonld: epcisBody.eventList[1].quantityList[0]"),
    ("flows.jsonld", document([mined("BAD-2", -100)]), "invalid", "flows.jsonld: epcisBody.eventList[0]"),
    ("flows.json", b'{"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": [', "not_json",
     "flows.json"),
    ("flows.json", b'{"type": "EPCISQueryDocument"}', "not_epcis", "type"),
    ("june.csv", rows_csv([CSV_ROWS[0] | {"quantity": "-5", "lot": "BAD-3"}]), "invalid",
     "june.csv, row 2, column quantity"),
    ("june.csv", b"lot,quantity\nX,1\n", "bad_header", "june.csv, row 1"),
    ("empty.csv", b"", "invalid", "file"),
])
def test_bad_input_is_refused_with_where_and_nothing_is_stored(world: World, name: str, data: bytes, code: str,
                                                               where: str) -> None:
    client = api(world, "flow.officer.a")
    before = world.size()
    body = assert_error_shape(post(client, data, name=name), 400, code if code != "invalid" else None)
    assert any(where in (e.get("location") or "") for e in body["errors"]) or where in body["error"], body
    assert world.size() == before
    assert not any(lot.startswith("BAD-") for lot in lots_exported(client))


def test_an_oversized_upload_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flowview, "MAX_UPLOAD", 100)
    client = api(world, "flow.officer.a")
    before = world.size()
    assert_error_shape(post(client, document([mined("BIG-1", 1)])), 413, "too_large")
    assert world.size() == before


def test_another_tenants_enterprise_is_an_audited_404(world: World) -> None:
    b = api(world, "flow.officer.b")
    before = world.size()
    assert_error_shape(post(b, document([mined("B-INTO-A", 10)]), enterprise=A), 404, "not_found")
    events = world.audit_events(since=before)
    assert [e["action"] for e in events] == ["access.denied"] and events[0]["username"] == "flow.officer.b"
    assert "B-INTO-A" not in lots_exported(api(world, "flow.officer.a"))
    assert_error_shape(post(api(world, "flow.officer.a"), document([mined("X-1", 10)]), enterprise="NO-SUCH-ENT"),
                       404, "not_found")
    assert post(api(world, "flow.officer.b"), document([mined("B-OWN-1", 10)]), enterprise=B).status_code == 200


@pytest.mark.parametrize("username", ["reg.officer", "anna"])
def test_recording_needs_the_record_permission(world: World, username: str) -> None:
    client = api(world, username)
    before = world.size()
    assert_error_shape(post(client, document([mined(f"NOPE-{username}", 10)])), 403, "forbidden")
    [denied] = world.audit_events(since=before)  # the refusal is audited; nothing else is written
    assert denied["action"] == "access.denied" and world.size() == before + 1
    assert f"NOPE-{username}" not in lots_exported(api(world, "flow.officer.a"))


def test_the_import_page_reports_and_refuses(world: World) -> None:
    client = world.session("flow.officer.a")
    form = client.get("/flow/import")
    assert form.status_code == 200 and 'id="flow-import-form"' in form.text
    assert f'<option value="{A}"' in form.text and B not in form.text  # only one's own enterprises
    assert 'href="/flow/import"' in client.get("/flow/balance").text
    assert 'href="/flow/import"' not in world.session("reg.officer").get("/flow/balance").text
    before = world.size()
    refused = client.post("/flow/import", data={"enterprise": A},
                          files={"file": ("bad.jsonld", document([shipped("NO-SUCH-LOT", 5)]), "application/json")})
    assert refused.status_code == 400 and 'id="flow-import-refused"' in refused.text
    table = html.unescape(refused.text.split('id="flow-import-errors"')[1])
    assert "bad.jsonld: epcisBody.eventList[0].quantityList[0]" in table
    assert world.size() == before
    done = client.post("/flow/import", data={"enterprise": A},
                       files={"file": ("ok.jsonld", document([mined("PAGE-1", 40, day=3)]), "application/json")})
    assert done.status_code == 200 and 'id="flow-import-report"' in done.text
    assert "1 of 1 events stored" in done.text
    exported = client.get("/api/v1/flow/events")  # the nav's download link, with the console's session
    assert exported.status_code == 200 and "PAGE-1" in exported.text
    other = client.post("/flow/import", data={"enterprise": B},
                        files={"file": ("ok.jsonld", document([mined("PAGE-2", 40)]), "application/json")})
    assert other.status_code == 404 and 'id="flow-import-refused"' in other.text
    assert client.post("/flow/import", data={"enterprise": "<x>"},
                       files={"file": ("ok.jsonld", b"{}", "application/json")}).status_code == 400


def transformed(inputs: list[tuple[str, float]], name: str, kg: float) -> dict[str, Any]:
    return {"type": "TransformationEvent", "eventTime": "2025-07-05T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "bizStep": "commissioning", "rt:processStep": "cracking",
            "inputQuantityList": [lot(n, k) for n, k in inputs], "outputQuantityList": [lot(name, kg)],
            "ilmd": {"rt:lotMasterData": [{"lot": f"urn:reetrace:lot:{name}", "productClass": "mixed_carbonate",
                                           "reoContent": 0.9, "elementDistribution": {"Nd": 0.8, "Dy": 0.2}}]}}


def test_a_certificate_is_given_for_a_chain_in_scope_and_verifies_offline(world: World) -> None:
    from reetrace.domains.flow.certificates import verify_certificate

    answer = api(world, "flow.officer.a").get(f"{F}/lots/FA-ND-1/certificate")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert 'filename="certificate-FA-ND-1.json"' in answer.headers["content-disposition"]
    verified = verify_certificate(answer.content, world.container.verifier.vkey)
    steps = {s.lot.rsplit(":", 1)[1]: s for s in verified.certificate.steps}
    assert set(steps) == {"FA-ND-1", "FA-MIX-1", "FA-CONC-A", "FA-CONC-B"}
    assert steps["FA-CONC-A"].step == "mined" and steps["FA-CONC-A"].enterprise_id == A
    assert steps["FA-CONC-A"].country == "CN" and steps["FA-CONC-A"].share == pytest.approx(0.6)
    pdf = api(world, "reg.officer").get(f"{F}/lots/FA-ND-1/certificate?format=pdf")  # the supervising authority
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    page = world.session("flow.officer.a").get("/flow/lots/FA-ND-1").text
    assert 'href="/api/v1/flow/lots/FA-ND-1/certificate?format=pdf"' in page


def test_a_certificate_reaching_outside_the_scope_is_refused(world: World) -> None:
    a, b = api(world, "flow.officer.a"), api(world, "flow.officer.b")
    assert post(a, document([{**mined("XT-A-1", 500), "eventTime": "2025-07-01T08:00:00+08:00"}])).status_code == 200
    bought = post(b, document([transformed([("XT-A-1", 500)], "XT-B-1", 240)]), enterprise=B)
    assert bought.status_code == 200, bought.text  # group-b made its carbonate from group-a's concentrate
    refused = assert_error_shape(b.get(f"{F}/lots/XT-B-1/certificate"), 403, "outside_scope")
    assert "XT-A-1" not in refused["error"] and A not in refused["error"]  # what lies outside is not named
    before = world.size()
    assert_error_shape(b.get(f"{F}/lots/FA-ND-1/certificate"), 404, "not_found")
    assert [e["action"] for e in world.audit_events(since=before)] == ["access.denied"]
    assert_error_shape(api(world, "anna").get(f"{F}/lots/FA-ND-1/certificate"), 403, "forbidden")
    assert_error_shape(a.get(f"{F}/lots/FA-ND-1/certificate?format=docx"), 400, "invalid_request")


def test_the_monthly_report_downloads_and_is_handed_in_once(world: World) -> None:
    from reetrace.domains.flow.reports import due_date

    a = api(world, "flow.officer.a")
    answer = a.get(f"{F}/reports/{A}/2026-03")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["x-due-on"] == due_date("2026-03").isoformat()
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert {r["lot"] for r in rows} >= {"FA-CONC-A", "FA-CONC-B", "FA-MIX-1", "FA-ND-1"}
    xlsx = a.get(f"{F}/reports/{A}/2026-03?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert 'filename="flow-report-NM-BAOTOU-01-2026-03.xlsx"' in xlsx.headers["content-disposition"]
    b = api(world, "flow.officer.b")
    before = world.size()
    assert_error_shape(b.get(f"{F}/reports/{A}/2026-03"), 404, "not_found")
    assert [e["action"] for e in world.audit_events(since=before)] == ["access.denied"]
    assert_error_shape(a.get(f"{F}/reports/{A}/2026-13"), 400, "bad_month")
    handed = a.post(f"{F}/reports/{A}/2026-03/submission")
    assert handed.status_code == 201, handed.text
    body = handed.json()
    assert body["late"] is True and body["due_on"] == due_date("2026-03").isoformat() and body["rows"] == len(rows)
    assert_error_shape(a.post(f"{F}/reports/{A}/2026-03/submission"), 409, "conflict")
    assert_error_shape(a.post(f"{F}/reports/{A}/2999-01/submission"), 400, "month_not_over")
    assert_error_shape(b.post(f"{F}/reports/{A}/2026-02/submission"), 404, "not_found")
    assert_error_shape(api(world, "reg.officer").post(f"{F}/reports/{A}/2026-02/submission"), 403, "forbidden")
    page = world.session("flow.officer.a").get(f"/flow/balance?enterprise={A}&month=2026-03").text
    assert f'href="/api/v1/flow/reports/{A}/2026-03?format=xlsx"' in page
    assert 'id="report-hint"' in world.session("flow.officer.a").get("/flow/balance").text


def test_the_reports_due_list_and_handing_one_in_from_the_console(world: World) -> None:
    from reetrace.domains.flow.reports import due_date

    a = api(world, "flow.officer.a")
    due = a.get(f"{F}/reports/due")
    assert due.status_code == 200, due.text
    rows = {(r["enterprise_id"], r["month"]): r for r in due.json()["reports"]}
    assert (A, "2026-04") in rows and (B, "2026-04") not in rows  # group-b's enterprise is not in a's scope
    april = rows[(A, "2026-04")]
    assert april["due_on"] == due_date("2026-04").isoformat() and april["late"] is True and april["days_late"] > 0
    assert (B, "2026-04") in {(r["enterprise_id"], r["month"]) for r in
                              api(world, "flow.officer.b").get(f"{F}/reports/due").json()["reports"]}
    then = a.get(f"{F}/reports/due?on=2026-05-03").json()  # as of a day: April's report not due yet
    assert then["today"] == "2026-05-03" and {(r["month"], r["late"]) for r in then["reports"]
                                              if r["enterprise_id"] == A} >= {("2026-04", False)}
    assert (A, "2026-05") not in {(r["enterprise_id"], r["month"]) for r in then["reports"]}
    client = world.session("flow.officer.a")
    page = client.get("/flow/reports")
    assert page.status_code == 200 and f'id="due-{A}-2026-04"' in page.text and "days late" in page.text
    assert 'href="/flow/reports"' in page.text and "<script" not in page.text
    before = world.size()
    handed = client.post(f"/flow/reports/{A}/2026-04/submission", follow_redirects=False)
    assert handed.status_code == 303 and handed.headers["location"] == "/flow/reports?notice=submitted"
    assert world.size() == before + 1
    after = client.get("/flow/reports?notice=submitted").text
    assert 'id="notice"' in after and f'id="due-{A}-2026-04"' not in after
    assert client.post(f"/flow/reports/{A}/2026-04/submission").status_code == 409  # once
    supervisor = world.session("reg.officer").get("/flow/reports").text  # reads, cannot hand in
    assert f'id="due-{A}-2026-05"' in supervisor and "/submission" not in supervisor
    assert world.session("reg.officer").post(f"/flow/reports/{A}/2026-05/submission").status_code == 403
