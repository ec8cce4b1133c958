"""The re-export de minimis test of MOFCOM Announcement 2025 No. 61, when it is in force on the date.

No. 61 (Part 1 (1), from 2025-12-01) requires a foreign party to hold a MOFCOM licence before exporting to a third
country an item made abroad that contains, integrates or is mixed with China-origin controlled items (Annex 1 Part
1: Sm, Dy, Gd, Tb, Lu, Sc, Y metals, Sm-Co, Tb-Fe, Dy-Fe, Tb-Dy-Fe alloys, Dy and Tb oxides, ...) whose value is at
least 0.1 % of the item's value. No. 70 suspends No. 61 from 2025-11-07 through 2026-11-10, so the rule was never
applied before 2026-11-11; on a date when it does not apply, :func:`deminimis` still shows the computation and says
why it does not decide anything.

The computation uses exact decimals: share = controlled value / total value x 100, compared with ``>=`` against the
rule's ``value_threshold_percent`` (0.1) from the control list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reetrace.errors import Detail, Error

from .controllist import ControlList, short_name

DE_MINIMIS_RULE = "61-DM"

Outcome = Literal["licence_required", "below_threshold", "rule_not_in_force"]


class ReExportInput(BaseModel):
    """The values of a re-exported item, in one currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    controlled_value: Decimal = Field(ge=0, allow_inf_nan=False)  # China-origin controlled content
    total_value: Decimal = Field(gt=0, allow_inf_nan=False)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _within_total(self) -> ReExportInput:
        if self.controlled_value > self.total_value:
            raise ValueError(f"the controlled value {self.controlled_value} is more than the total value "
                             f"{self.total_value}")
        return self


def parse_reexport(data: Mapping[str, Any]) -> ReExportInput:
    """Validate ``data``; raises ``Error(code="bad_reexport")`` naming each bad field."""
    try:
        return ReExportInput.model_validate(dict(data))
    except ValidationError as exc:
        details = [Detail(str(e["msg"]).removeprefix("Value error, "),
                          ".".join(str(p) for p in e["loc"]) or "controlled_value") for e in exc.errors()]
        raise Error(f"invalid re-export values: {details[0].location}: {details[0].message}", code="bad_reexport",
                    http_status=400, details=details) from None


@dataclass(frozen=True)
class DeMinimisResult:
    as_of: date
    outcome: Outcome
    share_percent: Decimal  # controlled / total x 100, rounded to 4 decimals for display
    threshold_percent: Decimal
    steps: tuple[str, ...]
    rule_id: str
    citation: str
    status: str

    @property
    def licence_required(self) -> bool:
        return self.outcome == "licence_required"

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "outcome": self.outcome, "licence_required": self.licence_required,
                "share_percent": str(self.share_percent), "threshold_percent": str(self.threshold_percent),
                "rule": self.rule_id, "citation": self.citation, "status": self.status, "steps": list(self.steps)}


def deminimis(values: ReExportInput, as_of: date, control_list: ControlList | None = None) -> DeMinimisResult:
    """Apply the No. 61 de minimis test to ``values`` as of ``as_of``."""
    cl = control_list or ControlList.default()
    rule = cl.rule(DE_MINIMIS_RULE)
    if rule.value_threshold_percent is None:
        raise Error(f"control list rule {rule.id} has no value_threshold_percent", code="bad_control_list")
    threshold = Decimal(str(rule.value_threshold_percent))
    share = values.controlled_value / values.total_value * 100
    shown = share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    cur = values.currency
    above = share >= threshold
    steps = [f"China-origin controlled content {values.controlled_value:,.2f} {cur} / total value "
             f"{values.total_value:,.2f} {cur} x 100 = {shown} % of the value.",
             f"{shown} % {'>=' if above else '<'} {threshold} % (the de minimis threshold of {rule.id}, "
             f"{short_name(cl.announcement(rule.announcement))})."]
    status = cl.status(rule, as_of)
    if not status.in_force:
        steps.append(f"On {as_of.isoformat()} the rule does not apply: {status.reason}; no licence follows from "
                     "it on that day.")
        outcome: Outcome = "rule_not_in_force"
    elif above:
        steps.append("A MOFCOM dual-use export licence is needed before the re-export.")
        outcome = "licence_required"
    else:
        steps.append("Below the threshold: the de minimis rule does not require a licence (other parts of No. 61 "
                     "and the end-user rules may still apply).")
        outcome = "below_threshold"
    for s in cl.lapsed_suspensions(rule, as_of):
        steps.append(f"The suspension by {short_name(cl.announcement(s.announcement))} ended on "
                     f"{s.until.isoformat()}; this control list records no extension; confirm with MOFCOM.")
    return DeMinimisResult(as_of, outcome, shown, threshold, tuple(steps), rule.id, rule.citation, status.reason)
