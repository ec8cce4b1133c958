"""Every route declares who may call it (for now: public). Issue 3 adds permissions next to ``public``."""

from __future__ import annotations

from fastapi import FastAPI
from web_world import World

from reetrace.web.access import declared_routes
from reetrace.web.app import OPENAPI_URL

FRAMEWORK_ROUTES = {OPENAPI_URL, "/static"}  # the OpenAPI schema and the CSS, added by FastAPI/Starlette


def app_of(world: World) -> FastAPI:
    app = world.client.app
    assert isinstance(app, FastAPI)
    return app


def test_every_route_declares_its_access(log_world: World) -> None:
    routes = list(declared_routes(app_of(log_world)))
    assert {r.path for r in routes if r.framework} == FRAMEWORK_ROUTES
    undeclared = [r.path for r in routes if not r.framework and r.access is None]
    assert undeclared == []
    assert {r.access for r in routes if not r.framework} == {"public"}


def test_routes_that_exist(log_world: World) -> None:
    paths = {r.path for r in declared_routes(app_of(log_world)) if not r.framework}
    assert paths == {"/", "/log/entries/{index}", "/log/lookup", "/log/checkpoints", "/health", "/api/v1/log",
                     "/api/v1/log/checkpoint", "/api/v1/log/entries", "/api/v1/log/entries/{index}",
                     "/api/v1/log/events/{event_id}", "/api/v1/log/proof/{index}", "/api/v1/log/consistency",
                     "/tlog/checkpoint", "/tlog/tile/{tile_path:path}"}


def test_a_route_without_declaration_is_found(log_world: World) -> None:
    app = FastAPI()

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    assert [(r.path, r.access) for r in declared_routes(app) if not r.framework] == [("/forgotten", None)]
