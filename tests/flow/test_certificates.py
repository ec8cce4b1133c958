"""Provenance certificates: built from the genealogy and the log, verified offline, and failing on any change."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flow_chain import NORTH, chain, create, lot, master, record, transform

from reetrace.container import Container
from reetrace.domains.flow.certificates import (
    Certificate,
    build_certificate,
    certificate_json,
    certificate_pdf,
    verify_certificate,
)
from reetrace.domains.registry.service import register_enterprise
from reetrace.errors import Error, VerificationError
from reetrace.log.note import Signer
from reetrace.storage.engine import read_transaction
from support.logdb import enterprise


def _world_chain(world: Container) -> None:
    """CONC-A mined in Malaysia (ENT-MY1), CONC-B in China; separated and made into MAG-1 by ENT-N1 (CN)."""
    with world.unit_of_work() as (uow, _):
        register_enterprise(uow, "group-north", "tester", enterprise("ENT-MY1", name="Lynas-like Miner", country="MY",
                                                                     province="Pahang", role="mine"))
    events = chain()
    record(world, events[0], enterprise="ENT-MY1")
    record(world, *events[1:])


def _certificate(world: Container, name: str = "MAG-1") -> dict[str, Any]:
    with read_transaction(world.engine) as conn:
        cert = build_certificate(conn, lot(name))
    data: dict[str, Any] = json.loads(certificate_json(cert))
    return data


def _vkey(world: Container) -> str:
    return world.verifier.vkey


def test_certificate_names_each_step_its_country_and_verifies(world: Container) -> None:
    _world_chain(world)
    data = _certificate(world)
    verified = verify_certificate(json.dumps(data), _vkey(world))
    cert = verified.certificate
    assert [(s.step, s.lot.rsplit(":", 1)[1], s.enterprise_id, s.country) for s in cert.steps] == [
        ("mined", "CONC-A", "ENT-MY1", "MY"), ("mined", "CONC-B", "ENT-N1", "CN"), ("refined", "MIX-1", "ENT-N1", "CN"),
        ("separated", "ND-1", "ENT-N1", "CN"), ("magnet", "MAG-1", "ENT-N1", "CN")]
    assert cert.countries() == {"mined": ["CN", "MY"], "refined": ["CN"], "separated": ["CN"], "magnet": ["CN"]}
    assert {s.lot: s.share for s in cert.steps if s.share is not None} == pytest.approx(
        {lot("CONC-A"): 0.6, lot("CONC-B"): 0.4})
    assert verified.size == int(data["log"]["checkpoint"].split("\n")[1])
    assert len(data["entries"]) == 5 + 2  # five flow events, two enterprise registrations
    assert "DY-1" not in json.dumps(data)  # a sibling lot is not part of the magnet's provenance


def test_a_source_lot_alone_is_its_own_only_step(world: Container) -> None:
    record(world, create("ORE-1", 1000, "ore", 0.05, La=0.6, Ce=0.4))
    cert = verify_certificate(json.dumps(_certificate(world, "ORE-1")), _vkey(world)).certificate
    assert [(s.step, s.share) for s in cert.steps] == [("mined", 1.0)]


def test_pdf_rendering_is_a_pdf_with_the_steps(world: Container) -> None:
    _world_chain(world)
    pdf = certificate_pdf(Certificate.model_validate(_certificate(world)))
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[start:start + 4] == b"xref"
    assert b"ENT-MY1" in pdf and b"mined: CN, MY" in pdf and b"verify-certificate" in pdf


def _flip_entry_byte(data: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(data["entries"][0]["entry"]))
    raw[len(raw) // 2] ^= 0x01
    data["entries"][0]["entry"] = base64.b64encode(bytes(raw)).decode()


def _flip_entry_byte_and_leaf(data: dict[str, Any]) -> None:
    from reetrace.log.hashing import leaf_hash

    _flip_entry_byte(data)
    data["entries"][0]["leaf_hash"] = leaf_hash(base64.b64decode(data["entries"][0]["entry"])).hex()


def _flip_proof_hash(data: dict[str, Any]) -> None:
    entry = next(e for e in data["entries"] if e["proof"])
    h = entry["proof"][0]
    entry["proof"][0] = ("0" if h[0] != "0" else "1") + h[1:]


def _change_checkpoint_size(data: dict[str, Any]) -> None:
    lines = data["log"]["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)
    data["log"]["checkpoint"] = "\n".join(lines)


def _change_country(data: dict[str, Any]) -> None:
    data["steps"][0]["country"] = "CN"


def _drop_step(data: dict[str, Any]) -> None:
    data["steps"] = [s for s in data["steps"] if not s["lot"].endswith("MIX-1")]


def _change_share(data: dict[str, Any]) -> None:
    data["steps"][0]["share"] = 0.7


@pytest.mark.parametrize(("change", "code", "says"), [
    (_flip_entry_byte, "leaf_mismatch", "hash to leaf"),
    (_flip_entry_byte_and_leaf, "inclusion_invalid", "inclusion proof"),
    (_flip_proof_hash, "inclusion_invalid", "inclusion proof"),
    (_change_checkpoint_size, "checkpoint_invalid", "log.checkpoint"),
    (_change_country, "step_mismatch", "country"),
    (_drop_step, "certificate_invalid", "MIX-1, which has no step"),
    (_change_share, "step_mismatch", "share"),
])
def test_each_kind_of_change_fails_naming_what(world: Container, change: Any, code: str, says: str) -> None:
    _world_chain(world)
    data = _certificate(world)
    change(data)
    with pytest.raises(VerificationError) as err:
        verify_certificate(json.dumps(data), _vkey(world))
    assert err.value.code == code and says in err.value.message, err.value.message


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _mutated(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "X"
    if isinstance(value, int | float):
        return value + 1
    text = str(value)
    first = text[0]
    swap = format((int(first, 16) + 1) % 16, "x") if first in "0123456789abcdef" else ("B" if first != "B" else "C")
    return swap + text[1:]


def test_any_change_to_any_field_fails(world: Container) -> None:
    _world_chain(world)
    data = _certificate(world)
    verify_certificate(json.dumps(data), _vkey(world))
    leaves = list(_leaves(data))
    assert len(leaves) > 100
    for path, value in leaves:
        changed = copy.deepcopy(data)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _mutated(value)
        with pytest.raises(VerificationError):
            verify_certificate(json.dumps(changed), _vkey(world))
            pytest.fail(f"a change at {path} went unnoticed")


def test_another_logs_key_or_a_bad_file_is_refused(world: Container) -> None:
    _world_chain(world)
    data = json.dumps(_certificate(world))
    stranger = Signer.generate(world.signer.name).verifier.vkey
    with pytest.raises(VerificationError) as err:
        verify_certificate(data, stranger)
    assert err.value.code == "checkpoint_invalid"
    with pytest.raises(VerificationError) as err:
        verify_certificate(data, "not a key")
    assert err.value.code == "bad_key"
    with pytest.raises(VerificationError) as err:
        verify_certificate("{not json", _vkey(world))
    assert err.value.code == "certificate_malformed"
    with pytest.raises(VerificationError) as err:
        verify_certificate(json.dumps({**json.loads(data), "extra": 1}), _vkey(world))
    assert err.value.code == "certificate_malformed" and "extra" in err.value.message


def test_certificate_of_an_unknown_or_invisible_lot_is_404(world: Container) -> None:
    record(world, create("ORE-1", 1000, "ore", 0.05, La=1.0))
    with read_transaction(world.engine) as conn:
        with pytest.raises(Error) as err:
            build_certificate(conn, lot("NOPE"))
        assert err.value.http_status == 404
        with pytest.raises(Error) as err:
            build_certificate(conn, lot("ORE-1"), tenants=frozenset({"group-south"}))
        assert err.value.http_status == 404


def test_an_intermediate_with_two_parents_keeps_both_paths(world: Container) -> None:
    record(world, create("ORE-1", 1000, "ore", 0.1, Nd=1.0), create("ORE-2", 1000, "ore", 0.1, Nd=1.0),
           transform([("ORE-1", 500)], [("Y", 50, master("Y", "concentrate", 0.98, Nd=1.0))], "beneficiation"),
           transform([("ORE-1", 300), ("ORE-2", 100), ("Y", 100)],
                     [("X", 49, master("X", "concentrate", 0.98, Nd=1.0))], "beneficiation"), caller=NORTH)
    cert = verify_certificate(json.dumps(_certificate(world, "X")), _vkey(world)).certificate
    assert {s.lot: s.share for s in cert.steps} == pytest.approx(
        {lot("ORE-1"): 0.8, lot("ORE-2"): 0.2, lot("Y"): None, lot("X"): None})
