"""create_app(container): the console (server-rendered, ``/``) and the JSON API (``/api/v1``, ``/tlog``).

Every route declares who may call it (:mod:`reetrace.web.access`): a permission, any signed-in user, or public.
Reads go through the principal's tenant scope (:mod:`reetrace.web.deps`). Errors have one shape: JSON
``{"ok": false, "code", "error", "errors", "status"}`` for the API, an HTML page for the console
(:mod:`reetrace.web.errors`). The interactive API docs are off: Swagger UI and ReDoc load from a CDN and the console
must work offline; the OpenAPI schema is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from reetrace import __version__
from reetrace.container import Container, build_container
from reetrace.settings import load_settings
from reetrace.web.api import account, audit, registry, tiles
from reetrace.web.api import alerts as alerts_api
from reetrace.web.api import documents as documents_api
from reetrace.web.api import export as export_api
from reetrace.web.api import flow as flow_api
from reetrace.web.api import log as log_api
from reetrace.web.api import personnel as personnel_api
from reetrace.web.api import travel as travel_api
from reetrace.web.console import (
    admin_pages,
    alert_pages,
    audit_pages,
    document_pages,
    export_pages,
    flow_pages,
    pages,
    personnel_pages,
    registry_pages,
    session_pages,
    travel_pages,
)
from reetrace.web.console.render import STATIC, make_templates, render_error
from reetrace.web.errors import install_error_handlers

OPENAPI_URL = "/api/v1/openapi.json"
SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer",
              "description": "An API token: Authorization: Bearer rt_<id>_<secret>"},
    "session": {"type": "apiKey", "in": "cookie", "name": "rt_session",
                "description": "A console session; POST and DELETE also need the X-CSRF-Token header"},
}


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="reetrace", version=__version__, openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None)
    app.state.container = container
    app.state.templates = make_templates()
    install_error_handlers(app, render_error)
    for router in (log_api.health_router, log_api.router, account.router, registry.router, audit.router,
                   tiles.router, session_pages.router, pages.router, registry_pages.router, admin_pages.router,
                   audit_pages.router):
        app.include_router(router)
    app.include_router(travel_api.router)
    app.include_router(travel_pages.router)
    app.include_router(export_api.router)
    app.include_router(export_pages.router)
    app.include_router(documents_api.router)
    app.include_router(document_pages.router)
    app.include_router(flow_api.router)
    app.include_router(flow_pages.router)
    for router in (personnel_api.router, alerts_api.router, personnel_pages.router, alert_pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    return app


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with our security schemes, and without the 422 answers FastAPI documents by default:
    invalid input is answered with 400 and the one error shape."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
        operation.get("responses", {}).pop("422", None)
        if operation.get("x-reetrace-access") != "public":
            operation["security"] = [{"token": []}, {"session": []}]
    components = schema.setdefault("components", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(name, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    app.openapi_schema = schema
    return schema


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` (``reetrace serve --workers N``): settings from ``REETRACE_*``; each worker
    starts its flow helper process (see ``reetrace.domains.flow.digests``)."""
    from reetrace.domains.flow.digests import HELPER

    HELPER.start()
    return create_app(build_container(load_settings()))
