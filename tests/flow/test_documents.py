"""EPCIS 2.0 JSON-LD round trip and CSV/XLSX import of flow records."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flow_chain import NORTH, chain
from personnel_people import state

from reetrace.container import Container
from reetrace.domains.flow import jsonld, queries
from reetrace.domains.flow.eventhash import event_hash
from reetrace.domains.flow.imports import COLUMNS, read_flow_rows
from reetrace.domains.flow.service import capture
from reetrace.errors import Error
from reetrace.storage.engine import read_transaction


def document(events: list[dict[str, object]], prefix: str = "reetrace") -> bytes:
    renamed = [json.loads(json.dumps(e).replace('"reetrace:', f'"{prefix}:')) for e in events]
    return json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                                    {prefix: "https://reetrace.org/voc/flow/"}],
                       "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-31T00:00:00Z",
                       "epcisBody": {"eventList": renamed}}).encode()


def test_round_trip_import_export_compare(world: Container) -> None:
    events = chain()
    with world.unit_of_work() as (uow, _):
        report = capture(uow, NORTH, "ENT-N1", jsonld.read_document(document(events, prefix="rt"), "doc.jsonld"))
    assert report.stored == 7
    with read_transaction(world.engine) as conn:
        exported = jsonld.write_document(queries.stored_events(conn))
    assert exported["epcisBody"]["eventList"] == events
    assert [event_hash(e) for e in exported["epcisBody"]["eventList"]] == list(report.hashes)
    again = jsonld.read_document(json.dumps(exported).encode(), "export.jsonld")
    with world.unit_of_work() as (uow, _):
        assert capture(uow, NORTH, "ENT-N1", again).duplicates == 7


def test_export_of_one_lot_is_its_genealogy(world: Container) -> None:
    with world.unit_of_work() as (uow, _):
        capture(uow, NORTH, "ENT-N1", jsonld.read_document(document(chain()), "doc.jsonld"))
    with read_transaction(world.engine) as conn:
        events = [e for e, _ in queries.stored_events(conn, "urn:reetrace:lot:DY-1")]
    assert len(events) == 4  # two mines' lots, cracking, separation; not the magnet or its shipments


@pytest.mark.parametrize(("doc", "message"), [
    (b"{", "not JSON"), (b'{"type": "Other"}', "not an EPCIS document"),
    (json.dumps({"@context": "https://x.example/ctx", "type": "EPCISDocument", "schemaVersion": "2.0",
                 "epcisBody": {"eventList": []}}).encode(), "GS1 EPCIS 2.0 context"),
])
def test_bad_documents(doc: bytes, message: str) -> None:
    with pytest.raises(Error) as err:
        jsonld.read_document(doc, "doc.jsonld")
    assert message in err.value.message


def rows_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def row(event: str, kind: str, lot: str, quantity: str, **more: str) -> dict[str, str]:
    return {"event": event, "kind": kind, "event_time": "2026-03-01T08:00:00+08:00", "lot": lot,
            "quantity": quantity, "unit": "KGM", **more}


CSV_ROWS = [
    row("E1", "create", "ORE-1", "1000", product_class="ore", reo_content="5%", distribution="Nd:0.7;Pr:0.3",
        process_step="mining"),
    row("E2", "transform", "ORE-1", "1000", role="input", process_step="beneficiation"),
    row("E2", "transform", "CON-1", "80", role="output", product_class="concentrate", reo_content="0.55",
        distribution="Nd:0.7;Pr:0.3"),
    row("E3", "ship", "CON-1", "80", counterparty="SEP-PLANT-1", end_user="separation"),
]


def test_csv_import_builds_events(world: Container) -> None:
    items = read_flow_rows(rows_csv(CSV_ROWS), "flows.csv")
    assert [i.data["type"] for i in items] == ["ObjectEvent", "TransformationEvent", "ObjectEvent"]
    with world.unit_of_work() as (uow, _):
        report = capture(uow, NORTH, "ENT-N1", items)
    assert report.stored == 3 and report.alerts == ()


@pytest.mark.parametrize(("change", "where"), [
    ({"quantity": "-5"}, "row 3, column quantity"),
    ({"quantity": "lots"}, "row 3, column quantity"),
    ({"role": "side"}, "row 3, column role"),
])
def test_one_bad_csv_row_names_row_and_column(change: dict[str, str], where: str) -> None:
    rows = [dict(r) for r in CSV_ROWS]
    rows[1].update(change)
    with pytest.raises(Error) as err:
        read_flow_rows(rows_csv(rows), "flows.csv")
    assert where in err.value.message


def test_csv_with_unknown_lot_stores_nothing(world: Container) -> None:
    rows = [dict(r) for r in CSV_ROWS]
    rows[3]["lot"] = "CON-404"
    before = state(world)
    with pytest.raises(Error) as err, world.unit_of_work() as (uow, _):
        capture(uow, NORTH, "ENT-N1", read_flow_rows(rows_csv(rows), "flows.csv"))
    assert err.value.code == "unknown_lot" and "row 5" in err.value.diagnostics()
    assert state(world) == before
