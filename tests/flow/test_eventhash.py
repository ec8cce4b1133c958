"""The CBV 2.0 event hash against published vectors.

Vectors: RalphTro/epcis-event-hash-generator, tests/examples/epcisDocWithSingleEvent.jsonld with its .prehashes
and .hashes (MIT); the quantity-list pre-hash string from the openepcis event-hash generator's tests.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reetrace.domains.flow.eventhash import (
    DEFAULT_SPACES,
    _field,
    _generic,
    canonical_id,
    event_hash,
    number,
    prehash,
    quantity_list_prehash,
)

SINGLE_EVENT = {
    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
    "eventTime": "2022-02-16T20:33:31.116000-06:00", "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}],
}
SINGLE_PREHASH = ("eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00epcListepc=https:"
                  "//id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018action=OBSERVE"
                  "bizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit"
                  "readPointid=https://id.gs1.org/414/0614141073467/254/1234bizTransactionListbizTransaction=http://"
                  "transaction.acme.com/po/12345678type=https://ref.gs1.org/cbv/BTT-po")
SINGLE_HASH = "ni:///sha-256;3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182?ver=CBV2.0"


def test_published_single_event_vector() -> None:
    assert prehash(SINGLE_EVENT) == SINGLE_PREHASH
    assert event_hash(SINGLE_EVENT) == SINGLE_HASH


def test_quantity_list_prehash_is_sorted_and_canonical() -> None:
    expected = ("quantityListquantityElementepcClass=https://id.gs1.org/01/04012345999884/10/2014-02-10quantity=2030"
                "uom=KGMquantityElementepcClass=https://id.gs1.org/01/04054739999148/10/20160711quantity=600uom=KGM")
    elements = [{"epcClass": "urn:epc:class:lgtin:4054739.099914.20160711", "quantity": 600, "uom": "KGM"},
                {"epcClass": "urn:epc:class:lgtin:4012345.099988.2014-02-10", "quantity": 2030.0, "uom": "KGM"}]
    assert quantity_list_prehash("quantityList", elements) == expected
    assert quantity_list_prehash("quantityList", elements[::-1]) == expected


def test_hash_ignores_order_record_time_and_event_id_but_not_values() -> None:
    reordered = dict(reversed(list(SINGLE_EVENT.items())))
    reordered["epcList"] = SINGLE_EVENT["epcList"][::-1]
    assert event_hash({**reordered, "recordTime": "2023-01-01T00:00:00Z", "eventID": "urn:uuid:1"}) == SINGLE_HASH
    assert event_hash({**SINGLE_EVENT, "eventTime": "2022-02-17T02:33:31.116Z"}) == SINGLE_HASH  # same instant
    changed = copy.deepcopy(SINGLE_EVENT)
    changed["readPoint"]["id"] = "urn:epc:id:sgln:0614141.07346.1235"
    assert event_hash(changed) != SINGLE_HASH
    assert event_hash({**SINGLE_EVENT, "reetrace:endUser": "x"}) != SINGLE_HASH


def test_extension_prefix_does_not_change_the_hash() -> None:
    a = {**SINGLE_EVENT, "reetrace:processStep": "mining"}
    b = {**SINGLE_EVENT, "rt:processStep": "mining"}
    assert event_hash(a) == event_hash(b, {"rt": "https://reetrace.org/voc/flow/"})


def test_identifiers_as_digital_link() -> None:
    assert canonical_id("urn:epc:id:sscc:0614141.1234567890") == "https://id.gs1.org/00/106141412345678908"
    assert canonical_id("urn:epc:id:sgln:0614141.12345.0") == "https://id.gs1.org/414/0614141123452"
    assert canonical_id("urn:reetrace:lot:L-1") == "urn:reetrace:lot:L-1"


# --- the fast generic pre-hash against a plain reading of the algorithm ---------------------------------------

def _reference(name: str, value: Any, spaces: Mapping[str, str]) -> str:
    """The generic pre-hash of a value as the algorithm states it, one call per value (no shortcuts)."""
    if isinstance(value, str):
        return f"{name}={value}"
    if isinstance(value, Mapping):
        members = []
        for key, item in value.items():
            prefix, _, local = key.partition(":")
            members.append(_reference(f"{{{spaces.get(prefix, prefix)}}}{local}" if local else key, item, spaces))
        return name + "".join(sorted(members))
    if isinstance(value, list | tuple):
        return "".join(sorted(_reference(name, v, spaces) for v in value))
    if isinstance(value, bool):
        return f"{name}={str(value).lower()}"
    if isinstance(value, int | float):
        return f"{name}={number(value)}"
    return f"{name}={value}"


_keys = st.sampled_from(["lot", "a", "reetrace:x", "ex:y", "z:", ":w", "Nd", "b:c:d"])
_leaves = (st.text(max_size=5) | st.booleans() | st.none() | st.integers(min_value=-(2**60), max_value=2**60)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([600.0, 0.5, 1e-7, 2.0**53, -0.0]))
_values = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(_keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_generic_prehash_equals_the_plain_reading(value: Any) -> None:
    spaces = {**DEFAULT_SPACES, "ex": "https://ex.org/"}
    assert _generic("{ns}field", value, spaces) == _reference("{ns}field", value, spaces)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=5))
def test_ilmd_prehash_equals_the_plain_reading(ilmd: dict[str, Any]) -> None:
    """``ilmd``'s members are extension fields: each written as its expanded name and value, sorted."""
    spaces = {**DEFAULT_SPACES, "ex": "https://ex.org/"}
    members = []
    for key, value in ilmd.items():
        prefix, _, local = key.partition(":")
        members.append(_reference(f"{{{spaces.get(prefix, prefix)}}}{local}" if local else key, value, spaces))
    assert _field("ilmd", ilmd, spaces) == "ilmd" + "".join(sorted(members))
