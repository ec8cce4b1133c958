"""EPCIS 2.0 JSON-LD documents: read one into events, write stored events back as one.

Reading keeps each event in compact form. Extension prefixes come from the document's ``@context``; whatever
prefix a document gives the reetrace namespace, its fields are rewritten to ``reetrace:`` so that every stored
event reads the same (the event hash expands prefixes, so it does not change). No remote context is fetched: the
GS1 context is recognised by its URL, and terms are taken as the GS1 context defines them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from reetrace.errors import Detail, invalid

from .epcis import GS1_CONTEXT, PREFIX, REETRACE_NS
from .service import EventInput

GS1_CONTEXTS = (GS1_CONTEXT, "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
                "https://ref.gs1.org/standards/epcis/2.0.1/epcis-context.jsonld")


def read_document(data: bytes, filename: str = "document") -> list[EventInput]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"{filename} is not JSON: {exc}", Detail(str(exc), filename), code="not_json") from None
    if not isinstance(doc, dict) or doc.get("type") != "EPCISDocument":
        raise invalid(f"{filename} is not an EPCIS document", Detail('"type" must be "EPCISDocument"', "type"),
                      code="not_epcis")
    if str(doc.get("schemaVersion")) not in ("2.0", "2.0.0", "2.0.1"):
        raise invalid(f"{filename}: schemaVersion {doc.get('schemaVersion')!r} is not 2.0",
                      Detail("EPCIS 2.0 JSON-LD documents are imported", "schemaVersion"), code="not_epcis")
    spaces = namespaces(doc.get("@context"), filename)
    body = doc.get("epcisBody")
    event_list = body.get("eventList") if isinstance(body, dict) else None
    if not isinstance(event_list, list):
        raise invalid(f"{filename}: no epcisBody.eventList", Detail("an array of events", "epcisBody.eventList"),
                      code="not_epcis")
    out = []
    for n, raw in enumerate(event_list):
        label = f"{filename}: epcisBody.eventList[{n}]"
        if not isinstance(raw, dict):
            raise invalid(f"{label} is not an object", Detail("each event is a JSON object", label))
        out.append(EventInput(label, _rename(raw, spaces), _used(raw, spaces)))
    return out


def namespaces(context: Any, filename: str) -> dict[str, str]:
    """Prefix -> namespace URI from an ``@context`` (a URL, an object, or an array of them)."""
    items = context if isinstance(context, list) else [context]
    if not any(isinstance(i, str) and i in GS1_CONTEXTS for i in items):
        raise invalid(f"{filename}: the @context does not include the GS1 EPCIS 2.0 context",
                      Detail(f"add {GS1_CONTEXT!r}", "@context"), code="not_epcis")
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            out.update({k: v for k, v in item.items() if isinstance(v, str) and not k.startswith("@")})
    return out


def _prefix_map(spaces: Mapping[str, str]) -> dict[str, str]:
    return {p: PREFIX[:-1] for p, uri in spaces.items() if uri == REETRACE_NS}


def _rename(value: Any, spaces: Mapping[str, str]) -> Any:
    renames = _prefix_map(spaces)
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            prefix, sep, local = key.partition(":")
            out[f"{renames[prefix]}:{local}" if sep and prefix in renames else key] = _rename(v, spaces)
        return out
    if isinstance(value, list):
        return [_rename(v, spaces) for v in value]
    return value


def _used(event: Any, spaces: Mapping[str, str]) -> dict[str, str]:
    """The extension prefixes this event uses (other than reetrace's), with their namespaces."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, v in value.items():
                prefix, sep, _ = key.partition(":")
                if sep and prefix in spaces and spaces[prefix] != REETRACE_NS:
                    found[prefix] = spaces[prefix]
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(event)
    return found


def write_document(stored: Iterable[tuple[dict[str, Any], Mapping[str, str]]],
                   created: datetime | None = None) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document of stored events (each with the prefixes it uses)."""
    context: dict[str, str] = {PREFIX[:-1]: REETRACE_NS}
    event_list = []
    for event, spaces in stored:
        context.update(spaces)
        event_list.append(event)
    moment = (created or datetime.now(UTC)).astimezone(UTC)
    return {"@context": [GS1_CONTEXT, dict(sorted(context.items()))], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "epcisBody": {"eventList": event_list}}
