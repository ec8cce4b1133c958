"""Happy paths of the JSON API, every value checked against LogReader and every proof verified."""

from __future__ import annotations

import base64
import json

from web_world import NOTES, SIZE, WITNESS_IN_POLICY, WITNESS_NOT_IN_POLICY, World

from reetrace.events import event_from_entry
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.hashing import EMPTY_ROOT, leaf_hash
from reetrace.storage.logread import LogReader


def test_health(log_world: World) -> None:
    response = log_world.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "status": "ok", "log_size": SIZE}


def test_log_state(log_world: World, reader: LogReader) -> None:
    body = log_world.client.get("/api/v1/log").json()
    assert body["size"] == SIZE == reader.size()
    assert body["root"] == reader.root().hex()
    assert body["origin"] == log_world.container.settings.origin
    assert body["cosigned_by"] == [WITNESS_IN_POLICY]
    checkpoint = body["checkpoint"]
    latest = reader.latest_checkpoint()
    assert latest is not None
    assert checkpoint["size"] == SIZE and checkpoint["root"] == latest.root.hex() and checkpoint["note"] == latest.note
    assert checkpoint["signature_ok"] is True and checkpoint["problem"] is None
    by_witness = {c["witness"]: c for c in checkpoint["cosignatures"]}
    assert by_witness[WITNESS_IN_POLICY]["verified"] is True
    assert by_witness[WITNESS_NOT_IN_POLICY]["verified"] is False
    assert by_witness[WITNESS_IN_POLICY]["time"].endswith("Z")


def test_latest_checkpoint_is_the_signed_note(log_world: World, reader: LogReader) -> None:
    response = log_world.client.get("/api/v1/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    verified = open_checkpoint(response.text, log_world.container.verifier)
    assert verified.checkpoint.size == SIZE
    assert verified.checkpoint.root == reader.root(SIZE)


def test_entry(log_world: World, reader: LogReader) -> None:
    for index in (0, 1, 255, 256, NOTES - 1):
        body = log_world.client.get(f"/api/v1/log/entries/{index}").json()
        stored = reader.entry(index)
        raw = base64.b64decode(body["entry"])
        assert raw == stored.entry
        assert body["leaf_hash"] == stored.leaf_hash.hex() == leaf_hash(raw).hex()
        assert (body["index"], body["kind"], body["tenant"], body["event_id"]) == (
            index, stored.kind, stored.tenant, stored.event_id)
        assert body["event"] == event_from_entry(raw).envelope()
        assert body["event"]["body"]["n"] == index
        assert body["size_bytes"] == len(raw)


def test_entry_by_event_id(log_world: World) -> None:
    body = log_world.client.get(f"/api/v1/log/events/{log_world.event_ids[42]}").json()
    assert body["index"] == 42 and body["event_id"] == log_world.event_ids[42]


def test_recent_entries(log_world: World, reader: LogReader) -> None:
    body = log_world.client.get("/api/v1/log/entries", params={"limit": 5}).json()
    assert body["size"] == SIZE
    assert [e["index"] for e in body["entries"]] == [e.index for e in reader.recent(5)] == list(
        range(SIZE - 1, SIZE - 6, -1))
    default = log_world.client.get("/api/v1/log/entries").json()
    assert len(default["entries"]) == 20


def test_recent_entries_by_kind(log_world: World) -> None:
    notes = log_world.client.get("/api/v1/log/entries", params={"kind": "note", "limit": 3}).json()
    assert [e["kind"] for e in notes["entries"]] == ["note"] * 3
    other = log_world.client.get("/api/v1/log/entries", params={"kind": "registry.enterprise.registered"}).json()
    assert other["entries"] == []


def test_inclusion_proof_verifies(log_world: World, reader: LogReader) -> None:
    for index, size in ((0, None), (0, 1), (7, 10), (255, 256), (256, 257), (299, 600), (SIZE - 1, None)):
        params = {} if size is None else {"size": size}
        body = log_world.client.get(f"/api/v1/log/proof/{index}", params=params).json()
        expected_size = SIZE if size is None else size
        assert set(body) == {"index", "size", "leaf_hash", "hashes", "root"}
        assert (body["index"], body["size"]) == (index, expected_size)
        assert body["root"] == reader.root(expected_size).hex()
        assert body["hashes"] == [h.hex() for h in reader.inclusion_proof(index, expected_size)]
        tree.verify_inclusion(bytes.fromhex(body["leaf_hash"]), index, expected_size,
                              [bytes.fromhex(h) for h in body["hashes"]], bytes.fromhex(body["root"]))


def test_consistency_proof_verifies(log_world: World, reader: LogReader) -> None:
    for old, new in ((1, 2), (10, 100), (256, 600), (300, None), (SIZE, SIZE)):
        params = {"old": old} if new is None else {"old": old, "new": new}
        body = log_world.client.get("/api/v1/log/consistency", params=params).json()
        expected_new = SIZE if new is None else new
        assert set(body) == {"old", "new", "hashes", "old_root", "new_root"}
        assert (body["old"], body["new"]) == (old, expected_new)
        assert body["old_root"] == reader.root(old).hex() and body["new_root"] == reader.root(expected_new).hex()
        tree.verify_consistency(old, expected_new, bytes.fromhex(body["old_root"]), bytes.fromhex(body["new_root"]),
                                [bytes.fromhex(h) for h in body["hashes"]])


def test_consistency_from_zero_is_empty(log_world: World) -> None:
    body = log_world.client.get("/api/v1/log/consistency", params={"old": 0}).json()
    assert body["hashes"] == [] and body["old_root"] == EMPTY_ROOT.hex()


def test_openapi_schema_is_served_and_docs_are_off(log_world: World) -> None:
    schema = log_world.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/log/proof/{index}" in schema["paths"]
    assert schema["paths"]["/api/v1/log"]["get"]["x-reetrace-access"] == "log:entry:read"
    assert schema["paths"]["/health"]["get"]["x-reetrace-access"] == "public"
    assert "/" not in schema["paths"]  # console pages are not API operations
    assert log_world.client.get("/docs").status_code == 404  # Swagger UI loads from a CDN: off


def test_empty_log(empty_world: World) -> None:
    body = empty_world.client.get("/api/v1/log").json()
    assert body == {"origin": empty_world.container.settings.origin, "size": 0, "root": EMPTY_ROOT.hex(),
                    "checkpoint": None, "cosigned_by": []}
    assert empty_world.client.get("/api/v1/log/entries").json() == {"size": 0, "entries": []}
    assert json.loads(empty_world.client.get("/health").text)["log_size"] == 0
