"""Event bodies of alerts, and the alert as queries return it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "high"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "high")
ALERT_KIND = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
ALERT_ID = r"^A-[0-9A-F]{16}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRaised(_Body):
    """A finding that needs a person's attention. ``evidence`` holds ids, dates and numbers, never clear personal
    values (the log is not the vault)."""

    alert_id: str = Field(pattern=ALERT_ID)
    alert_kind: str = Field(pattern=ALERT_KIND, max_length=100)
    severity: Severity
    subject: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=1000)
    evidence: dict[str, Any]
    dedupe_key: str = Field(min_length=1, max_length=300)


class AlertResolved(_Body):
    alert_id: str = Field(pattern=ALERT_ID)
    reason: str = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Alert:
    alert_id: str
    tenant: str
    kind: str
    severity: Severity
    subject: str
    message: str
    evidence: dict[str, Any]
    raised_at: datetime
    status: Literal["open", "resolved"]
    dedupe_key: str
    entry_idx: int
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
