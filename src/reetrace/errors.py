"""One error model for every layer.

Every failure that reaches a user is an :class:`Error` with a stable ``code``, an HTTP status, a human message
and optional per-field details. The API renders it as ``{"ok": false, "code", "error", "errors", "status"}``,
the CLI prints :meth:`Error.diagnostics` and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Detail:
    """One problem inside a larger error: where (file, row, field) and what."""

    message: str
    location: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message}


@dataclass
class Error(Exception):
    """Base of every reetrace error."""

    message: str
    code: str = "error"
    http_status: int = 400
    details: list[Detail] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def diagnostics(self) -> str:
        lines = [f"error[{self.code}]: {self.message}"]
        lines += [f"  at {d.location}: {d.message}" if d.location else f"  {d.message}" for d in self.details]
        return "\n".join(lines)

    def body(self) -> dict[str, Any]:
        return {
            "ok": False,
            "code": self.code,
            "error": self.message,
            "errors": [d.as_dict() for d in self.details],
            "status": self.http_status,
        }


def invalid(message: str, *details: Detail, code: str = "invalid") -> Error:
    return Error(message, code=code, http_status=400, details=list(details))


def not_found(message: str, code: str = "not_found") -> Error:
    return Error(message, code=code, http_status=404)


class VerificationError(Error):
    """A check that failed closed; the message names what was expected and what was found."""

    def __init__(self, message: str, code: str = "verification_failed") -> None:
        super().__init__(message, code=code, http_status=422)
