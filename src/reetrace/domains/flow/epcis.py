"""EPCIS 2.0 events (GS1, ISO/IEC 19987) as pydantic models, and the rare-earth extension vocabulary.

The five event types share what/when/where/why (and how: ``sensorElementList`` is kept as given). Material is
bulk, so lots are EPC classes in quantity lists (``epcClass`` + ``quantity`` + ``uom``). The ``reetrace:``
namespace adds:

- ``reetrace:processStep`` on an event: the step of the rare-earth chain it records (:data:`PROCESS_STEPS`);
- ``reetrace:lotMasterData`` in ``ilmd``: per lot the product class (:data:`PRODUCT_CLASSES`), the element of a
  separated oxide or metal, the REO content (REO-equivalent mass fraction, above 1 for metals: Dy metal is 1.148
  Dy2O3-equivalent) and the element distribution (each element's share of the REO, summing to at most 1);
- ``reetrace:endUser`` on a shipping event: who finally uses the material (the end-user statement).

The models check what GS1's EPCIS 2.0 JSON schema checks for these fields (types, required fields, the action
enumeration, time-zone offsets, non-negative quantities) plus the rules of this vocabulary; they are the
validation (GS1's schema file is not shipped with any package on the index and is not downloaded at run time).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
REETRACE_NS = "https://reetrace.org/voc/flow/"
PREFIX = "reetrace:"

ProductClass = Literal["ore", "concentrate", "mixed_carbonate", "mixed_chloride", "separated_oxide", "metal",
                       "alloy", "magnet", "scrap"]
PRODUCT_CLASSES: tuple[str, ...] = ("ore", "concentrate", "mixed_carbonate", "mixed_chloride", "separated_oxide",
                                    "metal", "alloy", "magnet", "scrap")
ProcessStep = Literal["mining", "beneficiation", "cracking", "solvent_extraction", "precipitation_calcination",
                      "metal_electrolysis", "alloying", "magnet_sintering", "recycling"]
PROCESS_STEPS: tuple[str, ...] = ("mining", "beneficiation", "cracking", "solvent_extraction",
                                  "precipitation_calcination", "metal_electrolysis", "alloying", "magnet_sintering",
                                  "recycling")
ELEMENTS: tuple[str, ...] = ("Y", "Sc", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er",
                             "Tm", "Yb", "Lu")
EventType = Literal["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
                    "AssociationEvent"]
EVENT_TYPES: tuple[str, ...] = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
                                "AssociationEvent")
TZ_OFFSET = r"^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$"
URI = r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"

Uri = Annotated[str, Field(pattern=URI, max_length=500)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class QuantityElement(_Model):
    epc_class: Uri = Field(alias="epcClass")
    quantity: float | None = None
    uom: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2,3}$")

    @field_validator("quantity")
    @classmethod
    def _not_negative(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError(f"the quantity {value} is negative or not a number: a quantity is 0 or more")
        return value


class BizTransaction(_Model):
    type: str | None = None
    biz_transaction: Uri = Field(alias="bizTransaction")


class Source(_Model):
    type: str
    source: Uri


class Destination(_Model):
    type: str
    destination: Uri


class Place(_Model):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    id: Uri


class ErrorDeclaration(_Model):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    declaration_time: datetime = Field(alias="declarationTime")
    reason: str | None = None
    corrective_event_ids: tuple[str, ...] = Field(default=(), alias="correctiveEventIDs")


class LotMasterData(_Model):
    """What a lot is: the rare-earth master data an ``ilmd`` carries for each lot it creates."""

    lot: Uri
    product_class: ProductClass = Field(alias="productClass")
    element: str | None = None
    reo_content: float = Field(alias="reoContent", gt=0, le=1.3)
    element_distribution: dict[str, float] = Field(default_factory=dict, alias="elementDistribution")

    @model_validator(mode="after")
    def _consistent(self) -> LotMasterData:
        named = set(self.element_distribution) | ({self.element} if self.element else set())
        unknown = sorted(named - set(ELEMENTS))
        if unknown:
            raise ValueError(f"unknown rare-earth element(s) {', '.join(map(str, unknown))}: "
                             f"one of {', '.join(ELEMENTS)}")
        if any(not 0 <= v <= 1 for v in self.element_distribution.values()):
            raise ValueError("each element's share of the REO is between 0 and 1")
        if sum(self.element_distribution.values()) > 1.000001:
            raise ValueError(f"the element shares sum to {sum(self.element_distribution.values()):.4f}, more than 1")
        if self.product_class in ("separated_oxide", "metal") and self.element is None:
            raise ValueError(f"a {self.product_class} lot names its element")
        if self.element is None and not self.element_distribution:
            raise ValueError("give the element distribution (or the element of a separated product)")
        return self

    def shares(self) -> dict[str, float]:
        """Each element's share of the REO (a separated product without a distribution is all its element)."""
        if self.element_distribution:
            return dict(self.element_distribution)
        assert self.element is not None
        return {self.element: 1.0}


class Ilmd(BaseModel):
    """Instance/lot master data: the vocabulary's lot master data, typed; other extension members kept as given."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    lot_master_data: tuple[LotMasterData, ...] = Field(default=(), alias="reetrace:lotMasterData")


class _Event(BaseModel):
    """The fields every EPCIS event has; extension fields (``prefix:name``) are kept as given."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    event_time: datetime = Field(alias="eventTime")
    event_time_zone_offset: str = Field(alias="eventTimeZoneOffset", pattern=TZ_OFFSET)
    record_time: datetime | None = Field(default=None, alias="recordTime")
    event_id: str | None = Field(default=None, alias="eventID")
    error_declaration: ErrorDeclaration | None = Field(default=None, alias="errorDeclaration")
    certification_info: Any = Field(default=None, alias="certificationInfo")
    biz_step: str | None = Field(default=None, alias="bizStep")
    disposition: str | None = None
    persistent_disposition: dict[str, Any] | None = Field(default=None, alias="persistentDisposition")
    read_point: Place | None = Field(default=None, alias="readPoint")
    biz_location: Place | None = Field(default=None, alias="bizLocation")
    biz_transaction_list: tuple[BizTransaction, ...] = Field(default=(), alias="bizTransactionList")
    source_list: tuple[Source, ...] = Field(default=(), alias="sourceList")
    destination_list: tuple[Destination, ...] = Field(default=(), alias="destinationList")
    sensor_element_list: tuple[dict[str, Any], ...] = Field(default=(), alias="sensorElementList")

    @field_validator("event_time", "record_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a time needs its offset (e.g. 2026-03-01T08:00:00+08:00)")
        return value

    @model_validator(mode="after")
    def _extensions(self) -> _Event:
        for key in self.model_extra or {}:
            if ":" not in key and key not in ("@context", "type"):
                raise ValueError(f"unknown field {key!r}: extension fields are prefixed (e.g. reetrace:processStep)")
        step = (self.model_extra or {}).get(PREFIX + "processStep")
        if step is not None and step not in PROCESS_STEPS:
            raise ValueError(f"unknown process step {step!r}: one of {', '.join(PROCESS_STEPS)}")
        return self

    @property
    def process_step(self) -> str | None:
        step = (self.model_extra or {}).get(PREFIX + "processStep")
        return None if step is None else str(step)

    @property
    def end_user(self) -> str | None:
        user = (self.model_extra or {}).get(PREFIX + "endUser")
        return None if user is None else str(user)

    def lot_master_data(self) -> tuple[LotMasterData, ...]:
        """The lot master data in ``ilmd`` (validated with the event: the model is frozen)."""
        ilmd = getattr(self, "ilmd", None)
        return () if ilmd is None else ilmd.lot_master_data


class ObjectEvent(_Event):
    type: Literal["ObjectEvent"]
    action: Literal["ADD", "OBSERVE", "DELETE"]
    epc_list: tuple[Uri, ...] = Field(default=(), alias="epcList")
    quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="quantityList")
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _ilmd_on_add(self) -> ObjectEvent:
        if self.ilmd is not None and self.action != "ADD":
            raise ValueError("ilmd (lot master data) comes with action ADD only")
        return self


class AggregationEvent(_Event):
    type: Literal["AggregationEvent"]
    action: Literal["ADD", "OBSERVE", "DELETE"]
    parent_id: Uri | None = Field(default=None, alias="parentID")
    child_epcs: tuple[Uri, ...] = Field(default=(), alias="childEPCs")
    child_quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="childQuantityList")


class TransactionEvent(_Event):
    type: Literal["TransactionEvent"]
    action: Literal["ADD", "OBSERVE", "DELETE"]
    parent_id: Uri | None = Field(default=None, alias="parentID")
    epc_list: tuple[Uri, ...] = Field(default=(), alias="epcList")
    quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="quantityList")

    @model_validator(mode="after")
    def _has_transaction(self) -> TransactionEvent:
        if not self.biz_transaction_list:
            raise ValueError("a TransactionEvent names at least one business transaction (bizTransactionList)")
        return self


class TransformationEvent(_Event):
    type: Literal["TransformationEvent"]
    input_epc_list: tuple[Uri, ...] = Field(default=(), alias="inputEPCList")
    input_quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="inputQuantityList")
    output_epc_list: tuple[Uri, ...] = Field(default=(), alias="outputEPCList")
    output_quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="outputQuantityList")
    transformation_id: Uri | None = Field(default=None, alias="transformationID")
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _inputs_and_outputs(self) -> TransformationEvent:
        has_in = bool(self.input_epc_list or self.input_quantity_list)
        has_out = bool(self.output_epc_list or self.output_quantity_list)
        if has_out and not has_in and self.transformation_id is None:
            raise ValueError("outputs without inputs: a transformation names what it consumed (inputQuantityList)")
        if not has_out and not has_in:
            raise ValueError("a transformation has inputs and outputs")
        return self


class AssociationEvent(_Event):
    type: Literal["AssociationEvent"]
    action: Literal["ADD", "OBSERVE", "DELETE"]
    parent_id: Uri | None = Field(default=None, alias="parentID")
    child_epcs: tuple[Uri, ...] = Field(default=(), alias="childEPCs")
    child_quantity_list: tuple[QuantityElement, ...] = Field(default=(), alias="childQuantityList")


EpcisEvent = Annotated[ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent,
                       Field(discriminator="type")]
EVENT_ADAPTER: TypeAdapter[EpcisEvent] = TypeAdapter(EpcisEvent)


EVENTS_ADAPTER: TypeAdapter[list[EpcisEvent]] = TypeAdapter(list[EpcisEvent])


def parse_epcis_event(data: dict[str, Any]) -> EpcisEvent:
    """One event dict (compact JSON-LD, ``reetrace:`` prefix) as its model; raises pydantic's ValidationError."""
    return EVENT_ADAPTER.validate_python(data)


def parse_epcis_events(data: list[dict[str, Any]]) -> list[EpcisEvent]:
    """Events as ``parse_epcis_event`` parses each, in one call; a ValidationError's locations start with the index."""
    return EVENTS_ADAPTER.validate_python(data)


def quantities(event: EpcisEvent) -> dict[str, tuple[QuantityElement, ...]]:
    """Every quantity list of the event by its role: created, observed, input, output, child."""
    if isinstance(event, ObjectEvent):
        role = {"ADD": "created", "OBSERVE": "observed", "DELETE": "deleted"}[event.action]
        return {role: event.quantity_list}
    if isinstance(event, TransformationEvent):
        return {"input": event.input_quantity_list, "output": event.output_quantity_list}
    if isinstance(event, TransactionEvent):
        return {"observed": event.quantity_list}
    return {"child": event.child_quantity_list}
