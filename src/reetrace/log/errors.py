"""Errors of the pure log package.

Every verification failure is a :class:`reetrace.errors.VerificationError` subclass whose message names the
expected and the computed or actual value (hashes in hex). Verification functions return ``None`` or raise.
"""

from __future__ import annotations

from typing import ClassVar

from reetrace.errors import Error, VerificationError


def hx(value: bytes) -> str:
    """Hex of a hash for messages; ``<empty>`` for zero bytes so the message never looks truncated."""
    return value.hex() if value else "<empty>"


class ProofError(VerificationError):
    """An inclusion or consistency proof that does not verify (or cannot be checked at all)."""

    def __init__(self, message: str, code: str = "proof_invalid") -> None:
        super().__init__(message, code=code)


class NoteError(VerificationError):
    """A signed note that is malformed or whose signatures do not verify."""

    def __init__(self, message: str, code: str = "note_invalid") -> None:
        super().__init__(message, code=code)


class CheckpointError(VerificationError):
    """A checkpoint that is malformed, unsigned by the log, or for the wrong origin."""

    def __init__(self, message: str, code: str = "checkpoint_invalid") -> None:
        super().__init__(message, code=code)


class PolicyError(VerificationError):
    """A checkpoint that does not satisfy a witness policy (too few valid cosignatures)."""

    def __init__(self, message: str, code: str = "policy_unsatisfied") -> None:
        super().__init__(message, code=code)


class WitnessError(VerificationError):
    """A refused ``add-checkpoint`` request, with the C2SP tlog-witness HTTP status.

    * 400 malformed request or old size > checkpoint size;
    * 403 no valid signature by a trusted key of the log;
    * 404 unknown origin;
    * 409 old size differs from the witness's latest size (``current_size`` carries it; the response body is
      that size in decimal, content type ``text/x.tlog.size``);
    * 422 bad consistency proof, non-empty proof with old size 0, same size with a different root,
      or a size-0 checkpoint whose root is not the empty-tree root.
    """

    STATUS_CODES: ClassVar[dict[int, str]] = {
        400: "bad_request",
        403: "untrusted",
        404: "unknown_origin",
        409: "conflict",
        422: "unprovable",
    }

    def __init__(self, message: str, http_status: int, current_size: int | None = None) -> None:
        if http_status not in self.STATUS_CODES:
            raise ValueError(
                f"WitnessError status must be one of {sorted(self.STATUS_CODES)}, got {http_status}"
            )
        super().__init__(message, code=f"witness_{self.STATUS_CODES[http_status]}")
        self.http_status = http_status
        self.current_size = current_size

    def response_body(self) -> str:
        """The body a witness sends: the decimal size for 409, the message otherwise."""
        if self.http_status == 409 and self.current_size is not None:
            return f"{self.current_size}\n"
        return self.message + "\n"


def bad_argument(message: str, code: str = "invalid_argument") -> Error:
    """A caller asked for something impossible (index >= size, old > new, a malformed key or policy)."""
    return Error(message, code=code, http_status=400)
