"""create_app(container): the console (server-rendered, ``/``) and the JSON API (``/api/v1``, ``/tlog``).

Every route declares who may call it (:mod:`reetrace.web.access`); for now all are public. Errors have one shape:
JSON ``{"ok": false, "code", "error", "errors", "status"}`` for the API, an HTML page for the console
(:mod:`reetrace.web.errors`). The interactive API docs are off: Swagger UI and ReDoc load from a CDN and the console
must work offline; the OpenAPI schema is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from reetrace import __version__
from reetrace.container import Container, build_container
from reetrace.settings import load_settings
from reetrace.web.api import log as log_api
from reetrace.web.api import tiles
from reetrace.web.console import pages
from reetrace.web.console.render import STATIC, make_templates, render_error
from reetrace.web.errors import install_error_handlers

OPENAPI_URL = "/api/v1/openapi.json"


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="reetrace", version=__version__, openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None)
    app.state.container = container
    app.state.templates = make_templates()
    install_error_handlers(app, render_error)
    app.include_router(log_api.router)
    app.include_router(tiles.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` (``reetrace serve --workers N``): settings from ``REETRACE_*``."""
    return create_app(build_container(load_settings()))
