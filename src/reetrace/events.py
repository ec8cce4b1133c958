"""Events: the one shape every fact takes before it becomes a log entry.

An event is validated at the boundary (kind known, body valid for that kind) and serialised as RFC 8785
canonical JSON; those bytes are the log entry and their RFC 9162 leaf hash is what the tree commits to.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection

from reetrace.errors import Detail, Error, invalid

MAX_ENTRY_BYTES = 1 << 20
SAFE_INT = 2**53 - 1
ENTRY_VERSION = 1
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")

JSON = Any


def new_event_id() -> str:
    """A time-ordered 128-bit id (UUIDv7 layout: 48-bit milliseconds, version, random), as 32 hex digits.

    Time order keeps the unique index on event ids append-mostly, which keeps batched appends fast.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 4 & (2**12 - 1)) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    return f"{value:032x}"  # uuid.UUID(int=value).hex


def new_event_ids(count: int) -> list[str]:
    """``count`` ids as :func:`new_event_id` makes them, with one clock reading and one read of the random source."""
    millis = time.time_ns() // 1_000_000
    fixed = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | 0b10 << 62
    pool = os.urandom(10 * count)
    out = []
    for start in range(0, 10 * count, 10):
        rand = int.from_bytes(pool[start:start + 10], "big")
        out.append(f"{fixed | (rand >> 4 & (2**12 - 1)) << 64 | rand & (2**62 - 1):032x}")
    return out


class Event(BaseModel):
    """A fact about to be appended: who (actor), for whom (tenant), when, about what (subjects), what (body)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=100)
    body: dict[str, JSON]
    actor: str = Field(default="system", min_length=1, max_length=200)
    tenant: str | None = Field(default=None, max_length=64)
    subjects: tuple[str, ...] = ()
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    id: str = Field(default_factory=lambda: new_event_id(), min_length=1, max_length=64)

    @field_validator("kind")
    @classmethod
    def _kind_shape(cls, value: str) -> str:
        if not KIND_PATTERN.match(value):
            raise ValueError("a kind is dotted lower-case words, e.g. 'registry.enterprise.registered'")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at needs a time zone")
        return value.astimezone(UTC)

    def envelope(self) -> dict[str, JSON]:
        return {
            "v": ENTRY_VERSION,
            "id": self.id,
            "kind": self.kind,
            "tenant": self.tenant,
            "actor": self.actor,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "subjects": list(self.subjects),
            "body": self.body,
        }


Projector = Callable[[Connection, Sequence[tuple[Event, int]]], None]
"""Updates read tables for a run of events of one kind, each with its log index (batched for speed)."""


@dataclass(frozen=True)
class EventKind:
    """A kind of event: its body model (validation) and how it updates the read tables (projection)."""

    name: str
    body_model: type[BaseModel] | None
    project: Projector | None = None
    description: str = ""


@dataclass
class KindRegistry:
    """The kinds this deployment accepts; an unknown kind is refused before anything is written."""

    kinds: dict[str, EventKind] = field(default_factory=dict)

    def add(self, kind: EventKind) -> None:
        if kind.name in self.kinds:
            raise ValueError(f"event kind {kind.name!r} registered twice")
        self.kinds[kind.name] = kind

    def extend(self, kinds: Iterable[EventKind]) -> None:
        for kind in kinds:
            self.add(kind)

    def get(self, name: str) -> EventKind:
        try:
            return self.kinds[name]
        except KeyError:
            known = ", ".join(sorted(self.kinds)) or "none"
            raise invalid(f"unknown event kind {name!r}", Detail(f"known kinds: {known}", "kind"),
                          code="unknown_kind") from None

    def validate(self, event: Event) -> Event:
        """Check the body against its kind; returns the event with the body normalised by the model."""
        spec = self.get(event.kind)
        if spec.body_model is None:
            return event
        try:
            model = spec.body_model.model_validate(event.body)
        except ValidationError as exc:
            raise invalid(f"the body of a {event.kind!r} event is not valid",
                          *_pydantic_details(exc, prefix="body")) from None
        return event.model_copy(update={"body": model.model_dump(mode="json")})


def _pydantic_details(exc: ValidationError, prefix: str) -> list[Detail]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]))
        out.append(Detail(err["msg"], loc))
    return out


def parse_event(data: Mapping[str, JSON]) -> Event:
    """Parse an event from untrusted data (a CLI flag, an API request)."""
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        raise invalid("the event is not valid", *_pydantic_details(exc, prefix="event")) from None


def canonical_entry(event: Event) -> bytes:
    """RFC 8785 canonical JSON of the event's envelope; refuses NaN, infinities, non-string keys, > 1 MiB."""
    data = canonical_json(event.envelope(), "event")
    if len(data) > MAX_ENTRY_BYTES:
        raise invalid(f"the event is {len(data)} bytes; an entry may be at most {MAX_ENTRY_BYTES} bytes",
                      Detail("make the body smaller or store the document in the vault", "body"),
                      code="entry_too_large")
    return data


def canonical_json(value: JSON, where: str = "value") -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value.

    Values without keys outside the Basic Multilingual Plane, and whose floats have a fraction and a magnitude of
    1e-4 or more, serialise the same under JCS and under ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``, which is much faster; so do integral floats below 2**53 once written as integers (JCS
    writes 600.0 as 600). Anything else goes through the reference implementation (``rfc8785``). A property test
    checks that both agree.
    """
    try:
        state = _plain_json(value, where)
        if state == _REFERENCE:
            data: bytes = rfc8785.dumps(value)
            return data
        if state == _INTEGRAL:
            value = _integral_floats_as_ints(value)
        return _dumps(value).encode("utf-8")
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:  # lone surrogates, huge numbers
        raise invalid("the event cannot be canonicalised as RFC 8785 JSON", Detail(str(exc), where),
                      code="not_canonicalisable") from None


def _refuse(value: object) -> None:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # untyped in typeshed
if _MAKE_ENCODER is not None:  # json.dumps(sort_keys, compact, ensure_ascii=False, allow_nan=False) minus its set-up
    _ENCODE = _MAKE_ENCODER(None, _refuse, json.encoder.encode_basestring, None, ":", ",", True, False, False)

    def _dumps(value: JSON) -> str:
        return "".join(_ENCODE(value, 0))
else:  # pragma: no cover - CPython has the C encoder
    def _dumps(value: JSON) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class _NotJSON(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


_PLAIN, _INTEGRAL, _REFERENCE = 0, 1, 2  # how a value serialises as JCS: json.dumps, after int(), rfc8785
_EXACT_FLOAT_INT = 2.0**53


def _plain_json(value: JSON, where: str) -> int:
    """Validate a JSON value; say how it serialises exactly as JCS (``_PLAIN``, ``_INTEGRAL``, ``_REFERENCE``)."""
    try:
        return _plain(value)
    except _NotJSON as exc:
        raise invalid("the event cannot be canonicalised as RFC 8785 JSON",
                      Detail(exc.message, where + "".join(reversed(exc.path))), code="not_canonicalisable") from None


def _plain(value: JSON) -> int:
    kind = type(value)
    if kind is dict:
        return _plain_members(value)
    if kind is list or kind is tuple:
        return _plain_items(value)
    if kind is str or kind is bool or value is None:
        return _PLAIN
    if kind is int:
        if not -SAFE_INT <= value <= SAFE_INT:
            raise _NotJSON(f"{value} is beyond the integers JSON numbers hold exactly (2**53 - 1)")
        return _PLAIN
    if kind is float:
        return _float_state(value)
    raise _NotJSON(f"{kind.__name__} is not a JSON value")


def _plain_members(value: dict[Any, JSON]) -> int:
    state = _PLAIN
    if value and ({*map(type, value)} != {str} or not "".join(value).isascii()):  # the keys at C speed first
        for key in value:
            if type(key) is not str:
                raise _NotJSON(f"key {key!r} is not a string")
            if not key.isascii() and max(key) > "\uffff":
                state = _REFERENCE
    for key, item in value.items():
        kind = type(item)
        if kind is str or kind is bool or item is None or (kind is int and -SAFE_INT <= item <= SAFE_INT):
            continue  # the common leaves, without a call
        try:
            state = max(state, _plain(item))
        except _NotJSON as exc:
            exc.path.append(f".{key}")
            raise
    return state


def _plain_items(value: list[JSON] | tuple[JSON, ...]) -> int:
    state = _PLAIN
    for i, item in enumerate(value):
        kind = type(item)
        if kind is str or kind is bool or item is None or (kind is int and -SAFE_INT <= item <= SAFE_INT):
            continue
        try:
            state = max(state, _plain(item))
        except _NotJSON as exc:
            exc.path.append(f"[{i}]")
            raise
    return state


def _float_state(value: float) -> int:
    if not math.isfinite(value):
        raise _NotJSON(f"{value} is not a JSON number")
    if value.is_integer():  # json.dumps writes 600.0, JCS 600; exact as an int below 2**53
        return _INTEGRAL if -_EXACT_FLOAT_INT < value < _EXACT_FLOAT_INT else _REFERENCE
    # repr() (what json.dumps writes) is the ECMAScript form (shortest round trip, fixed notation) for a float with
    # a fraction and a magnitude from 1e-4 up; below, Python writes 1e-05 where ECMAScript writes 0.00001.
    return _PLAIN if abs(value) >= 1e-4 else _REFERENCE


def _integral_floats_as_ints(value: JSON) -> JSON:
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_integral_floats_as_ints(item) for item in value]
    return value


def event_from_entry(entry: bytes) -> Event:
    """Read a stored entry back into an event (for replay and display)."""
    try:
        data = json.loads(entry)
        data.pop("v", None)
        return Event.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise Error(f"stored entry is not a reetrace event: {exc}", code="bad_entry", http_status=500) from None
