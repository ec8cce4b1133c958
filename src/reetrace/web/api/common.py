"""What every API route shares: the documented error shape and the responses each may give."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    location: str = Field(description="Where: query.size, path.index, body.label, ... or empty")
    message: str


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    ok: Literal[False]
    code: str = Field(description="A stable machine-readable code, e.g. not_found, forbidden, csrf_failed")
    error: str = Field(description="A human-readable message")
    errors: list[ErrorItem]
    status: int = Field(description="The HTTP status, repeated")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Bad input: the errors name each field"),
    401: _error("No valid session or API token"),
    403: _error("Signed in, but without the permission this needs (or without the CSRF token of the session)"),
    404: _error("Nothing here, or nothing that you may see"),
}
PUBLIC_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: ERROR_RESPONSES[400],
    404: ERROR_RESPONSES[404],
}
