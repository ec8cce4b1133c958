"""Assertions shared by the web tests."""

from __future__ import annotations

from typing import Any

import httpx


def assert_error_shape(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one API error shape, with the given HTTP status (and code, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"ok", "code", "error", "errors", "status"}
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list)
    for item in body["errors"]:
        assert set(item) == {"location", "message"}
    if code is not None:
        assert body["code"] == code, body
    assert "Traceback" not in response.text
    return body
