"""Licence applications on every backend: submission (classification, certificates, screening and flags), the
review workflow end to end, who may act (permissions, tenants), bad input that stores nothing, and replay."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from export_world import END_USE_PDF, END_USER_PDF, TODAY, World, application, build_world, load_china_lists
from sqlalchemy import select

from reetrace.authz.scope import ScopedReader, TenantScope
from reetrace.container import Container
from reetrace.domains.licensing.application_models import ApplicationInput, LicenceTerms, parse_model
from reetrace.domains.licensing.application_queries import get_application, list_applications
from reetrace.domains.licensing.application_tables import applications, certificate_files
from reetrace.domains.licensing.applications import submit_application
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction, write_transaction
from reetrace.storage.replay import replay
from support.logdb import log_size, snapshot, stored_entries


@pytest.fixture
def world(container: Container) -> Iterator[World]:
    yield build_world(container)


def _bodies(world: World, kind: str) -> list[dict[str, Any]]:
    out = []
    for _, entry, _ in stored_entries(world.container.engine):
        data = json.loads(entry)
        if data["kind"] == kind:
            out.append(data["body"])
    return out


def test_submission_records_classification_certificates_and_the_clock(world: World) -> None:
    application_id = world.submit()
    view = world.view(application_id)
    assert (view.status, view.tenant, view.exporter_id, view.verdict, view.rule_ids) == (
        "submitted", "group-a", "EXP-A1", "controlled", ("1C905",))
    assert view.details["classification"]["as_of"] == "2026-09-01"
    assert str(view.quantity_kg) == "500" and view.unit == "kg" and view.currency == "USD"
    assert view.clock.due_on == date(2026, 11, 9) and view.clock.days_left == 45 and view.clock.state == "running"
    certs = {c["kind"]: c for c in view.details["certificates"]}
    assert certs["end_user"] == {"kind": "end_user", "name": "end-user.pdf", "size": len(END_USER_PDF),
                                 "sha256": hashlib.sha256(END_USER_PDF).hexdigest()}
    with read_transaction(world.container.engine) as conn:
        stored = dict(conn.execute(select(certificate_files.c.sha256, certificate_files.c.content)).all())
    assert stored[certs["end_use"]["sha256"]] == END_USE_PDF
    [body] = _bodies(world, "licensing.application.submitted")
    assert body["no_retransfer_undertaking"] is True and body["rule_ids"] == ["1C905"]
    assert "data" not in json.dumps(body["certificates"])  # digests on the log, never the bytes
    screening = view.details["screening"]
    assert screening["note"].startswith("No party lists are loaded") and screening["lists"] == []
    assert [p["role"] for p in screening["parties"]] == ["consignee", "consignee.owners[0]", "end_user",
                                                         "intermediaries[0]"]


def test_screening_hits_and_presumption_of_denial(world: World, shared_dir: Path, tmp_path: Path) -> None:
    load_china_lists(world.container, shared_dir, tmp_path)
    application_id = world.submit(
        end_user={"name": "Lockheed Martin Corporation", "country": "US"},
        intermediaries=[{"name": "Pacific Trading Ltd", "country": "SG", "role": "agent",
                         "owners": [{"name": "Mitsubishi Heavy Industries Shipbuilding Co.", "country": "JP",
                                     "share": "60"},
                                    {"name": "SUBARU Corporation", "country": "JP", "share": "40"}]}])
    view = world.view(application_id)
    screening = view.details["screening"]
    assert screening["note"] == "" and any(x.startswith("cn_mofcom_uel v1") for x in screening["lists"])
    hits = {p["role"]: p["hits"] for p in screening["parties"]}
    uel = [h for h in hits["end_user"] if h["list_id"] == "cn_mofcom_uel"]
    assert uel and uel[0]["name"] == "Lockheed Martin Corporation" and uel[0]["score"] >= 0.82
    assert uel[0]["transform"] and uel[0]["matched_tokens"]  # the explanation is kept
    assert hits["intermediaries[0].owners[0]"][0]["list_id"] == "cn_mofcom_control"
    assert "intermediaries[0].owners[1]" not in hits  # a 40 % owner is not screened
    assert hits["consignee"] == []
    flags: dict[tuple[str, str], str] = {}
    for f in screening["flags"]:
        flags[(f["code"], f["party"])] = flags.get((f["code"], f["party"]), "") + f["explanation"]
    assert set(flags) == {("listed_party", "end_user"), ("listed_party", "intermediaries[0].owners[0]")}
    assert "unreliable entity list" in flags[("listed_party", "end_user")]
    assert "No. 61 does not apply on 2026-09-01" in flags[("listed_party", "end_user")]
    assert "suspended by No. 70" in flags[("listed_party", "end_user")]
    assert "intermediaries[0] is at least 50 % owned by" in flags[("listed_party", "intermediaries[0].owners[0]")]
    assert view.flagged


def test_military_end_use_flagged_and_no_61_in_force_later(world: World) -> None:
    application_id = world.submit(today=date(2026, 11, 20), military_end_use=True)
    view = world.view(application_id, date(2026, 11, 20))
    [flag] = view.details["screening"]["flags"]
    assert flag["code"] == "military_end_use" and "declared as military" in flag["explanation"]
    assert "No. 61 is in force on 2026-11-20: its presumption of denial applies" in flag["explanation"]
    assert view.flagged
    worded = world.submit(end_use="guidance fins for a missile programme")
    assert world.view(worded).details["screening"]["flags"][0]["code"] == "military_end_use"


def test_review_workflow_end_to_end(world: World) -> None:
    application_id = world.submit()
    world.review(application_id, "note", "end user known from 2025 shipments", today=date(2026, 9, 3))
    assert world.view(application_id).status == "under_review"
    world.review(application_id, "rfi", "send the robot maker's purchase order", today=date(2026, 9, 8))
    assert world.view(application_id).status == "awaiting_information"
    with pytest.raises(Error) as refused:
        world.review(application_id, "approve", "fine", today=date(2026, 9, 9))
    assert refused.value.code == "rfi_open"
    world.answer(application_id, date(2026, 9, 10), text="purchase order attached",
                 certificates=({"kind": "end_use", "name": "po.pdf", "data": b"%PDF purchase order"},))
    licence_id = world.review(application_id, "approve", "end use verified", today=date(2026, 9, 14),
                              terms=LicenceTerms(kind="single"))
    view = world.view(application_id)
    assert (view.status, view.decided_on, view.licence_id) == ("approved", date(2026, 9, 14), licence_id)
    assert [(s.action, s.username) for s in view.steps] == [
        ("note", "mofcom.rev"), ("rfi", "mofcom.rev"), ("answer", "exporter.a"), ("approve", "mofcom.rev")]
    assert len(view.details["certificates"]) == 3
    assert view.clock.state == "decided" and view.clock.days_left is None
    with pytest.raises(Error) as decided:
        world.review(application_id, "deny", "too late", today=date(2026, 9, 15))
    assert decided.value.code == "decided"
    [issued] = _bodies(world, "licensing.licence.issued")
    assert issued["valid_from"] == "2026-09-14" and issued["valid_until"] == "2027-09-13"
    assert issued["quantity_kg"] == "500"


def test_denial_with_reason_on_the_log(world: World) -> None:
    application_id = world.submit(military_end_use=True)
    assert world.review(application_id, "deny", "military end use; presumption of denial") is None
    assert world.view(application_id).status == "denied"
    reviewed = _bodies(world, "licensing.application.reviewed")
    assert reviewed[-1]["reason"] == "military end use; presumption of denial"
    with pytest.raises(Error) as empty:
        world.review(world.submit(), "deny", "  ")
    assert empty.value.code == "reason_required"


def test_approving_a_flagged_application_records_the_override(world: World) -> None:
    application_id = world.submit(military_end_use=True)
    world.review(application_id, "approve", "civil research reactor; MOFCOM consulted")
    assert _bodies(world, "licensing.application.reviewed")[-1]["overrides_presumption"] is True


@pytest.mark.parametrize(("username", "code"), [("mofcom.viewer", "forbidden"), ("exporter.a", "forbidden"),
                                                 ("customs.rev", "not_found")])
def test_reviewer_without_permission_or_supervision_refused(world: World, username: str, code: str) -> None:
    application_id = world.submit()
    before = (log_size(world.container.engine), snapshot(world.container.engine))
    with pytest.raises(Error) as refused:
        world.review(application_id, "approve", "fine", username=username)
    assert refused.value.code == code
    assert refused.value.http_status == (403 if code == "forbidden" else 404)
    assert (log_size(world.container.engine), snapshot(world.container.engine)) == before


def test_tenant_isolation(world: World) -> None:
    a = world.submit()
    b = world.submit(username="exporter.b", exporter_id="EXP-B1")
    with read_transaction(world.container.engine) as conn:
        seen_by_b = ScopedReader(conn, TenantScope(frozenset({"group-b"})))
        assert get_application(seen_by_b, a, TODAY) is None
        assert [v.application_id for v in list_applications(seen_by_b, TODAY)] == [b]
        seen_by_mofcom = ScopedReader(conn, TenantScope(frozenset({"mofcom", "group-a", "group-b"}), system=True))
        assert {v.application_id for v in list_applications(seen_by_mofcom, TODAY)} == {a, b}
    world.review(a, "rfi", "which robots?")
    with pytest.raises(Error) as answer:
        world.answer(a, date(2026, 9, 2), username="exporter.b")
    assert answer.value.code == "not_found"
    with pytest.raises(Error) as submit:  # B may not apply for A's enterprise
        world.submit(username="exporter.b")
    assert submit.value.code == "unknown_exporter" and submit.value.details[0].location == "exporter_id"


def _missing_end_use(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "certificates": data["certificates"][:1]}


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown consignee country", {"consignee": {"name": "X GmbH", "country": "XX"}}, "unknown_country",
     "consignee.country"),
    ("unknown intermediary country", {"intermediaries": [{"name": "Y", "country": "Atlantis"}]}, "unknown_country",
     "intermediaries[0].country"),
    ("destination is home", {"final_destination": "CN"}, "unknown_country", "final_destination"),
    ("composition over 100 %", {"item": {"form": "oxide", "composition": {"Dy": 87, "Tb": 20}}}, "bad_item",
     "item.composition"),
    ("negative quantity", {"quantity": {"amount": "-5", "unit": "kg"}}, "bad_quantity", "quantity.amount"),
    ("unknown unit", {"quantity": {"amount": "5", "unit": "lb"}}, "bad_quantity", "quantity.unit"),
    ("negative value", {"value": {"amount": "-1", "currency": "USD"}}, "bad_value", "value.amount"),
    ("owners over 100 %", {"end_user": {"name": "Z", "country": "DE", "owners": [
        {"name": "P", "country": "DE", "share": "70"}, {"name": "Q", "country": "DE", "share": "40"}]}},
     "bad_owners", "end_user.owners"),
    ("undertaking not given", {"no_retransfer_undertaking": False}, "undertaking_required",
     "no_retransfer_undertaking"),
    ("no certificates", {"certificates": []}, "missing_certificate", "certificates"),
    ("empty certificate", {"certificates": [{"kind": "end_user", "name": "a.pdf", "data": b""},
                                            {"kind": "end_use", "name": "b.pdf", "data": b"x"}]},
     "bad_certificate", "certificates[0].file"),
    ("unknown exporter", {"exporter_id": "EXP-Z9"}, "unknown_exporter", "exporter_id"),
]


@pytest.mark.parametrize(("changes", "code", "where"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_field_and_stores_nothing(world: World, changes: dict[str, Any], code: str,
                                                      where: str) -> None:
    before = (log_size(world.container.engine), snapshot(world.container.engine))
    with pytest.raises(Error) as bad:
        world.submit(**changes)
    assert bad.value.code == code
    assert where in [d.location for d in bad.value.details], bad.value.details
    assert where in bad.value.message
    assert (log_size(world.container.engine), snapshot(world.container.engine)) == before


def test_missing_end_use_certificate_named(world: World) -> None:
    form = parse_model(ApplicationInput, _missing_end_use(application()), "bad_application", "application")
    with world.container.unit_of_work() as (uow, _), pytest.raises(Error) as bad:
        submit_application(uow, world.principal("exporter.a"), form, today=TODAY)
    assert bad.value.code == "missing_certificate" and "an end-use certificate is missing" in bad.value.message


def test_malformed_mapping_names_the_field() -> None:
    with pytest.raises(Error) as bad:
        parse_model(ApplicationInput, application(quantity={"amount": "lots", "unit": "kg"}), "bad_application",
                    "application")
    assert bad.value.code == "bad_application" and bad.value.details[0].location == "quantity.amount"


def test_replay_rebuilds_the_licensing_tables(world: World) -> None:
    first = world.submit()
    world.review(first, "rfi", "which robots?", today=date(2026, 9, 2))
    world.answer(first, date(2026, 9, 9))
    licence_id = world.licensed()
    world.ship(licence_id, "200", "100000")
    world.ship(licence_id, "400", "1")  # refused
    before = snapshot(world.container.engine)
    with write_transaction(world.container.engine) as conn:
        report = replay(conn, world.container.kinds)
    assert report.differences == 0, [t for t in report.tables if t.count]
    assert snapshot(world.container.engine) == before
    with write_transaction(world.container.engine) as conn:  # a tampered row is found and repaired
        conn.execute(applications.update().where(applications.c.application_id == first).values(status="approved"))
        report = replay(conn, world.container.kinds)
    diff = {t.table: t.changed for t in report.tables if t.count}
    assert diff == {"licensing_applications": [first]}
    assert world.view(first).status == "under_review"
