"""Event bodies of the registry, validated at the boundary."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["mine", "separation", "metal", "magnet", "recycler", "exporter", "trader", "importer"]
PermitType = Literal["mining", "separation", "export", "import", "recycling"]


class EnterpriseRegistered(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enterprise_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=300)
    name_zh: str | None = Field(default=None, max_length=300)
    role: Role
    province: str = Field(min_length=1, max_length=64)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    credit_code: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")


class PermitIssued(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    permit_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")
    enterprise_id: str
    permit_type: PermitType
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _ordered(self) -> PermitIssued:
        if self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class ContactRegistered(BaseModel):
    """A contact person: personal fields arrive on the log only as vault commitments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_id: str = Field(pattern=r"^person-[0-9a-f]{32}$")
    enterprise_id: str
    role: str = Field(min_length=1, max_length=64)
    name: str = Field(pattern=r"^hmac-sha256:[0-9a-f]{64}$")
    phone: str | None = Field(default=None, pattern=r"^hmac-sha256:[0-9a-f]{64}$")


class SubjectErased(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_id: str
    reason: str = Field(min_length=1, max_length=500)
