"""The EPCIS event hash (CBV 2.0, section "EPCIS Event Hash ID"): one fingerprint per event, whatever its syntax.

The pre-hash string is the event's fields in a fixed order, each ``name=value`` with no separators; lists are
their elements' strings sorted; identifiers are written in their canonical form (EPC URNs as GS1 Digital Link
URIs on ``https://id.gs1.org``, CBV short names as ``https://ref.gs1.org/cbv/...`` URIs); times in UTC with
milliseconds; ``recordTime`` and ``eventID`` are left out; extension fields come last as ``{namespace}name=value``,
sorted. The hash is SHA-256 of the UTF-8 pre-hash string, written ``ni:///sha-256;<hex>?ver=CBV2.0``
(RFC 6920 named information).

Written from the description in CBV 2.0 and the README of the reference implementation
(RalphTro/epcis-event-hash-generator); the tests check it against that project's published example hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .epcis import PREFIX, REETRACE_NS

HASH_VERSION = "CBV2.0"
CBV = "https://ref.gs1.org/cbv/"
DIGITAL_LINK = "https://id.gs1.org/"

# (field, pre-hash name) in the order of the CBV 2.0 algorithm; lists of identifiers and of quantity elements.
ID_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
ORDER = ("errorDeclaration", "parentID", "epcList", "inputEPCList", "childEPCs", "quantityList", "childQuantityList",
         "inputQuantityList", "outputEPCList", "outputQuantityList", "action", "transformationID", "bizStep",
         "disposition", "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList",
         "destinationList", "sensorElementList", "ilmd", "certificationInfo")
RANK = {name: n for n, name in enumerate(ORDER)}
LAST = len(ORDER)
LEFT_OUT = {"type", "eventTime", "eventTimeZoneOffset", "recordTime", "eventID", "@context"}
CBV_PREFIX = {"bizStep": "BizStep-", "disposition": "Disp-", "bizTransaction.type": "BTT-", "source.type": "SDT-",
              "destination.type": "SDT-", "errorDeclaration.reason": "ER-"}

DEFAULT_SPACES = {PREFIX[:-1]: REETRACE_NS}


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The event hash of one event in compact JSON(-LD) form; ``namespaces`` maps extension prefixes to URIs."""
    digest = hashlib.sha256(prehash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def prehash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    spaces = {PREFIX[:-1]: REETRACE_NS, **namespaces} if namespaces else DEFAULT_SPACES
    parts = [f"eventType={event['type']}eventTime={utc_millis(str(event['eventTime']))}"
             f"eventTimeZoneOffset={event['eventTimeZoneOffset']}"]
    fields: list[tuple[int, str, Any]] = []
    extensions = []
    for key, value in event.items():
        rank = RANK.get(key)
        if rank is not None:
            if value is not None and value != [] and value != {}:
                fields.append((rank, key, value))
        elif key not in LEFT_OUT:
            extensions.append(_extension(key, value, spaces))
    fields.sort(key=_first)
    parts += [_field(name, value, spaces) for _, name, value in fields]
    extensions.sort()
    return "".join(parts + extensions)


def _first(item: tuple[int, str, Any]) -> int:
    return item[0]


def utc_millis(text: str) -> str:
    return utc_millis_of(datetime.fromisoformat(text.replace("Z", "+00:00")))


def utc_millis_of(moment: datetime) -> str:
    """An aware time in UTC with milliseconds: ``2026-03-01T00:00:00.000Z``."""
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # as strftime writes the year (unpadded), so that such hashes stay what they were
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (cheaper than an f-string or isoformat here)
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond // 1000)


def _field(name: str, value: Any, spaces: Mapping[str, str]) -> str:
    if name in QUANTITY_LISTS:  # the common fields first
        return quantity_list_prehash(name, value)
    if name == "ilmd":  # its members as extension fields, sorted
        return name + _members(value, spaces)
    if name in ("bizStep", "disposition"):
        return f"{name}={cbv(name, value)}"
    if name in ID_LISTS:
        return name + "".join(sorted(f"epc={canonical_id(v)}" for v in value))
    if name in ("parentID", "transformationID"):
        return f"{name}={canonical_id(value)}"
    if name in ("readPoint", "bizLocation"):
        rest = sorted(_extension(k, v, spaces) for k, v in value.items() if k != "id")
        return f"{name}id={canonical_id(value['id'])}" + "".join(rest)
    if name == "bizTransactionList":
        return name + "".join(sorted(_typed(e, "bizTransaction") for e in value))
    if name in ("sourceList", "destinationList"):
        key = name[:-4]
        return name + "".join(sorted(_typed(e, key) for e in value))
    if name == "errorDeclaration":
        return name + _error_declaration(value, spaces)
    if name == "persistentDisposition":
        return name + "".join(f"{k}={cbv('disposition', d)}" for k in ("set", "unset")
                              for d in sorted(value.get(k, [])))
    return _generic(name, value, spaces)


def quantity_list_prehash(name: str, elements: Any) -> str:
    items = []
    for e in elements:
        text = f"quantityElementepcClass={canonical_id(e['epcClass'])}"
        if e.get("quantity") is not None:
            text += f"quantity={number(e['quantity'])}"
        if e.get("uom") is not None:
            text += f"uom={e['uom']}"
        items.append(text)
    return name + "".join(sorted(items))


def number(value: Any) -> str:
    if type(value) is int and -(2**53) <= value <= 2**53:  # exact as a float: the same digits
        return str(value)
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else repr(as_float)


def _typed(element: Mapping[str, Any], key: str) -> str:
    text = f"{key}={canonical_id(element[key])}"
    if element.get("type") is not None:
        text += f"type={cbv(key + '.type', element['type'])}"
    return text


def _error_declaration(value: Mapping[str, Any], spaces: Mapping[str, str]) -> str:
    text = f"declarationTime={utc_millis(str(value['declarationTime']))}"
    if value.get("reason"):
        text += f"reason={cbv('errorDeclaration.reason', value['reason'])}"
    ids = value.get("correctiveEventIDs") or []
    if ids:
        text += "correctiveEventIDs" + "".join(sorted(f"correctiveEventID={i}" for i in ids))
    rest = sorted(_extension(k, v, spaces) for k, v in value.items()
                  if k not in ("declarationTime", "reason", "correctiveEventIDs"))
    return text + "".join(rest)


def cbv(kind: str, value: str) -> str:
    """A CBV short name (``shipping``) or 1.2 URN (``urn:epcglobal:cbv:bizstep:shipping``) as its 2.0 URI."""
    if value.startswith("urn:epcglobal:cbv:"):
        value = value.rsplit(":", 1)[1]
    if ":" in value:
        return value
    return CBV + CBV_PREFIX[kind] + value


def _extension(key: str, value: Any, spaces: Mapping[str, str]) -> str:
    prefix, _, local = key.partition(":")
    return _generic(f"{{{spaces.get(prefix, prefix)}}}{local}" if local else key, value, spaces)


def _generic(name: str, value: Any, spaces: Mapping[str, str]) -> str:
    kind = type(value)  # exact types first (cheap); the isinstance checks below keep subclasses and other mappings
    if kind is str:
        return f"{name}={value}"
    if kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
        return name + _members(value, spaces)
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        if kind is list or kind is tuple:
            if all(type(v) is dict for v in value):  # a list of plain objects (lot master data): no call per element
                items = [name + _members(v, spaces) for v in value]
            else:
                items = [_generic(name, v, spaces) for v in value]
        else:
            items = [_generic(name, v, spaces) for v in value]
        items.sort()
        return "".join(items)
    if isinstance(value, bool):
        return f"{name}={str(value).lower()}"
    if isinstance(value, int | float):
        return f"{name}={number(value)}"
    return f"{name}={value}"


def _members(value: Mapping[str, Any], spaces: Mapping[str, str]) -> str:
    """The members of an object, each ``name=value`` (extension names expanded), sorted and joined.

    ``_generic`` of each member, with the common leaves (text, floats with a fraction, exact integers) written here
    rather than through a call.
    """
    members = []
    for key, item in value.items():
        if ":" in key:  # _extension, inlined
            prefix, _, local = key.partition(":")
            if local:
                key = f"{{{spaces.get(prefix, prefix)}}}{local}"
        kind = type(item)
        if kind is str:
            members.append(f"{key}={item}")
        elif kind is float and not item.is_integer():
            members.append(f"{key}={item!r}")
        elif kind is int and -(2**53) <= item <= 2**53:
            members.append(f"{key}={item}")
        else:
            members.append(_generic(key, item, spaces))
    members.sort()
    return "".join(members)


# --- EPC URNs as GS1 Digital Link URIs --------------------------------------------------------------------------


def check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def canonical_id(value: str) -> str:
    """An EPC pure-identity or class URN as its Digital Link URI; anything else as it is."""
    if not value.startswith(("urn:epc:id:", "urn:epc:class:")):
        return value
    scheme, _, rest = value.split(":", 3)[3].partition(":")
    parts = rest.split(".")
    try:
        return _digital_link(scheme, parts) or value
    except (IndexError, ValueError):
        return value


def _digital_link(scheme: str, parts: list[str]) -> str | None:
    if scheme in ("sgtin", "lgtin"):
        company, item, tail = parts[0], parts[1], ".".join(parts[2:])
        body = item[:1] + company + item[1:]
        return f"{DIGITAL_LINK}01/{body}{check_digit(body)}/{'21' if scheme == 'sgtin' else '10'}/{tail}"
    if scheme == "sscc":
        company, serial = parts
        body = serial[:1] + company + serial[1:]
        return f"{DIGITAL_LINK}00/{body}{check_digit(body)}"
    if scheme == "sgln":
        company, location, extension = parts[0], parts[1], ".".join(parts[2:])
        body = company + location
        link = f"{DIGITAL_LINK}414/{body}{check_digit(body)}"
        return link if extension in ("", "0") else f"{link}/254/{extension}"
    if scheme == "pgln":
        body = parts[0] + parts[1]
        return f"{DIGITAL_LINK}417/{body}{check_digit(body)}"
    return None
