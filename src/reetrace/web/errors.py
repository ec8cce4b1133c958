"""One error shape for the whole web app.

The API (``/api/``, ``/tlog/``, ``/health``) answers every error as
``{"ok": false, "code", "error", "errors": [{"location", "message"}], "status"}``; the console answers with an HTML
error page carrying the same message. Handled here:

* :class:`reetrace.errors.Error`: its own code, status and details (and headers, when it has some: a 401 says
  ``WWW-Authenticate``); the console turns ``sign_in_required`` into a redirect to the login page;
* request validation (FastAPI answers 422 by default): status 400, one ``errors`` item per field, located as
  ``query.size`` / ``path.index``;
* HTTP exceptions (unknown route 404, wrong method 405);
* anything else: 500 with a generic message; the traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from reetrace.errors import Detail, Error

log = logging.getLogger("reetrace.web")

API_PREFIXES = ("/api/", "/tlog/")
API_PATHS = frozenset({"/health", "/api/v1"})
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
              413: "too_large", 415: "unsupported_media_type"}

HtmlErrorRenderer = Callable[[Request, Error], Response]


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path in API_PATHS


def validation_error(errors: Sequence[Any]) -> Error:
    """A FastAPI/pydantic error list as one 400 :class:`Error` with a detail per field."""
    details = [Detail(str(e.get("msg", "invalid value")), ".".join(str(p) for p in e.get("loc", ()))) for e in errors]
    where = ", ".join(d.location for d in details if d.location) or "the request"
    return Error(f"invalid input: {where}", code="invalid_request", http_status=400, details=details)


def http_error(exc: StarletteHTTPException, path: str) -> Error:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        return Error(f"nothing here: {path}", code=code, http_status=404)
    return Error(str(exc.detail), code=code, http_status=exc.status_code)


def internal_error() -> Error:
    return Error("internal error: the server could not answer this request; the operator's log has the details",
                 code="internal", http_status=500)


def json_error(error: Error, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.http_status, headers=dict(headers or {}))


def install_error_handlers(app: FastAPI, render_html: HtmlErrorRenderer) -> None:
    """Register the handlers; console paths are rendered by ``render_html``, API paths as JSON."""

    def respond(request: Request, error: Error, headers: Mapping[str, str] | None = None) -> Response:
        if is_api_path(request.url.path):
            return json_error(error, headers)
        return render_html(request, error)

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Error)
        if exc.http_status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.diagnostics())
        return respond(request, exc, getattr(exc, "headers", None))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, validation_error(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return respond(request, http_error(exc, request.url.path), exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return respond(request, internal_error())

    app.add_exception_handler(Error, on_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
