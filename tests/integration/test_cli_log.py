"""`reetrace log ...` end to end, as a user runs it: a real process on a temporary data folder.

Set-up and inspection go through the library (fast); everything under test goes through the command.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reetrace.container import Container, build_container
from reetrace.domains.registry.service import register_enterprise
from reetrace.domains.registry.tables import enterprises
from reetrace.log import tree
from reetrace.log.checkpoint import open_checkpoint
from reetrace.log.memory import MemoryTree
from reetrace.log.note import Verifier
from reetrace.storage.engine import read_transaction, write_transaction
from support.backends import make_settings
from support.logdb import edit_entry, enterprise, memory_tree, notes, snapshot, tamper
from support.processes import reetrace

ENTERPRISE = {"enterprise_id": "ENT-042", "name": "Ganzhou Magnet Works", "role": "magnet",
              "province": "Jiangxi", "country": "CN"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def seeded(home: Path) -> Iterator[Container]:
    """A SQLite log with three notes, opened in-process for set-up and inspection."""
    container = build_container(make_settings(home))
    container.ledger.record(notes(0, 3))
    yield container
    container.close()


def _json(stdout: str) -> dict[str, object]:
    data = json.loads(stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def eleven(home: Path) -> MemoryTree:
    """A SQLite log of 11 entries (the second an enterprise), made in-process; returns the reference tree."""
    container = build_container(make_settings(home))
    try:
        container.ledger.record(notes(0, 1))
        with container.unit_of_work() as (uow, _):
            register_enterprise(uow, "tenant-a", "officer", enterprise("ENT-042"))
        container.ledger.record(notes(1, 9))
        return memory_tree(container.engine)
    finally:
        container.close()


def test_append_and_get(home: Path) -> None:
    first = reetrace(home, "log", "append", "--kind", "note", "--body", '{"text": "first shift, Baotou"}')
    assert first.stdout == "0\n"
    assert reetrace(home, "log", "append", "--kind", "registry.enterprise.registered", "--body",
                    json.dumps(ENTERPRISE), "--tenant", "tenant-a", "--actor", "officer").stdout == "1\n"
    got = _json(reetrace(home, "log", "get", "1", "--json").stdout)
    assert set(got) >= {"index", "kind", "tenant", "event_id", "leaf_hash", "entry"}
    entry = base64.b64decode(str(got["entry"]))
    assert got["index"] == 1 and got["kind"] == "registry.enterprise.registered" and got["tenant"] == "tenant-a"
    assert got["leaf_hash"] == hashlib.sha256(b"\x00" + entry).hexdigest()
    event = json.loads(entry)
    assert event["body"]["enterprise_id"] == "ENT-042" and event["actor"] == "officer"
    assert event["id"] == got["event_id"]
    plain = reetrace(home, "log", "get", "0").stdout
    assert "index 0" in plain and "first shift, Baotou" in plain
    container = build_container(make_settings(home))
    try:  # what the command appended is what the library reads, projection included
        assert memory_tree(container.engine).leaf_hash(1).hex() == got["leaf_hash"]
        with read_transaction(container.engine) as conn:
            assert conn.execute(select(enterprises.c.name)).scalars().all() == ["Ganzhou Magnet Works"]
    finally:
        container.close()


def test_key_and_checkpoint(home: Path, eleven: MemoryTree) -> None:
    key = reetrace(home, "log", "key").stdout.strip()
    assert key == Verifier.from_vkey(key).vkey and key.startswith("reetrace.local/log+")
    note = reetrace(home, "log", "checkpoint").stdout
    assert note.splitlines()[:3] == ["reetrace.local/log", "11", base64.b64encode(eleven.root()).decode()]
    signed = open_checkpoint(note, Verifier.from_vkey(key)).checkpoint
    assert (signed.size, signed.root) == (11, eleven.root())


def test_inclusion_proofs(home: Path, eleven: MemoryTree) -> None:
    for args, index, size in ((["1"], 1, 11), (["0", "--size", "2"], 0, 2), (["10", "--size", "11"], 10, 11)):
        proof = _json(reetrace(home, "log", "proof", *args, "--json").stdout)
        assert set(proof) == {"index", "size", "leaf_hash", "hashes", "root"}
        assert (proof["index"], proof["size"]) == (index, size)
        assert proof["root"] == eleven.root(size).hex() and proof["leaf_hash"] == eleven.leaf_hash(index).hex()
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]  # type: ignore[attr-defined]
        tree.verify_inclusion(eleven.leaf_hash(index), index, size, hashes, eleven.root(size))
    plain = reetrace(home, "log", "proof", "3").stdout
    assert plain.splitlines()[0] == f"entry 3 is in the tree of size 11 with root {eleven.root().hex()}"
    assert plain.splitlines()[1:] == [h.hex() for h in eleven.inclusion_proof(3)]


def test_consistency_proofs(home: Path, eleven: MemoryTree) -> None:
    for old, new in ((2, 11), (0, 11), (11, 11), (4, 6)):
        proof = _json(reetrace(home, "log", "consistency", str(old), str(new), "--json").stdout)
        assert set(proof) == {"old", "new", "hashes", "old_root", "new_root"}
        assert (proof["old"], proof["new"]) == (old, new)
        assert proof["old_root"] == eleven.root(old).hex() and proof["new_root"] == eleven.root(new).hex()
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]  # type: ignore[attr-defined]
        if old:
            tree.verify_consistency(old, new, eleven.root(old), eleven.root(new), hashes)
        else:
            assert hashes == []
    plain = reetrace(home, "log", "consistency", "3", "7").stdout
    assert "is a prefix of" in plain
    assert plain.splitlines()[1:] == [h.hex() for h in eleven.consistency_proof(3, 7)]


def test_audit_replay_and_verify_on_a_sound_log(home: Path, eleven: MemoryTree) -> None:
    assert "ok: 11 entries and 3 checkpoints agree" in reetrace(home, "log", "audit").stdout
    assert "11 entries replayed" in reetrace(home, "log", "replay").stdout
    assert f"ok: reetrace.local/log size 11 root {eleven.root().hex()}" in reetrace(home, "log", "verify").stdout


@pytest.mark.postgres
def test_log_commands_on_postgresql(home: Path, pg_url: str) -> None:
    assert reetrace(home, "log", "append", "--kind", "note", "--body", '{"n": 0}', db=pg_url).stdout == "0\n"
    container = build_container(make_settings(home, pg_url))
    try:
        container.ledger.record(notes(1, 300))
        reference = memory_tree(container.engine)
    finally:
        container.close()
    got = _json(reetrace(home, "log", "get", "0", "--json", db=pg_url).stdout)
    assert got["leaf_hash"] == reference.leaf_hash(0).hex()
    proof = _json(reetrace(home, "log", "proof", "257", "--size", "300", "--json", db=pg_url).stdout)
    assert proof["hashes"] == [h.hex() for h in reference.inclusion_proof(257, 300)]
    proof = _json(reetrace(home, "log", "consistency", "5", "301", "--json", db=pg_url).stdout)
    assert proof["hashes"] == [h.hex() for h in reference.consistency_proof(5, 301)]
    assert "301 entries" in reetrace(home, "log", "audit", db=pg_url).stdout
    # nothing went to a SQLite file in the data folder
    assert not (home / "reetrace.db").exists()


BAD = {
    "bad JSON body": (["log", "append", "--kind", "note", "--body", "{bad"], "--body is not valid JSON"),
    "body not an object": (["log", "append", "--kind", "note", "--body", "[1, 2]"], "must be a JSON object"),
    "unknown kind": (["log", "append", "--kind", "no.such.kind", "--body", "{}"], "unknown event kind"),
    "kind not dotted words": (["log", "append", "--kind", "Bad Kind!", "--body", "{}"], "event.kind"),
    "invalid registry body": (["log", "append", "--kind", "registry.enterprise.registered", "--body",
                               '{"enterprise_id": "lower"}'], "body.enterprise_id"),
    "NaN in the body": (["log", "append", "--kind", "note", "--body", '{"x": NaN}'], "RFC 8785"),
    "get index out of range": (["log", "get", "3"], "no entry at index 3"),
    "proof index out of range": (["log", "proof", "3"], "outside a tree of size 3"),
    "proof size beyond the log": (["log", "proof", "0", "--size", "4"], "beyond the log's size 3"),
    "consistency old > new": (["log", "consistency", "3", "2"], "0 <= old <= new"),
    "consistency new beyond the log": (["log", "consistency", "1", "9"], "beyond the log's size 3"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_and_changes_nothing(seeded: Container, home: Path, case: str) -> None:
    args, message = BAD[case]
    before = snapshot(seeded.engine)
    result = reetrace(home, *args, code=2)
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("error["), result.stderr
    assert result.stdout == ""
    assert snapshot(seeded.engine) == before


@pytest.mark.postgres
def test_bad_input_on_postgresql(home: Path, pg_url: str) -> None:
    container = build_container(make_settings(home, pg_url))
    try:
        container.ledger.record(notes(0, 3))
        before = snapshot(container.engine)
        for case in ("unknown kind", "NaN in the body", "consistency old > new"):
            args, message = BAD[case]
            assert message in reetrace(home, *args, db=pg_url, code=2).stderr
        assert snapshot(container.engine) == before
    finally:
        container.close()


@pytest.mark.parametrize("on_postgresql", [False, pytest.param(True, marks=pytest.mark.postgres)],
                         ids=["sqlite", "postgresql"])
def test_audit_exits_1_with_the_first_bad_index(home: Path, request: pytest.FixtureRequest,
                                                on_postgresql: bool) -> None:
    db = request.getfixturevalue("pg_url") if on_postgresql else None
    container = build_container(make_settings(home, db))
    try:
        container.ledger.record(notes(0, 300))
        container.ledger.record(notes(300, 10))
        tamper(container.engine, edit_entry, 123)
    finally:
        container.close()
    result = reetrace(home, "log", "audit", db=db, code=1)
    assert "first bad index 123" in result.stdout, result.stdout
    assert "entry 123" in result.stdout


def test_replay_reports_and_repairs(seeded: Container, home: Path) -> None:
    with seeded.unit_of_work() as (uow, _):
        register_enterprise(uow, "tenant-a", "tester", enterprise("ENT-007"))
    with write_transaction(seeded.engine) as conn:
        conn.execute(enterprises.update().values(name="Shell Co"))
    tampered = snapshot(seeded.engine)
    check = reetrace(home, "log", "replay", "--check", code=1)
    assert "registry_enterprises" in check.stdout and "changed: ENT-007" in check.stdout
    assert snapshot(seeded.engine) == tampered  # --check leaves the tables alone
    assert "1 differences" in reetrace(home, "log", "replay", code=1).stdout
    assert "0 differences" in reetrace(home, "log", "replay").stdout
